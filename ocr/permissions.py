"""Who may do what with which form type's documents: the one place for these rules.

Rights are object permissions (django-guardian) on FormType, granted to department groups:
``process`` (upload, open and verify documents), ``view_mynumber`` (see My Numbers, after a
reveal), ``export`` (download CSV). A global permission never opens every form type:
``accept_global_perms=False`` throughout.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from forms_catalog.models import FormType
from ocr.models import Batch, Document


def form_types_with(user: User, perm: str) -> QuerySet[FormType]:
    return get_objects_for_user(
        user, f"forms_catalog.{perm}", klass=FormType, accept_global_perms=False
    )


def has_form_perm(user: User, perm: str, form_type: FormType | int) -> bool:
    pk = form_type if isinstance(form_type, int) else form_type.pk
    return form_types_with(user, perm).filter(pk=pk).exists()


def processable_form_types(user: User) -> QuerySet[FormType]:
    """Current versions the user may upload to."""
    return form_types_with(user, "process").filter(is_current=True)


def can_process(user: User, form_type: FormType) -> bool:
    return has_form_perm(user, "process", form_type)


def can_view_mynumber(user: User, form_type: FormType | int) -> bool:
    return has_form_perm(user, "view_mynumber", form_type)


def can_export(user: User, form_type: FormType | int) -> bool:
    return has_form_perm(user, "export", form_type)


def visible_documents(user: User) -> QuerySet[Document]:
    return Document.objects.filter(form_type__in=form_types_with(user, "process"))


def visible_batches(user: User) -> QuerySet[Batch]:
    return Batch.objects.filter(form_type__in=form_types_with(user, "process"))
