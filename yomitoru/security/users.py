"""The admin's user pages: disabling a user ends every session they have open.

Django already refuses an inactive user on their next request (ModelBackend.get_user), but
the stored sessions would linger; they are deleted here, explicitly, when the admin's change
form turns ``is_active`` off.

What an administrator types for a user (user name, names, e-mail) or a department (group
name) reaches lists and the audit log for good: text holding a My Number or a corporate number
is refused with a message (the one detector, yomitoru.lib.sensitive_text).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from yomitoru.security.sessions import end_user_sessions
from yomitoru.validators import no_number


class NumberFreeForm(forms.ModelForm):
    """Refuses a My Number or corporate number in any of ``number_free_fields``."""

    number_free_fields: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in self.number_free_fields:
            try:
                no_number(cleaned.get(name))
            except ValidationError as refused:
                self.add_error(name, refused)
        return cleaned


_USER_TEXT = ("username", "first_name", "last_name", "email")


class NumberFreeUserCreationForm(NumberFreeForm, AdminUserCreationForm):
    number_free_fields = _USER_TEXT


class NumberFreeUserChangeForm(NumberFreeForm, UserChangeForm):
    number_free_fields = _USER_TEXT


class NumberFreeGroupForm(NumberFreeForm):
    number_free_fields = ("name",)

    class Meta:
        model = Group
        fields = ("name", "permissions")


class YomitoruGroupAdmin(GroupAdmin):
    form = NumberFreeGroupForm


class YomitoruUserAdmin(UserAdmin):
    form = NumberFreeUserChangeForm
    add_form = NumberFreeUserCreationForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Everyone works in the admin: a new user is staff from the start. What they see there
        # comes from their groups' rights, none of which a new user has.
        if not change:
            obj.is_staff = True
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_user_sessions(obj)

    def get_actions(self, request: HttpRequest) -> dict:
        # Deleting several at once would not ask, per person, whether the log names them:
        # users are deleted one by one from their page, or deactivated.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def install_user_admin(
    site: admin.AdminSite | None = None, user_admin: type[UserAdmin] = YomitoruUserAdmin
) -> None:
    """Replace django.contrib.auth's registration (called once the admin has autodiscovered).

    The audit app installs its subclass in turn (a person its log names is never deleted:
    audit.admin.accounts).
    """
    site = site or admin.site
    if site.is_registered(User):
        site.unregister(User)
    site.register(User, user_admin)
    if site.is_registered(Group):
        site.unregister(Group)
    site.register(Group, YomitoruGroupAdmin)
