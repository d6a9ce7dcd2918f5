"""Reading one document: align its pages, read its fields, validate, route, store.

Called by the ``process_document`` task. Idempotent: a re-run replaces the machine readings
of a document that no person has touched yet, and adds one OcrRun per attempt.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from forms_catalog.models import FieldDefinition
from ocr import storage
from ocr.intake import page_images
from ocr.models import Batch, Document, ExtractedField, OcrRun, Page
from ocr.pipeline.engines.base import Engine
from ocr.pipeline.ingest import IngestError
from ocr.pipeline.read import PageReader, engine_versions
from ocr.reading import Judgement, ScanReading, default_engine, judge, read_scan
from ocr.routing import current_thresholds
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest

logger = logging.getLogger(__name__)

ROTATED_NOTE = "rotated_180: 上下逆にスキャンされていたため、180度回転して読み取りました。"

# Documents in these states may be (re-)read by the machine.
READABLE = (
    Document.Status.QUEUED,
    Document.Status.PROCESSING,
    Document.Status.FAILED,
    Document.Status.NEEDS_REVIEW,
    Document.Status.AUTO_ACCEPTED,
)


def _claim(document_id: int) -> bool:
    """Take the document for this run; False when a person already works on it.

    The "no field touched by a person" test is part of the conditional update itself: checked
    after it, a skipped run would leave the document in processing, a state nothing leaves, and
    checked before it, a correction could slip in between the check and the update.
    """
    touched = ExtractedField.objects.filter(
        document_id=OuterRef("pk"),
        status__in=[ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED],
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
    judged = judge(definitions, scan.readings, scan.unaligned, current_thresholds())
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
    rows = [
        ExtractedField(
            document=document,
            definition=d,
            ocr_value=judged[d.key].value,
            final_value=judged[d.key].value
            if judged[d.key].status == ExtractedField.Status.AUTO_ACCEPTED
            else "",
            value_digest=_digest(d, judged[d.key].value),
            confidence=judged[d.key].confidence,
            cell_confidences=list(judged[d.key].cell_confidences),
            validation_errors=list(judged[d.key].errors),
            status=judged[d.key].status,
        )
        for d in definitions
    ]
    ExtractedField.objects.filter(document=document).delete()
    ExtractedField.objects.bulk_create(rows)
    needs_review = any_unaligned or any(
        r.status == ExtractedField.Status.NEEDS_REVIEW for r in rows
    )
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.NEEDS_REVIEW if needs_review else Document.Status.AUTO_ACCEPTED
    )


def _digest(definition: FieldDefinition, value: str) -> str:
    if not definition.sensitive or not value:
        return ""
    normalized = mynumber.normalize(value) if definition.kind == "mynumber" else value
    return lookup_digest(normalized, settings.INDEX_HMAC_KEY)


def _update_batch(batch_id: int) -> None:
    pending = Document.objects.filter(
        batch_id=batch_id, status__in=[Document.Status.QUEUED, Document.Status.PROCESSING]
    ).exists()
    if not pending:
        Batch.objects.filter(pk=batch_id).update(status=Batch.Status.DONE)
