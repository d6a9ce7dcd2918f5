"""Acts on documents outside review: the export's mark (``ocr.exports.services`` calls it).
The review acts are ``ocr.review``.

Like them, each runs in one transaction (``@transaction.atomic``), takes the person as the
keyword-only ``acting_user``, moves statuses through ``ocr.transitions`` and writes with
``save(update_fields=...)`` row by row, never ``queryset.update`` on audited rows:
django-auditlog only sees a change through a model's save signals.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ocr.models import Document
from ocr.review.services import acting_as
from ocr.transitions import move_document

# Documents whose values are final: checked by a person, or confirmed with their batch.
EXPORTABLE = (Document.Status.VERIFIED, Document.Status.EXPORTED)


@transaction.atomic
def mark_exported(documents: Iterable[Document], *, acting_user: User) -> int:
    """Record that the documents' data went out in an export; returns how many were marked.

    A document that stopped being exportable since it was selected (disposed, say) is left
    as it is: its status says where it stands, not the export.
    """
    ids = [document.pk for document in documents]
    now = timezone.now()
    marked = 0
    with acting_as(acting_user):
        locked = Document.objects.select_for_update().filter(pk__in=ids, status__in=EXPORTABLE)
        for document in locked.order_by("pk"):
            move_document(document, Document.Status.EXPORTED)
            document.exported_at = now
            document.audit_act = "mark_exported"
            document.save(update_fields=["status", "exported_at", "updated_at"])
            marked += 1
    return marked
