"""Every act on a CSV export: request, approve (four-eyes), build, download, expire.

Like the review acts (``ocr.review.services``), each takes the person as the keyword-only
``acting_user``, moves the export's status only through ``ocr.transitions`` and writes with
``save(update_fields=...)``: django-auditlog records each change of an ``ExportJob`` with the
act's name, and the download writes the access entry the officer reads (who, which
documents, how many rows, which columns, whether My Numbers were in it). A refused act
raises ``ExportRefused`` with a stable code and a message for the person.

The rule of four eyes: an export whose columns hold a My Number is requested by one person
with the export right and approved by a second, different person with the export right on
that form type before it is built; requests lapse. An export without one is built at once.
Only the person who asked may download the file, once, before it lapses; the file is
removed when it has been downloaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.access import Access, log_access
from forms_catalog.models import FormType
from ocr.exports.columns import Column, column_of, default_columns, render_rows
from ocr.exports.csvfile import EncodingRefused, write_csv
from ocr.models import Batch, Document, ExportJob, ExtractedField
from ocr.permissions import can_export, can_view_mynumber, visible_batches, visible_documents
from ocr.review.services import acting_as
from ocr.services import EXPORTABLE, mark_exported
from ocr.storage import read_file, remove_file, save_file
from ocr.transitions import move_export

E = ExportJob.Status
# Documents read per query while a file is built (and the progress bar's step).
CHUNK = 200
# A build that has not finished after this long died with its worker: it may be taken again.
BUILD_LEASE = timedelta(minutes=30)


class ExportRefused(Exception):
    """An export act that cannot be done: ``code`` is stable, ``message`` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _save(job: ExportJob, act: str, fields: list[str]) -> None:
    job.audit_act = act
    job.save(update_fields=fields)


# --------------------------------------------------------------------------- what is written


def export_columns(form_type: FormType) -> list[Column]:
    """The form type version's mapping, or the default columns when it has none."""
    definitions = list(form_type.fields.order_by("order", "id"))
    stored = list(form_type.export_columns.all())
    if not stored:
        return default_columns(definitions)
    sensitive = {definition.key for definition in definitions if definition.sensitive}
    return [column_of(row, sensitive) for row in stored]


def exportable(
    form_type: FormType,
    *,
    user: User,
    batch: Batch | None = None,
    verified_from: datetime.date | None = None,
    verified_until: datetime.date | None = None,
) -> QuerySet[Document]:
    """Verified documents (exported ones too: a file can be written again) of the form type
    in the person's departments, by batch or by the day they were verified (Tokyo time)."""
    documents = visible_documents(user).filter(form_type=form_type, status__in=EXPORTABLE)
    if batch is not None:
        documents = documents.filter(batch=batch)
    if verified_from is not None:
        documents = documents.filter(verified_at__date__gte=verified_from)
    if verified_until is not None:
        documents = documents.filter(verified_at__date__lte=verified_until)
    return documents


def values_by_document(ids: list[int]) -> Iterator[tuple[int, int, dict[str, str]]]:
    """(document id, batch id, decided values by field key) of those of ``ids`` still
    exportable, in id order: one query for the documents and one for their fields (give it
    at most ``CHUNK`` ids at a time)."""
    fields = ExtractedField.objects.select_related("definition").only(
        "document_id", "status", "ocr_value", "final_value", "definition__key"
    )
    documents = (
        Document.objects.filter(pk__in=ids, status__in=EXPORTABLE)
        .only("pk", "batch_id")
        .prefetch_related(Prefetch("fields", queryset=fields))
        .order_by("pk")
    )
    for document in documents:
        values = {field.definition.key: field.value for field in document.fields.all()}
        yield document.pk, document.batch_id, values


# --------------------------------------------------------------------------- acts


def _refuse_without_right(user: User, form_type: FormType) -> None:
    if not can_export(user, form_type):
        raise ExportRefused("no_export_right", _("You may not export this form type."))


