"""Who may do what with which form type's documents: the one place for these rules.

Rights are object permissions (django-guardian) on FormType, granted to department groups:
``process`` (upload, open and verify documents), ``view_mynumber`` (see My Numbers, after a
reveal), ``export`` (download CSV), ``view_statistics`` (counts only), ``metrics`` (the manager's
workload dashboard: counts, rates and seconds, never a document). A global permission
never opens every form type (``accept_global_perms=False``), and neither does being a
superuser (``with_superuser=False``): an administrator manages users and grants, and sees
data only when granted like anyone else.

A batch belongs to the department that uploaded it: a form type right opens the batches and
documents of one's own departments (the groups one is in), not those of another department
granted the same form type.

A manager is rarely a member of the department group itself (that group holds ``process``,
and a manager opens no document). So ``metrics`` counts the batches of the form type's own
department (``FormType.department``, the department the administrator granted the manager's
group a view of) and of the manager's own groups; never those of another department granted
the same form type.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db.models import F, Q, QuerySet
from guardian.models import GroupObjectPermission
from guardian.shortcuts import get_objects_for_user

from forms_catalog.models import FormType
from ocr.models import Batch, Document, ReviewSession


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


def metrics_form_types(user: User) -> QuerySet[FormType]:
    """Form types (every version) whose workload dashboard the user may read."""
    return form_types_with(user, "metrics")


def can_view_metrics(user: User) -> bool:
    return metrics_form_types(user).exists()


def _metrics_departments(user: User, batch: str) -> Q:
    """The batches a manager counts: of the form type's own department or the user's groups."""
    return Q(**{f"{batch}department": F(f"{batch}form_type__department")}) | Q(
        **{f"{batch}department__in": user.groups.all()}
    )


def metrics_documents(user: User) -> QuerySet[Document]:
    """Documents counted on the user's workload dashboard."""
    return Document.objects.filter(
        _metrics_departments(user, "batch__"), form_type__in=metrics_form_types(user)
    )


def metrics_sessions(user: User) -> QuerySet[ReviewSession]:
    """Review sessions counted on the dashboard: on the documents it counts.

    A session of character verification has no document (its cells come from many); it counts
    when its clerk belongs to a department it counts for the form type.
    """
    clerks_of = Q(user__groups=F("form_type__department")) | Q(user__groups__in=user.groups.all())
    on_documents = ReviewSession.objects.filter(document__in=metrics_documents(user))
    on_cells = ReviewSession.objects.filter(
        clerks_of, document__isnull=True, form_type__in=metrics_form_types(user)
    )
    return ReviewSession.objects.filter(
        Q(pk__in=on_documents.values("pk")) | Q(pk__in=on_cells.values("pk"))
    )
