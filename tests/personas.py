"""Personas built in code: who works with a form type, and with which rights."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from guardian.shortcuts import assign_perm

from forms_catalog.models import FormType


def make_user(username: str, group: Group, *, perms: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, password="unused-in-tests", is_staff=True)
    user.groups.add(group)
    if perms:
        user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    return user


# The admin pages department staff open; which rows they see is decided per form type.
STAFF_VIEWS = ("view_document", "view_batch", "view_sourcefile")


def department_clerks(form_type: FormType) -> dict[str, User]:
    """Owner department with My Number rights, same department without, other department.

    As in a town hall: the department (the form type's own group) processes and exports its
    form type; within it, only the named My Number handlers, a group of their own, may see
    the numbers. All three may open the document, batch and file pages: what they find there
    is up to their object permissions and their department.
    """
    owner = form_type.department
    other, _ = Group.objects.get_or_create(name="他課")
    handlers, _ = Group.objects.get_or_create(name=f"{owner.name} 個人番号取扱担当")
    for perm in ("process", "export"):
        assign_perm(f"forms_catalog.{perm}", owner, form_type)
    assign_perm("forms_catalog.view_mynumber", handlers, form_type)
    with_mynumber = make_user("clerk_with_mynumber", owner)
    with_mynumber.groups.add(handlers)
    without = make_user("clerk_without", owner)
    outsider = make_user("outsider", other)
    people = {"owner": with_mynumber, "no_mynumber": without, "outsider": outsider}
    views = Permission.objects.filter(codename__in=STAFF_VIEWS)
    for user in people.values():
        user.user_permissions.add(*views)
    return people


def security_officer(username: str = "officer") -> User:
    """A security officer: reads the audit log, holds no right on any form type."""
    officers, _ = Group.objects.get_or_create(name="監査")
    officers.permissions.add(
        Permission.objects.get(content_type__app_label="audit", codename="view_auditentry")
    )
    return make_user(username, officers)


def login(client, user: User):  # type: ignore[no-untyped-def]
    """Log in as a person who has passed two-factor authentication (TOTP)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