@transaction.atomic
def request_export(
    form_type: FormType,
    *,
    acting_user: User,
    encoding: str = ExportJob.Encoding.UTF8_BOM,
    batch: Batch | None = None,
    verified_from: datetime.date | None = None,
    verified_until: datetime.date | None = None,
) -> ExportJob:
    """Ask for a file of the verified documents of a batch or of a range of days.

    With a My Number column it waits for a second person's approval; without, it is queued
    for the background task at once.
    """
    _refuse_without_right(acting_user, form_type)
    if encoding not in ExportJob.Encoding.values:
        raise ExportRefused("encoding", _("Choose UTF-8 or Shift_JIS (CP932)."))
    if batch is not None and (
        batch.form_type_id != form_type.pk or not visible_batches(acting_user).filter(pk=batch.pk)
    ):
        raise ExportRefused("batch_not_visible", _("This batch is not one of your department's."))
    columns = export_columns(form_type)
    includes_mynumber = any(column.sensitive for column in columns)
    if includes_mynumber and not can_view_mynumber(acting_user, form_type):
        raise ExportRefused(
            "no_mynumber_right",
            _("This export holds My Numbers: only staff who may see them can request it."),
        )
    documents = exportable(
        form_type,
        user=acting_user,
        batch=batch,
        verified_from=verified_from,
        verified_until=verified_until,
    )
    ids = list(
        documents.order_by("pk").values_list("pk", flat=True)[: settings.EXPORT_MAX_DOCUMENTS + 1]
    )
    if not ids:
        raise ExportRefused("nothing_to_export", _("No verified document to export."))
    if len(ids) > settings.EXPORT_MAX_DOCUMENTS:
        raise ExportRefused(
            "too_many",
            _("More than %(limit)s documents: export a shorter range of days.")
            % {"limit": settings.EXPORT_MAX_DOCUMENTS},
        )
    now = timezone.now()
    job = ExportJob(
        form_type=form_type,
        batch=batch,
        verified_from=verified_from,
        verified_until=verified_until,
        encoding=encoding,
        includes_mynumber=includes_mynumber,
        status=E.AWAITING_APPROVAL if includes_mynumber else E.QUEUED,
        document_ids=ids,
        columns=[column.header for column in columns],
        requested_by=acting_user,
        requested_at=now,
        approval_expires_at=(
            now + timedelta(hours=settings.EXPORT_APPROVAL_HOURS) if includes_mynumber else None
        ),
    )
    job.audit_act = "request_export"
    with acting_as(acting_user):
        job.save()
    if job.status == E.QUEUED:
        _enqueue_build(job)
    return job


def _lock(job: ExportJob) -> ExportJob:
    return ExportJob.objects.select_for_update().get(pk=job.pk)


def approve_export(job: ExportJob, *, acting_user: User) -> ExportJob:
    """The second pair of eyes: another person with the export right lets the file be built."""
    _lapse(job, acting_user)
    return _approve(job, acting_user)


@transaction.atomic
def _approve(job: ExportJob, acting_user: User) -> ExportJob:
    job = _lock(job)
    if job.status == E.EXPIRED:
        raise ExportRefused("expired", _("This request has lapsed: ask for the export again."))
    if job.status != E.AWAITING_APPROVAL:
        raise ExportRefused("not_awaiting", _("This export does not wait for an approval."))
    if job.requested_by_id == acting_user.pk:
        raise ExportRefused(
            "same_person",
            _("An export with My Numbers is approved by someone other than its requester."),
        )
    _refuse_without_right(acting_user, job.form_type)
    move_export(job, E.QUEUED)
    job.approved_by = acting_user
    job.approved_at = timezone.now()
    with acting_as(acting_user):
        _save(job, "approve_export", ["status", "approved_by", "approved_at"])
    _enqueue_build(job)
    return job


