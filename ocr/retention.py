"""Retention and disposal of documents past their form type's retention period.

The rule is the municipal one for public records (公文書の保存期間の起算日): a retention period
of N years is counted from April 1 of the fiscal year after the document was received, so a
document received in fiscal year F (April F to March F+1, Tokyo dates) is kept until March 31
of F+1+N and falls due on April 1 of F+1+N. Documents of one fiscal year fall due together,
which is how departments dispose of paper records too. "Received" is ``Document.created_at``.

Disposal deletes the page images, aligned images and source files from storage, erases the
extracted values and their lookup digests, and marks the documents ``disposed``. The rows stay
(statuses and counts feed the metrics); a DisposalRecord and one audit entry per form type
version say what was done, under which rule and by whom, without any personal data.

Scans refused at intake (rejected or duplicate) have no document but may still show a My
Number: they fall due by the same rule from the day they were received, and their files and
file names are deleted (``rejected_scans_due`` / ``dispose_rejected_scans``).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from audit.models import AuditEntry, DisposalRecord
from forms_catalog.models import FormType
from ocr import storage
from ocr.models import Document, ExtractedField, Page, SourceFile

# Retention is a municipal rule in Japanese dates, whatever the server's time zone.
TOKYO = ZoneInfo("Asia/Tokyo")
RULE = "retention {years} years from April 1 of the fiscal year after receipt"


def today_in_tokyo() -> date:
    return timezone.localdate(timezone=TOKYO)


def fiscal_year(day: date) -> int:
    """The Japanese fiscal year (April to March) a date falls in, by its starting year."""
    return day.year if day.month >= 4 else day.year - 1


def expiry_cutoff(form_type: FormType, today: date) -> date:
    """Documents of FORM_TYPE received (Tokyo date) before this date are past retention."""
    return date(fiscal_year(today) - form_type.retention_years, 4, 1)


def next_cutoff_change(today: date) -> date:
    """The next day on which more documents fall due: the next April 1."""
    return date(fiscal_year(today) + 1, 4, 1)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def _due_condition(today: date) -> Q | None:
    """Received (``created_at``) before the cut-off of its form type's retention period.

    One condition per distinct retention period (a handful), not per form type version; None
    when there are no form types.
    """
    periods = FormType.objects.order_by().values_list("retention_years", flat=True).distinct()
    conditions = [
        Q(
            form_type__retention_years=years,
            created_at__lt=_start_of(date(fiscal_year(today) - years, 4, 1)),
        )
        for years in sorted(set(periods))
    ]
    return reduce(operator.or_, conditions) if conditions else None


def documents_due(today: date | None = None) -> QuerySet[Document]:
    """Documents past retention on TODAY and not yet disposed, oldest first per form type."""
    due = _due_condition(today or today_in_tokyo())
    if due is None:
        return Document.objects.none()
    return (
        Document.objects.filter(due)
        .exclude(status=Document.Status.DISPOSED)
        .order_by("form_type_id", "created_at", "pk")
    )


REFUSED_AT_INTAKE = (SourceFile.Status.REJECTED, SourceFile.Status.DUPLICATE)


def _refused_kept() -> QuerySet[SourceFile]:
    """Scans refused at intake (no document) whose file or name is still kept (once disposed,
    both are gone)."""
    refused = SourceFile.objects.filter(status__in=REFUSED_AT_INTAKE, documents__isnull=True)
    return refused.exclude(file="", original_name="")


def rejected_scans_due(today: date | None = None) -> QuerySet[SourceFile]:
    """Scans refused at intake (no document) past retention on TODAY, not yet disposed."""
    due = _due_condition(today or today_in_tokyo())
    if due is None:
        return SourceFile.objects.none()
    return _refused_kept().filter(due).order_by("form_type_id", "created_at", "pk")


def count_due(form_type: FormType, on: date) -> int:
    return (
        Document.objects.filter(
            form_type=form_type, created_at__lt=_start_of(expiry_cutoff(form_type, on))
        )
        .exclude(status=Document.Status.DISPOSED)
        .count()
    )


def count_refused_due(form_type: FormType, on: date) -> int:
    """Scans of FORM_TYPE refused at intake, past retention on ON and not yet disposed."""
    return (
        _refused_kept()
        .filter(form_type=form_type, created_at__lt=_start_of(expiry_cutoff(form_type, on)))
        .count()
    )


@dataclass(frozen=True)
class Outlook:
    """What falls due for one form type version: now, within 30 / 90 days, at the next cut;
    and the scans refused at intake that are due now."""

    cutoff: date
    due_now: int
    due_in_30_days: int
    due_in_90_days: int
    next_cutoff_date: date
    due_at_next_cutoff: int
    refused_scans_due_now: int


def outlook(form_type: FormType, today: date | None = None) -> Outlook:
    today = today or today_in_tokyo()
    now = count_due(form_type, today)
    following = next_cutoff_change(today)
    # Counts that become due in the window, on top of those due already.
    return Outlook(
        cutoff=expiry_cutoff(form_type, today),
        due_now=now,
        due_in_30_days=count_due(form_type, today + timedelta(days=30)) - now,
        due_in_90_days=count_due(form_type, today + timedelta(days=90)) - now,
        next_cutoff_date=following,
        due_at_next_cutoff=count_due(form_type, following) - now,
        refused_scans_due_now=count_refused_due(form_type, today),
    )


def dispose(
    documents: QuerySet[Document] | Iterable[Document],
    *,
    actor: User | None = None,
    today: date | None = None,
) -> list[DisposalRecord]:
    """Dispose of those of DOCUMENTS that are past retention on TODAY; one record per version.

    Documents still within retention are left alone whatever the caller passes, so a record's
    rule is always true of what it covers. Running it again disposes nothing more.
    ``actor`` None is the system (the scheduled run).
    """
    today = today or today_in_tokyo()
    if isinstance(documents, QuerySet):
        selected = documents_due(today).filter(pk__in=documents.values("pk"))
    else:
        selected = documents_due(today).filter(pk__in=[d.pk for d in documents])
    records = []
    for form_type, ids in _by_form_type(selected):
        record = _dispose_group(form_type, ids, actor=actor, today=today)
        if record is not None:
            records.append(record)
    return records


def _by_form_type(
    selected: QuerySet[Document] | QuerySet[SourceFile],
) -> list[tuple[FormType, list[int]]]:
    """The ids of SELECTED per form type version, in catalog order."""
    groups: dict[int, list[int]] = defaultdict(list)
    for pk, form_type_id in selected.values_list("pk", "form_type_id"):
        groups[form_type_id].append(pk)
    form_types = FormType.objects.filter(pk__in=groups).order_by("code", "version")
    return [(form_type, groups[form_type.pk]) for form_type in form_types]


def _dispose_group(
    form_type: FormType, ids: list[int], *, actor: User | None, today: date
) -> DisposalRecord | None:
    with transaction.atomic():
        # Re-read under lock: another run may have disposed some of them since they were chosen.
        rows = list(
            Document.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(status=Document.Status.DISPOSED)
            .order_by("pk")
            .values_list("pk", "created_at", "source_file_id")
        )
        if not rows:
            return None
        doc_ids = [pk for pk, _, _ in rows]
        now = timezone.now()
        # Files first, inside the transaction: if a later step fails the rows roll back and
        # the next run deletes again (deleting a missing file is not an error).
        pages = list(Page.objects.filter(document_id__in=doc_ids).only("image", "aligned_image"))
        files = _remove_files(f for page in pages for f in (page.image, page.aligned_image))
        Page.objects.filter(document_id__in=doc_ids).update(image="", aligned_image="")
        # A machine disposal, not a person's edit: one update, audited by the entry below.
        field_values = ExtractedField.objects.filter(document_id__in=doc_ids).update(
            ocr_value="", final_value="", value_digest="", cell_confidences=[]
        )
        Document.objects.filter(pk__in=doc_ids).update(
            status=Document.Status.DISPOSED, disposed_at=now, updated_at=now
        )
        files += _dispose_source_files({source for _, _, source in rows})
        received = [timezone.localdate(created, timezone=TOKYO) for _, created, _ in rows]
        return _record(
            form_type,
            today,
            actor,
            received,
            documents=len(doc_ids),
            pages=len(pages),
            files=files,
            field_values=field_values,
            first_document_id=doc_ids[0],
            last_document_id=doc_ids[-1],
        )


def dispose_rejected_scans(
    sources: QuerySet[SourceFile], *, actor: User | None = None, today: date | None = None
) -> list[DisposalRecord]:
    """Dispose of those of SOURCES that are refused scans past retention on TODAY; one record
    per form type version. Running it again disposes nothing more."""
    today = today or today_in_tokyo()
    selected = rejected_scans_due(today).filter(pk__in=sources.values("pk"))
    records = []
    for form_type, ids in _by_form_type(selected):
        with transaction.atomic():
            rows = list(
                rejected_scans_due(today)
                # Only the scans' rows: PostgreSQL cannot lock the outer join's null side.
                .select_for_update(of=("self",))
                .filter(pk__in=ids)
                .only("file", "created_at")
            )
            if not rows:
                continue
            files = _remove_files(source.file for source in rows)
            # The file name goes too: people name scans after the person on them.
            SourceFile.objects.filter(pk__in=[r.pk for r in rows]).update(
                file="", original_name="", received_name=None
            )
            received = [timezone.localdate(r.created_at, timezone=TOKYO) for r in rows]
            records.append(
                _record(form_type, today, actor, received, files=files, rejected_files=len(rows))
            )
    return records


def _record(
    form_type: FormType,
    today: date,
    actor: User | None,
    received: list[date],
    *,
    files: int,
    documents: int = 0,
    pages: int = 0,
    field_values: int = 0,
    rejected_files: int = 0,
    first_document_id: int | None = None,
    last_document_id: int | None = None,
) -> DisposalRecord:
    """The DisposalRecord of one disposal and its audit entry (counts only, no names)."""
    record = DisposalRecord.objects.create(
        form_type=form_type,
        form_code=form_type.code,
        form_version=form_type.version,
        run_date=today,
        rule=RULE.format(years=form_type.retention_years),
        retention_years=form_type.retention_years,
        cutoff_date=expiry_cutoff(form_type, today),
        documents=documents,
        pages=pages,
        files=files,
        field_values=field_values,
        rejected_files=rejected_files,
        first_document_id=first_document_id,
        last_document_id=last_document_id,
        received_from=min(received),
        received_until=max(received),
        actor=actor,
        actor_label=actor.get_username() if actor else DisposalRecord.SYSTEM_ACTOR,
    )
    AuditEntry.objects.log_create(
        record,
        force_log=True,
        action=AuditEntry.Action.DELETE,
        actor=actor,
        additional_data={
            "disposal": record.pk,
            "form_type": form_type.pk,
            "documents": record.documents,
            "rejected_files": record.rejected_files,
            "actor": record.actor_label,
        },
    )
    return record


def _remove_files(fields: Iterable[FieldFile]) -> int:
    removed = 0
    for field in fields:
        if field:
            storage.remove_file(field)
            removed += 1
    return removed


def _dispose_source_files(source_ids: set[int]) -> int:
    """Delete the scans whose documents are all disposed now (a scan may hold several)."""
    still_kept = Document.objects.filter(source_file_id__in=source_ids).exclude(
        status=Document.Status.DISPOSED
    )
    sources = SourceFile.objects.filter(pk__in=source_ids).exclude(
        pk__in=still_kept.values("source_file_id")
    )
    removed = _remove_files(source.file for source in sources.only("file"))
    # The uploaded file name goes too: people name scans after the person on them.
    sources.update(file="", original_name="", received_name=None)
    return removed
