"""Human acts on documents: the one place where what a person does changes a document.

One function per act. Each runs in one transaction (``@transaction.atomic``), takes the person
as the keyword-only ``acting_user``, and writes with ``save(update_fields=...)`` row by row,
never ``queryset.update`` on audited rows: django-auditlog only sees a change through a model's
save signals, so a bulk update would leave the act out of the audit log. Views, admin actions,
commands and tasks call these functions instead of changing rows themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from auditlog.context import auditlog_value, set_actor
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ocr.exports import EXPORTABLE
from ocr.models import Document


@contextmanager
def _acting_as(user: User) -> Iterator[None]:
    """Name ``user`` on the audit entries written inside, in a request or outside one.

    auditlog's middleware names the signed-in person only inside a request; commands and
    tasks have none, so the actor is always set here. ``set_actor`` does not put back the
    context it replaced when it ends (it leaves its own, already disconnected, in place): in
    a request the entries written after this block would lose their actor and address, so
    the outer context is put back here.
    """
    outer = auditlog_value.get(None)
    try:
        with set_actor(user):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)


@transaction.atomic
def mark_exported(documents: Iterable[Document], *, acting_user: User) -> int:
    """Record that the documents' data went out in an export; returns how many were marked.

    A document that stopped being exportable since it was selected (disposed, say) is left
    as it is: its status says where it stands, not the export.
    """
    ids = [document.pk for document in documents]
    now = timezone.now()
    marked = 0
    with _acting_as(acting_user):
        locked = Document.objects.select_for_update().filter(pk__in=ids, status__in=EXPORTABLE)
        for document in locked.order_by("pk"):
            document.status = Document.Status.EXPORTED
            document.exported_at = now
            document.save(update_fields=["status", "exported_at", "updated_at"])
            marked += 1
    return marked
