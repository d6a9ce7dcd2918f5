"""Who may do what with which form type's documents: the one place for these rules.

Rights are object permissions (django-guardian) on FormType, granted to department groups:
``process`` (upload and verify), ``view_mynumber``, ``export``. Global permissions never
open every form type: ``accept_global_perms=False``.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from forms_catalog.models import FormType


def form_types_with(user: User, perm: str) -> QuerySet[FormType]:
    return get_objects_for_user(
        user, f"forms_catalog.{perm}", klass=FormType, accept_global_perms=False
    )


def processable_form_types(user: User) -> QuerySet[FormType]:
    return form_types_with(user, "process").filter(is_current=True)


def can_process(user: User, form_type: FormType) -> bool:
    return form_types_with(user, "process").filter(pk=form_type.pk).exists()
