"""Who the audit log names: the system actor for work no person started, and each entry's
actor as it was when the entry was written.

An entry keeps its actor's user id, user name and full name (sealed with it), so renaming an
account does not rename its past, and an account that appears in the log as an actor is kept:
it can be deactivated, not deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import ProtectedError

from audit.models import AuditEntry
from yomitoru.admin_site import person

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


def entry_username(entry: AuditEntry) -> str:
    """The actor's user name when the entry was written ("" for the system)."""
    if entry.actor_user_pk is not None:
        return entry.actor_username
    # Sealed before the identity was stored: the account's name now is all there is.
    return entry.actor.get_username() if entry.actor is not None else ""


def entry_display_name(entry: AuditEntry) -> str:
    """Full name when the entry was written, the user name without one ("" for the system)."""
    if entry.actor_user_pk is not None:
        return entry.actor_name or entry.actor_username
    if entry.actor is None:
        return ""
    return entry.actor.get_full_name() or entry.actor.get_username()


def entry_person(entry: AuditEntry) -> str:
    """The entry's person as ``yomitoru.admin_site.person`` writes it."""
    return person(entry_username(entry), entry_display_name(entry))


def has_audit_entries(user: Any) -> bool:
    """Whether the account acted in any audit entry (served by the actor/time index)."""
    return user.pk is not None and AuditEntry.objects.filter(actor_id=user.pk).exists()


def refuse_deleting_an_actor(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_delete receiver for User: an account named in the log is deactivated, not deleted.

    Deleting it would set the entries' actor to NULL and lose who acted; deactivating keeps
    both the account and the log whole.
    """
    if has_audit_entries(instance):
        raise ProtectedError(
            f"user {instance.pk} acted in audit entries: deactivate the account instead",
            set(),
        )
