"""Where a batch's work stands: pages read, documents waiting for a person (and their fields),
verified, exported, rejected, failed. For the batch list and page.

Counted for a list of batches at once, three grouped queries on indexed columns whatever the
number of batches shown: per-row subqueries would be planned once per batch, and a join of
documents, pages and fields would multiply the rows grouped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from ocr.models import Document, ExtractedField, Page

D = Document.Status
WAITING = frozenset({D.NEEDS_REVIEW, D.IN_REVIEW})
DECIDED = frozenset({D.AUTO_ACCEPTED, D.VERIFIED})


@dataclass
class Progress:
    pages: int = 0
    pages_read: int = 0
    waiting: int = 0
    fields_waiting: int = 0
    verified: int = 0
    exported: int = 0
    rejected: int = 0
    failed: int = 0


def progress_of(batch_ids: Iterable[int]) -> dict[int, Progress]:
    ids = list(batch_ids)
    progress = {pk: Progress() for pk in ids}
    documents = (
        Document.objects.filter(batch_id__in=ids)
        .order_by()
        .values("batch_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in documents:
        item, status, n = progress[row["batch_id"]], row["status"], row["n"]
        if status in WAITING:
            item.waiting += n
        elif status in DECIDED:
            item.verified += n
        elif status == D.EXPORTED:
            item.exported += n
        elif status == D.REJECTED:
            item.rejected += n
        elif status == D.FAILED:
            item.failed += n
    pages = (
        Page.objects.filter(document__batch_id__in=ids)
        .order_by()
        .values("document__batch_id", "alignment")
        .annotate(n=Count("pk"))
    )
    for row in pages:
        item = progress[row["document__batch_id"]]
        item.pages += row["n"]
        if row["alignment"] != Page.Alignment.PENDING:
            item.pages_read += row["n"]
    fields = (
        ExtractedField.objects.filter(
            document__batch_id__in=ids, status=ExtractedField.Status.NEEDS_REVIEW
        )
        .order_by()
        .values("document__batch_id")
        .annotate(n=Count("pk"))
    )
    for row in fields:
        progress[row["document__batch_id"]].fields_waiting = row["n"]
    return progress
