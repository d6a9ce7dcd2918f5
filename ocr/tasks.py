"""django-q2 task functions. They take IDs only: never values, images or My Numbers.

Task arguments and results are stored in the broker and the task table, so nothing personal
may pass through them. Each task is idempotent: running it twice leaves the same rows.
"""

from __future__ import annotations

from auditlog.context import set_actor
from django.db import transaction
from django_q.tasks import async_task

from audit.actors import system_actor


def _after_commit(func: str, object_id: int, *, task_name: str, group: str) -> None:
    """Queue ``func(object_id)`` once the surrounding transaction has committed: the row it
    reads is then there for the worker."""
    transaction.on_commit(
        lambda: async_task(f"ocr.tasks.{func}", object_id, task_name=task_name, group=group)
    )


def enqueue_document(document_id: int) -> None:
    """Queue a document for reading once the surrounding transaction has committed."""
    _after_commit(
        "process_document",
        document_id,
        task_name=f"document-{document_id}",
        group="process_document",
    )


def process_document(document_id: int) -> str:
    """Read one document; returns the outcome word (never a value).

    What the run changes is audited with the system actor named as such.
    """
    from ocr.processing import run_document

    with set_actor(system_actor()):
        return run_document(document_id)


def dispose_expired_task() -> dict[str, int]:
    """The daily disposal run (django-q2 schedule "dispose_expired"), as the system actor.

    Returns counts only: the result is stored in the task table.
    """
    from ocr.retention import (
        dispose,
        dispose_rejected_scans,
        documents_due,
        rejected_scans_due,
    )

    records = dispose(documents_due(), actor=None)
    records += dispose_rejected_scans(rejected_scans_due(), actor=None)
    return {
        "records": len(records),
        "documents": sum(r.documents for r in records),
        "pages": sum(r.pages for r in records),
        "files": sum(r.files for r in records),
        "field_values": sum(r.field_values for r in records),
        "rejected_files": sum(r.rejected_files for r in records),
    }


def release_lapsed_claims_task() -> int:
    """Every few minutes (schedule "release_lapsed_claims"): documents whose reviewer went
    away without a word go back to the queue, their sessions closed as lapsed. Returns a
    count only."""
    from ocr.review.services import release_lapsed_claims

    return release_lapsed_claims(acting_user=system_actor())


def enqueue_export(job_id: int) -> None:
    """Queue an export's file to be built once the surrounding transaction has committed."""
    _after_commit("build_export_task", job_id, task_name=f"export-{job_id}", group="build_export")


def build_export_task(job_id: int) -> str:
    """Build one export's file; returns the export's status word (never a value)."""
    from ocr.exports.services import build_export

    actor = system_actor()
    with set_actor(actor):
        return build_export(job_id, acting_user=actor).status


def enqueue_mark_exported(job_id: int) -> None:
    """Queue the marking of a downloaded export's documents once the download has committed."""
    _after_commit(
        "mark_exported_task", job_id, task_name=f"export-{job_id}-mark", group="mark_exported"
    )


def mark_exported_task(job_id: int) -> int:
    """A downloaded export's documents become 出力済 (as its requester); returns a count."""
    from ocr.exports.services import mark_documents_exported

    return mark_documents_exported(job_id)


def expire_exports_task() -> int:
    """Every hour (schedule "expire_exports"): requests nobody approved and files nobody
    fetched in time lapse, the files removed. Returns a count only."""
    from ocr.exports.services import expire_exports

    return expire_exports(acting_user=system_actor())