def _enqueue_build(job: ExportJob) -> None:
    from ocr.tasks import enqueue_export

    enqueue_export(job.pk)


@dataclass(frozen=True)
class Built:
    status: str
    rows: int


def build_export(job_id: int, *, acting_user: User) -> Built:
    """Write the file of a queued export (the background task, or ``export_batch``).

    Not one transaction: the progress (``rows_done``) is committed as the rows are written,
    so the requester's page shows it. Only one builder holds a job; a build whose worker
    died is taken again after ``BUILD_LEASE``.
    """
    job = _start_build(job_id, acting_user)
    if job is None:
        current = ExportJob.objects.get(pk=job_id)
        return Built(current.status, current.row_count or 0)
    columns = export_columns(job.form_type)
    rows: list[tuple[int, list[str]]] = []
    problems = []
    for start in range(0, len(job.document_ids), CHUNK):
        chunk = job.document_ids[start : start + CHUNK]
        chunk_rows, chunk_problems = render_rows(columns, values_by_document(chunk))
        rows += chunk_rows
        problems += [
            {"document": p.document_id, "column": p.column, "reason": p.reason}
            for p in chunk_problems
        ]
        # Documents looked at (one disposed since the request is looked at too): the bar
        # reaches the request's count.
        job.rows_done += len(chunk)
        job.save(update_fields=["rows_done"])  # progress: excluded from the audit registry
    header = [column.header for column in columns]
    body = b""
    if not problems:
        try:
            body = write_csv(header, rows, encoding=job.encoding)
        except EncodingRefused as refused:
            problems += [
                {
                    "document": p.document_id,
                    "column": p.column,
                    "reason": _("not in Shift_JIS: %(characters)s")
                    % {"characters": " ".join(p.characters)},
                }
                for p in refused.problems
            ]
    return _finish_build(job.pk, acting_user, header, rows, problems, body)


@transaction.atomic
def _start_build(job_id: int, acting_user: User) -> ExportJob | None:
    job = ExportJob.objects.select_for_update().select_related("form_type").get(pk=job_id)
    now = timezone.now()
    stale = job.status == E.BUILDING and (
        job.build_started_at is None or job.build_started_at < now - BUILD_LEASE
    )
    if job.status != E.QUEUED and not stale:
        return None
    move_export(job, E.BUILDING)
    job.build_started_at = now
    job.rows_done = 0
    with acting_as(acting_user):
        _save(job, "build_export", ["status", "build_started_at", "rows_done"])
    return job


@transaction.atomic
def _finish_build(
    job_id: int,
    acting_user: User,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    problems: list[dict[str, object]],
    body: bytes,
) -> Built:
    job = _lock(ExportJob(pk=job_id))
    job.problems = problems
    job.columns = header
    if problems:
        move_export(job, E.FAILED)
        job.error_message = _(
            "%(count)s cells could not be written: correct them or the mapping."
        ) % {"count": len(problems)}
        with acting_as(acting_user):
            _save(job, "build_export", ["status", "problems", "columns", "error_message"])
        return Built(job.status, 0)
    move_export(job, E.READY)
    save_file(job.file, f"export-{job.pk}.csv", body)
    job.row_count = len(rows)
    job.written_ids = [document_id for document_id, _cells in rows]
    job.download_expires_at = timezone.now() + timedelta(hours=settings.EXPORT_DOWNLOAD_HOURS)
    with acting_as(acting_user):
        _save(
            job,
            "build_export",
            [
                "status",
                "file",
                "row_count",
                "written_ids",
                "columns",
                "problems",
                "download_expires_at",
            ],
        )
    return Built(job.status, job.row_count)


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    rows: int


def download_export(job: ExportJob, *, acting_user: User) -> Download:
    """The file, once, to the person who asked for it; its documents become 出力済 right after
    (``mark_documents_exported``, queued when this commits)."""
    _lapse(job, acting_user)
    return _download(job, acting_user)


