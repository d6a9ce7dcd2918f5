"""The system actor: who the audit log names for work no person started (tasks, schedules)."""

from __future__ import annotations

from django.contrib.auth.models import User

SYSTEM_USERNAME = "yomitoru-system"


def system_actor() -> User:
    """An inactive account that can never sign in, named in entries written by tasks."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "システム", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
