"""Who may do what with which form type's documents: the one place for these rules.

Rights are object permissions (django-guardian) on FormType, granted to department groups:
``process`` (upload, open and verify documents), ``view_mynumber`` (see My Numbers, after a
reveal), ``export`` (download CSV), ``view_statistics`` (counts only). A global permission
never opens every form type (``accept_global_perms=False``), and neither does being a
superuser (``with_superuser=False``): an administrator manages users and grants, and sees
data only when granted like anyone else.

A batch belongs to the department that uploaded it: a form type right opens the batches and
documents of one's own departments (the groups one is in), not those of another department
granted the same form type.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from guardian.models import GroupObjectPermission
from guardian.shortcuts import get_objects_for_user

from forms_catalog.models import FormType
from ocr.models import Batch, Document


def form_types_with(user: User, perm: str) -> QuerySet[FormType]:
    return get_objects_for_user(
        user,
        f"forms_catalog.{perm}",
        klass=FormType,
        accept_global_perms=False,
        with_superuser=False,
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


def has_group_perm(group: Group, perm: str, form_type: FormType) -> bool:
    """Whether a department holds a right on a form type (its own grant, not a member's)."""
    return GroupObjectPermission.objects.filter(
        group=group,
        permission__content_type__app_label="forms_catalog",
        permission__codename=perm,
        object_pk=str(form_type.pk),
    ).exists()


def departments_of(user: User) -> QuerySet[Group]:
    """The groups a person uploads and works for: those holding ``process`` on a form type."""
    granted = GroupObjectPermission.objects.filter(
        permission__codename="process", content_type__app_label="forms_catalog"
    ).values("group_id")
    return user.groups.filter(pk__in=granted)


def visible_batches(user: User) -> QuerySet[Batch]:
    return Batch.objects.filter(
        form_type__in=form_types_with(user, "process"), department__in=user.groups.all()
    )


def visible_documents(user: User) -> QuerySet[Document]:
    return Document.objects.filter(
        form_type__in=form_types_with(user, "process"), batch__department__in=user.groups.all()
    )