@transaction.atomic
def _download(job: ExportJob, acting_user: User) -> Download:
    job = _lock(job)
    if job.requested_by_id != acting_user.pk:
        raise ExportRefused(
            "not_requester", _("Only the person who requested an export may download it.")
        )
    _refuse_without_right(acting_user, job.form_type)
    if job.status == E.DOWNLOADED:
        raise ExportRefused("downloaded", _("This file has been downloaded already."))
    if job.status == E.EXPIRED:
        raise ExportRefused("expired", _("This export has lapsed: ask for it again."))
    if job.status != E.READY:
        raise ExportRefused("not_ready", _("This file is not ready."))
    content = read_file(job.file)
    remove_file(job.file)
    move_export(job, E.DOWNLOADED)
    job.downloaded_at = timezone.now()
    with acting_as(acting_user):
        _save(job, "download_export", ["status", "file", "downloaded_at"])
    log_access(
        acting_user,
        job,
        Access.EXPORT,
        count=job.row_count,
        details={
            "export": job.pk,
            "documents": job.written_ids,
            "columns": job.columns,
            "mynumbers": job.includes_mynumber,
            "encoding": job.encoding,
            "approved_by": job.approved_by_id,
        },
    )
    # Marking thousands of documents (one audited save each) is not work for a request.
    from ocr.tasks import enqueue_mark_exported

    enqueue_mark_exported(job.pk)
    return Download(f"{job.form_type.code}-{job.pk}.csv", content, job.row_count or 0)


def mark_documents_exported(job_id: int) -> int:
    """After a download: the file's documents become 出力済, as the person who fetched it
    (the task ``mark_exported_task``, or ``export_batch`` itself). Each is an audited save,
    ``CHUNK`` documents per transaction; run twice, it marks nothing twice."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status != E.DOWNLOADED or job.requested_by is None:
        return 0
    pending = list(
        Document.objects.filter(pk__in=job.written_ids)
        .exclude(exported_at__gte=job.downloaded_at)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    marked = 0
    for start in range(0, len(pending), CHUNK):
        chunk = Document.objects.filter(pk__in=pending[start : start + CHUNK])
        marked += mark_exported(chunk, acting_user=job.requested_by)
    return marked


@transaction.atomic
def _lapse(job: ExportJob, acting_user: User) -> bool:
    """Its own transaction: a lapse stands even when the act that found it is refused."""
    locked = _lock(job)
    with acting_as(acting_user):
        return _expire_if_lapsed(locked, timezone.now())


def _expire_if_lapsed(job: ExportJob, now: datetime.datetime) -> bool:
    """A request nobody approved in time, or a file nobody fetched in time, lapses (locked)."""
    lapses: dict[str, datetime.datetime | None] = {
        E.AWAITING_APPROVAL: job.approval_expires_at,
        E.READY: job.download_expires_at,
    }
    until = lapses.get(job.status)
    if until is None or until >= now:
        return False
    move_export(job, E.EXPIRED)
    remove_file(job.file)
    _save(job, "expire_export", ["status", "file"])
    return True


def expire_exports(*, acting_user: User) -> int:
    """The sweep (schedule "expire_exports"): lapsed requests and unfetched files; returns a
    count. Each job in its own transaction, locked, as the acts above do it."""
    now = timezone.now()
    lapsed = ExportJob.objects.filter(
        Q(status=E.AWAITING_APPROVAL, approval_expires_at__lt=now)
        | Q(status=E.READY, download_expires_at__lt=now)
    )
    return sum(_lapse(job, acting_user) for job in lapsed.only("pk"))


def refuse_for_audit(user: User | None, obj: Batch | FormType, code: str) -> None:
    """An export refused to a command's named user: an entry of the refusal, no values."""
    log_access(user, obj, Access.EXPORT_REFUSED, details={"refusal": code})
