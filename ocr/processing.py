"""Reading one document: align its pages, read its fields, validate, route, store.

Called by the ``process_document`` task. Idempotent: a re-run replaces the machine readings
of a document that no person has touched yet, and adds one OcrRun per attempt.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

import cv2
import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from forms_catalog.models import FieldDefinition, FormPage
from ocr import storage
from ocr.models import Batch, Document, ExtractedField, OcrRun, Page
from ocr.pipeline.align import align_page
from ocr.pipeline.engines.base import Engine, FieldGeometry, PageImages, Reading
from ocr.pipeline.validate import normalize, validate, validate_cross_fields
from ocr.routing import current_thresholds, route
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest

logger = logging.getLogger(__name__)

# Documents in these states may be (re-)read by the machine.
READABLE = (
    Document.Status.QUEUED,
    Document.Status.PROCESSING,
    Document.Status.FAILED,
    Document.Status.NEEDS_REVIEW,
    Document.Status.AUTO_ACCEPTED,
)


@lru_cache(maxsize=16)
def _reference(form_page_id: int, _name: str) -> np.ndarray:
    page = FormPage.objects.get(pk=form_page_id)
    with page.reference_image.open("rb") as handle:
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("reference image cannot be decoded")
    return image


def default_engine() -> Engine:
    from ocr.pipeline.read import PipelineEngine

    return PipelineEngine()


def _claim(document_id: int) -> bool:
    """Take the document for this run; False when a person already works on it."""
    claimed = Document.objects.filter(pk=document_id, status__in=READABLE).update(
        status=Document.Status.PROCESSING
    )
    if not claimed:
        return False
    touched = ExtractedField.objects.filter(
        document_id=document_id,
        status__in=[ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED],
    ).exists()
    return not touched


def run_document(document_id: int, engine: Engine | None = None) -> str:
    if not _claim(document_id):
        return "skipped"
    document = Document.objects.select_related("form_type").get(pk=document_id)
    attempt = document.runs.count() + 1
    run = OcrRun.objects.create(document=document, attempt=attempt)
    started = time.monotonic()
    try:
        timings = _read_document(document, engine or default_engine(), run)
    except Exception as exc:
        # The class name only: an exception message may carry a value.
        logger.exception("document %s failed", document_id)
        _finish(run, started, OcrRun.Outcome.FAILED, {}, type(exc).__name__)
        Document.objects.filter(pk=document_id).update(status=Document.Status.FAILED)
        _update_batch(document.batch_id)
        return "failed"
    _finish(run, started, OcrRun.Outcome.SUCCEEDED, timings, "")
    _update_batch(document.batch_id)
    return "succeeded"


def _finish(run: OcrRun, started: float, outcome: str, timings: dict, error: str) -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.timings_ms = timings
    run.error_code = error[:64]
    run.save(update_fields=["outcome", "finished_at", "duration_ms", "timings_ms", "error_code"])


def _read_document(document: Document, engine: Engine, run: OcrRun) -> dict:
    definitions = list(document.form_type.fields.all())
    reference_pages = {p.number: p for p in document.form_type.pages.all()}
    readings: dict[str, Reading] = {}
    unaligned: set[int] = set()
    timings = {"align": 0.0, "read": 0.0}
    for page in document.pages.all():
        t0 = time.monotonic()
        reference_page = reference_pages.get(page.number)
        if reference_page is None:
            _mark_unaligned(page, "no_reference", "この様式にはこのページの参照画像がありません。")
            unaligned.add(page.number)
            continue
        reference = _reference(reference_page.pk, reference_page.reference_image.name)
        result = align_page(
            storage.read_image(page.image), reference, reference_dpi=document.form_type.dpi
        )
        page.alignment_score = float(result.score)
        if not result.ok:
            _mark_unaligned(page, result.reason, result.message)
            unaligned.add(page.number)
            continue
        page.alignment = Page.Alignment.ALIGNED
        page.alignment_error = ""
        storage.save_image(
            page.aligned_image, f"{document.pk}-{page.number}-aligned", result.aligned
        )
        page.save(
            update_fields=["alignment", "alignment_score", "alignment_error", "aligned_image"]
        )
        t1 = time.monotonic()
        geometries = [
            FieldGeometry.from_dict(d.as_export_dict())
            for d in definitions
            if d.page == page.number
        ]
        readings.update(engine.read_page(PageImages(result.aligned, reference), geometries))
        timings["align"] += round((t1 - t0) * 1000)
        timings["read"] += round((time.monotonic() - t1) * 1000)
    run.engine_versions = getattr(engine, "versions", lambda: {})()
    run.save(update_fields=["engine_versions"])
    _store_fields(document, definitions, readings, unaligned)
    return timings


def _mark_unaligned(page: Page, reason: str, message: str) -> None:
    page.alignment = Page.Alignment.FAILED
    page.alignment_error = f"{reason}: {message}"[:200]
    page.save(update_fields=["alignment", "alignment_score", "alignment_error"])


@transaction.atomic
def _store_fields(
    document: Document,
    definitions: list[FieldDefinition],
    readings: dict[str, Reading],
    unaligned: set[int],
) -> None:
    thresholds = current_thresholds()
    values = {
        d.key: normalize(d.kind, readings[d.key].value) if d.key in readings else ""
        for d in definitions
    }
    cross = validate_cross_fields(values, {d.key: d.kind for d in definitions})
    rows = []
    for definition in definitions:
        reading = readings.get(definition.key)
        value = values[definition.key]
        options = [o["value"] for o in definition.options] if definition.kind == "choice" else None
        errors = validate(definition.kind, value, required=definition.required, options=options)
        errors += cross.get(definition.key, [])
        codes = [e.code for e in errors]
        if definition.page in unaligned:
            codes.append("page_not_aligned")
        confidence = reading.confidence if reading else 0.0
        status = route(definition.kind, confidence, codes, thresholds)
        rows.append(
            ExtractedField(
                document=document,
                definition=definition,
                ocr_value=value,
                final_value=value if status == ExtractedField.Status.AUTO_ACCEPTED else "",
                value_digest=_digest(definition, value),
                confidence=confidence,
                cell_confidences=list(reading.cell_confidences) if reading else [],
                validation_errors=codes,
                status=status,
            )
        )
    ExtractedField.objects.filter(document=document).delete()
    ExtractedField.objects.bulk_create(rows)
    needs_review = any(r.status == ExtractedField.Status.NEEDS_REVIEW for r in rows) or unaligned
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
