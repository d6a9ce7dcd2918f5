"""Reading one document: align its pages, read its fields, validate, route, store.

Called by the ``process_document`` task. Idempotent: a re-run replaces the machine readings
of a document that no person has touched yet, and adds one OcrRun per attempt.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from forms_catalog.models import FieldDefinition
from ocr import storage
from ocr.disclosure import value_digest
from ocr.intake import page_images
from ocr.models import Batch, Document, ExtractedField, OcrRun, Page
from ocr.pipeline.engines.base import Engine
from ocr.pipeline.ingest import IngestError
from ocr.pipeline.postal import ERROR_CODES as POSTAL_ERRORS
from ocr.pipeline.read import PageReader, engine_versions
from ocr.reading import Judgement, ScanReading, default_engine, judge, read_scan
from ocr.routing import current_thresholds
from ocr.transitions import DOCUMENT, check, sources_of

logger = logging.getLogger(__name__)

ROTATED_NOTE = "rotated_180: 上下逆にスキャンされていたため、180度回転して読み取りました。"

# Documents in these states may be (re-)read by the machine: those the status table lets into
# processing, and processing itself (a run that died mid-read is taken again).
READABLE = (*sources_of(DOCUMENT, Document.Status.PROCESSING), Document.Status.PROCESSING)


def _claim(document_id: int) -> bool:
    """Take the document for this run; False when a person already works on it.

    The "no field touched by a person" test is part of the conditional update itself: checked
    after it, a skipped run would leave the document in processing, a state nothing leaves, and
    checked before it, a correction could slip in between the check and the update.
    """
    # Touched: a field decided, a first blind entry waiting, or a digit cell checked.
    touched = ExtractedField.objects.filter(
        Q(status__in=[ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED])
        | Q(pending_entry_by__isnull=False)
        | Q(cell_checks__isnull=False),
        document_id=OuterRef("pk"),
    )
    claimed = (
        Document.objects.filter(pk=document_id, status__in=READABLE)
        .filter(~Exists(touched))
        .update(status=Document.Status.PROCESSING)
    )
    return claimed == 1


def run_document(document_id: int, engine: Engine | None = None) -> str:
    if not _claim(document_id):
        return "skipped"
    document = Document.objects.select_related("form_type").get(pk=document_id)
    run = OcrRun.objects.create(document=document, attempt=document.runs.count() + 1)
    started = time.monotonic()
    try:
        timings = _read_document(document, engine or default_engine(), run)
    except IngestError as exc:
        # The file's pages could not be decoded: its SourceFile now says why.
        logger.warning("document %s: pages cannot be decoded (%s)", document_id, exc.code)
        return _fail(document, run, started, exc.code, exc.message)
    except Exception as exc:
        # The class name only: an exception message may carry a value.
        logger.exception("document %s failed", document_id)
        return _fail(document, run, started, type(exc).__name__)
    _finish(run, started, OcrRun.Outcome.SUCCEEDED, timings, "")
    _update_batch(document.batch_id)
    return "succeeded"


def _fail(document: Document, run: OcrRun, started: float, code: str, message: str = "") -> str:
    _finish(run, started, OcrRun.Outcome.FAILED, {}, code, message)
    check(DOCUMENT, Document.Status.PROCESSING, Document.Status.FAILED)
    # Machine state, not a person's act: the OcrRun row is the record of what happened.
    Document.objects.filter(pk=document.pk).update(status=Document.Status.FAILED)
    _update_batch(document.batch_id)
    return "failed"


def _finish(
    run: OcrRun, started: float, outcome: str, timings: dict, error: str, message: str = ""
) -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.timings_ms = timings
    run.error_code = error[:64]
    run.error_message = message[:500]
    run.save(
        update_fields=[
            "outcome",
            "finished_at",
            "duration_ms",
            "timings_ms",
            "error_code",
            "error_message",
        ]
    )


def _read_document(document: Document, engine: Engine, run: OcrRun) -> dict:
    definitions = list(document.form_type.fields.all())
    pages = list(document.pages.all())
    t0 = time.monotonic()
    # Rasterised here, in the worker, the first time: never in the request that uploaded it.
    images = page_images(document, pages)
    scan = read_scan(document.form_type, images, engine, definitions)
    t1 = time.monotonic()
    _store_pages(document, pages, scan)
    run.engine_versions = (
        dict(engine_versions()) if isinstance(engine, PageReader) else {"engine": engine.name}
    )
    run.save(update_fields=["engine_versions"])
    thresholds = current_thresholds(document.form_type.code)
    judged = judge(definitions, scan.readings, scan.unaligned, thresholds)
    _store_fields(document, definitions, judged, bool(scan.unaligned))
    return {
        **scan.timings_ms,
        "decode": round((t1 - t0) * 1000) - sum(scan.timings_ms.values()),
        "store": round((time.monotonic() - t1) * 1000),
    }


def _store_pages(document: Document, pages: list[Page], scan: ScanReading) -> None:
    for page, outcome in zip(pages, scan.pages, strict=False):
        result = outcome.alignment
        page.alignment_score = float(result.score) if result else None
        if result is not None and result.ok:
            page.alignment = Page.Alignment.ALIGNED
            # An upside-down scan is read after turning it; the note says so.
            page.alignment_error = ROTATED_NOTE if result.rotated_180 else ""
            name = f"{document.pk}-{page.number}-aligned"
            storage.save_image(page.aligned_image, name, result.aligned)
        else:
            page.alignment = Page.Alignment.FAILED
            page.alignment_error = f"{outcome.reason}: {outcome.message}"[:200]
        page.save(
            update_fields=["alignment", "alignment_score", "alignment_error", "aligned_image"]
        )


@transaction.atomic
def _store_fields(
    document: Document,
    definitions: list[FieldDefinition],
    judged: dict[str, Judgement],
    any_unaligned: bool,
) -> None:
    rows = [_field_row(document, d, judged[d.key]) for d in definitions]
    ExtractedField.objects.filter(document=document).delete()
    ExtractedField.objects.bulk_create(rows)
    needs_review = any_unaligned or any(
        r.status == ExtractedField.Status.NEEDS_REVIEW for r in rows
    )
    status = Document.Status.NEEDS_REVIEW if needs_review else Document.Status.AUTO_ACCEPTED
    check(DOCUMENT, Document.Status.PROCESSING, status)
    Document.objects.filter(pk=document.pk).update(status=status)


def _field_row(
    document: Document, definition: FieldDefinition, judged: Judgement
) -> ExtractedField:
    status, reason = judged.status, review_reason(judged)
    if status == ExtractedField.Status.AUTO_ACCEPTED and is_quality_sample(document, definition):
        status, reason = ExtractedField.Status.NEEDS_REVIEW, ExtractedField.Reason.QA_SAMPLE
    accepted = status == ExtractedField.Status.AUTO_ACCEPTED
    return ExtractedField(
        document=document,
        definition=definition,
        ocr_value=judged.value,
        final_value=judged.value if accepted else "",
        value_digest=value_digest(definition, judged.value),
        confidence=judged.confidence,
        cell_confidences=list(judged.cell_confidences),
        ocr_cells="".join(c or " " for c in judged.cell_values),
        validation_errors=list(judged.errors),
        status=status,
        review_reason=reason,
    )


def review_reason(judged: Judgement) -> str:
    """Why a reading needs a person: the page, its value, or its confidence."""
    if judged.status != ExtractedField.Status.NEEDS_REVIEW:
        return ""
    if "page_not_aligned" in judged.errors:
        return ExtractedField.Reason.ALIGNMENT
    if set(judged.errors) & set(POSTAL_ERRORS.values()):
        return ExtractedField.Reason.POSTAL
    if judged.errors:
        return ExtractedField.Reason.VALIDATION
    return ExtractedField.Reason.LOW_CONFIDENCE


def is_quality_sample(document: Document, definition: FieldDefinition) -> bool:
    """Whether this auto-accepted reading is drawn into review as a quality sample.

    Drawn from a hash of the document and field, not a random number: reading the document
    again draws the same fields (the task is idempotent), and every kind is sampled at the
    same rate. The clerk is not told which fields are samples.
    """
    rate = settings.QA_SAMPLE_PER_MILLE
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"qa:{document.pk}:{definition.pk}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1000 < rate


def _update_batch(batch_id: int) -> None:
    pending = Document.objects.filter(
        batch_id=batch_id, status__in=[Document.Status.QUEUED, Document.Status.PROCESSING]
    ).exists()
    if not pending:
        Batch.objects.filter(pk=batch_id).update(status=Batch.Status.DONE)
