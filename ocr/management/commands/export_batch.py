"""``manage.py export_batch BATCH_ID --user USERNAME [--encoding utf-8-sig|cp932] --out FILE``

The export of one batch's verified documents for an RPA schedule: the same acts, rights,
four-eyes rule and audit entries as the export screen, as the named person.

A batch whose export holds My Numbers is requested on the first run and waits for another
person's approval on the export screen (the command exits 3 and names the request); run
again once approved, it writes the file. Without My Numbers the file is written at once.
A refusal (no right, not one's department, nothing verified) exits 1 with the reason and
leaves an audit entry of the refusal.

Exit codes: 0 written, 1 refused, 3 awaiting approval. The file is written to a temporary
name beside ``--out`` and renamed into place, so an RPA tool never reads half a file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr.exports.services import (
    ExportRefused,
    build_export,
    download_export,
    mark_documents_exported,
    refuse_for_audit,
    request_export,
)
from ocr.models import Batch, ExportJob

E = ExportJob.Status
AWAITING_APPROVAL = 3
# How long to wait for a file another worker is writing.
WAIT_SECONDS = 120


class Command(BaseCommand):
    help = "Export the verified documents of a batch as CSV (for RPA), as the named user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--user", required=True, help="the person the export is made as")
        parser.add_argument(
            "--encoding", choices=ExportJob.Encoding.values, default=ExportJob.Encoding.UTF8_BOM
        )
        parser.add_argument("--out", required=True, type=Path, help="the CSV file to write")

    def handle(
        self, *args: Any, batch_id: int, user: str, encoding: str, out: Path, **options: Any
    ) -> None:
        person = User.objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {user!r}")
        batch = Batch.objects.select_related("form_type").filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"no batch #{batch_id}")
        try:
            job = self._job(batch, person, encoding)
            if job.status == E.AWAITING_APPROVAL:
                self.stderr.write(
                    f"export #{job.pk} holds My Numbers and awaits the approval of another "
                    "person with the export right (CSV exports in the admin); run again then."
                )
                raise SystemExit(AWAITING_APPROVAL)
            job = self._built(job, person)
            download = download_export(job, acting_user=person)
        except ExportRefused as refused:
            refuse_for_audit(person, batch, refused.code)
            raise CommandError(f"export refused ({refused.code}): {refused.message}") from None
        _write_atomically(out, download.content)
        mark_documents_exported(job.pk)
        self.stdout.write(f"export #{job.pk}: {download.rows} rows written to {out}")

    def _job(self, batch: Batch, person: User, encoding: str) -> ExportJob:
        """This person's open export of this batch in this encoding, or a new request."""
        open_job = (
            ExportJob.objects.filter(
                batch=batch,
                requested_by=person,
                encoding=encoding,
                status__in=[E.AWAITING_APPROVAL, E.QUEUED, E.BUILDING, E.READY],
            )
            .order_by("-requested_at")
            .first()
        )
        if open_job is not None:
            return open_job
        return request_export(batch.form_type, acting_user=person, encoding=encoding, batch=batch)

    def _built(self, job: ExportJob, person: User) -> ExportJob:
        """The job once its file is written: here, or by the worker already at it."""
        built = build_export(job.pk, acting_user=person)
        deadline = time.monotonic() + WAIT_SECONDS
        while built.status == E.BUILDING and time.monotonic() < deadline:
            time.sleep(1)
            built = build_export(job.pk, acting_user=person)
        job.refresh_from_db()
        if job.status == E.FAILED:
            problems = "; ".join(
                f"document #{p['document']} column {p['column']}: {p['reason']}"
                for p in job.problems[:20]
            )
            raise CommandError(f"export #{job.pk} failed: {job.error_message} {problems}")
        return job


def _write_atomically(out: Path, content: bytes) -> None:
    partial = out.with_name(out.name + ".partial")
    with open(partial, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, out)
