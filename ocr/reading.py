"""Reading a scan of a form type, and judging each field: the pipeline without storage.

Used by the processing task (which stores the result), by ``read_form`` (which prints it) and
by the evaluation (which scores it), so all three read exactly the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from forms_catalog.models import FieldDefinition, FormPage, FormType
from ocr.pipeline.align import AlignmentResult, PreparedReference, align_page, prepare_reference
from ocr.pipeline.calibration import calibrate
from ocr.pipeline.engines.base import Engine, FieldGeometry, PageImages, Reading
from ocr.pipeline.read import PageReader
from ocr.pipeline.validate import (
    employment_income_confirms,
    employment_income_pairs,
    normalize,
    validate,
    validate_cross_fields,
)
from ocr.postal_codes import PostalLookup, candidates_for, check_addresses
from ocr.routing import route


@dataclass
class PageOutcome:
    number: int
    alignment: AlignmentResult | None
    reason: str = ""
    message: str = ""
    reference: np.ndarray | None = None

    @property
    def images(self) -> PageImages | None:
        """The aligned page with its reference, when alignment succeeded."""
        if self.alignment is None or not self.alignment.ok or self.reference is None:
            return None
        return PageImages(self.alignment.aligned, self.reference)


@dataclass
class ScanReading:
    pages: list[PageOutcome]
    readings: dict[str, Reading]
    timings_ms: dict[str, int] = field(default_factory=dict)

    @property
    def unaligned(self) -> set[int]:
        return {p.number for p in self.pages if p.alignment is None or not p.alignment.ok}

    @property
    def alignment_score(self) -> float:
        scores = [p.alignment.score if p.alignment else 0.0 for p in self.pages]
        return float(min(scores)) if scores else 0.0


@dataclass(frozen=True)
class Judgement:
    value: str
    confidence: float
    cell_confidences: tuple[float, ...]
    errors: tuple[str, ...]
    status: str
    cell_values: tuple[str, ...] = ()
    # The score that was calibrated: the engine's, or a confirmed pair's (fit maps on this).
    raw_confidence: float = 0.0


@lru_cache(maxsize=16)
def _reference(form_page_id: int, _name: str) -> tuple[np.ndarray, PreparedReference]:
    """The decoded blank and its feature pass, once per process per reference image."""
    page = FormPage.objects.get(pk=form_page_id)
    with page.reference_image.open("rb") as handle:
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("reference image cannot be decoded")
    return image, prepare_reference(image)


def default_engine() -> Engine:
    return PageReader()


def read_scan(
    form_type: FormType,
    images: list[np.ndarray],
    engine: Engine,
    definitions: list[FieldDefinition] | None = None,
) -> ScanReading:
    """Align each scanned page to its reference page and read the fields on it."""
    definitions = definitions if definitions is not None else list(form_type.fields.all())
    references = {p.number: p for p in form_type.pages.all()}
    outcomes: list[PageOutcome] = []
    readings: dict[str, Reading] = {}
    timings = {"align": 0, "read": 0}
    for number, image in enumerate(images, start=1):
        reference_page = references.get(number)
        if reference_page is None:
            outcomes.append(PageOutcome(number, None, "no_reference", "参照画像がありません。"))
            continue
        t0 = time.monotonic()
        reference, prepared = _reference(reference_page.pk, reference_page.reference_image.name)
        result = align_page(image, prepared, reference_dpi=form_type.dpi)
        t1 = time.monotonic()
        timings["align"] += round((t1 - t0) * 1000)
        outcome = PageOutcome(number, result, result.reason, result.message, reference)
        outcomes.append(outcome)
        if outcome.images is None:
            continue
        geometries = [
            FieldGeometry.from_dict(d.as_export_dict()) for d in definitions if d.page == number
        ]
        readings.update(engine.read_page(outcome.images, geometries))
        timings["read"] += round((time.monotonic() - t1) * 1000)
    return ScanReading(outcomes, readings, timings)


def judge(
    definitions: list[FieldDefinition],
    readings: dict[str, Reading],
    unaligned: set[int],
    thresholds: dict[str, float],
    postal_lookup: PostalLookup | None = candidates_for,
) -> dict[str, Judgement]:
    """Normalise, validate (field and cross-field), calibrate and route every field.

    A declared 支払金額 / 給与所得控除後の金額 pair that agrees by the national table confirms
    each reading that a single misread cell could not have left agreeing
    (``employment_income_confirms``): its raw confidence becomes 1 − (1 − c1)(1 − c2) before
    calibration. A pair that disagrees is an error on both fields.
    """
    values = {
        d.key: normalize(d.kind, readings[d.key].value) if d.key in readings else ""
        for d in definitions
    }
    salary_fields = {d.key: d.salary_field for d in definitions if d.salary_field}
    cross = validate_cross_fields(values, {d.key: d.kind for d in definitions}, salary_fields)
    raw = {key: reading.confidence for key, reading in readings.items()}
    for (income, salary), agrees in employment_income_pairs(values, salary_fields).items():
        if not (agrees and income in raw and salary in raw):
            continue
        both = 1.0 - (1.0 - raw[income]) * (1.0 - raw[salary])
        confirmed = employment_income_confirms(values[salary], values[income])
        for role, key in (("salary", salary), ("income", income)):
            if role in confirmed:
                raw[key] = both
    judged = {}
    for d in definitions:
        reading = readings.get(d.key)
        options = [o["value"] for o in d.options] if d.kind == "choice" else None
        errors = [
            e.code
            for e in validate(
                d.kind,
                values[d.key],
                required=d.required,
                options=options,
                days_ahead=d.days_ahead,
            )
        ]
        errors += [e.code for e in cross.get(d.key, [])]
        if d.page in unaligned:
            errors.append("page_not_aligned")
        confidence = calibrate(d.kind, raw[d.key]) if reading else 0.0
        judged[d.key] = Judgement(
            value=values[d.key],
            confidence=confidence,
            cell_confidences=reading.cell_confidences if reading else (),
            cell_values=reading.cell_values if reading else (),
            raw_confidence=raw[d.key] if reading else 0.0,
            errors=tuple(errors),
            status=route(d.kind, confidence, errors, thresholds),
        )
    # Addresses against Japan Post's areas of their postal code (None: not checked).
    if postal_lookup is not None:
        judged = check_addresses(definitions, judged, thresholds, postal_lookup)
    return judged
