"""Resolving the form type and department named on a command line."""

from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from forms_catalog.models import FormType


def resolve_target(code: str, department: str | None) -> tuple[FormType, Group]:
    """The current version of form CODE and the department (default: the form's own)."""
    form_type = FormType.objects.filter(code=code, is_current=True).first()
    if form_type is None:
        raise CommandError(f"unknown form type {code!r}")
    if department is None:
        return form_type, form_type.department
    group = Group.objects.filter(name=department).first()
    if group is None:
        raise CommandError(f"unknown department {department!r}")
    return form_type, group
