"""The admin's user pages: disabling a user ends every session they have open.

Django already refuses an inactive user on their next request (ModelBackend.get_user), but
the stored sessions would linger; they are deleted here, explicitly, when the admin's change
form turns ``is_active`` off.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest

from yomitoru.security.sessions import end_user_sessions


class YomitoruUserAdmin(UserAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Everyone works in the admin: a new user is staff from the start. What they see there
        # comes from their groups' rights, none of which a new user has.
        if not change:
            obj.is_staff = True
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_user_sessions(obj)


def install_user_admin(site: admin.AdminSite | None = None) -> None:
    """Replace django.contrib.auth's registration (called once the admin has autodiscovered)."""
    site = site or admin.site
    if site.is_registered(User):
        site.unregister(User)
    site.register(User, YomitoruUserAdmin)
