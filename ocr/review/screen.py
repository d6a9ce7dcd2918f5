"""What the review screen shows of a document: which fields ask for a decision, and how.

Plain functions building the template's rows; nothing here writes. Masking and the crops'
disclosure are ``ocr.disclosure``'s: a row carries the shown value and the crop URL with the
open's view token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from forms_catalog.kinds import FieldKind
from ocr.disclosure import CROP_MARGIN, field_extent, shown_value
from ocr.models import Document, ExtractedField
from ocr.pipeline.postal import is_postal_code, suggestion
from ocr.pipeline.validate import describe, latest_plausible
from ocr.postal_codes import candidates_for

# A cell whose digit the recogniser was less sure of than this is marked on the crop.
UNCERTAIN_CELL = 0.98


def is_blind(reading: ExtractedField) -> bool:
    """A My Number that needs a person is keyed in without seeing the reading."""
    return (
        reading.definition.kind == FieldKind.MYNUMBER
        and reading.status == ExtractedField.Status.NEEDS_REVIEW
    )


def uncertain_cells(reading: ExtractedField) -> list[int]:
    """Comb cells read with low confidence (only for readings routed for low confidence)."""
    if reading.review_reason not in (
        ExtractedField.Reason.LOW_CONFIDENCE,
        ExtractedField.Reason.VALIDATION,
    ):
        return []
    return [i for i, c in enumerate(reading.cell_confidences or []) if float(c) < UNCERTAIN_CELL]


def reason_text(reading: ExtractedField) -> str:
    """Why the field is shown. A quality sample reads like any uncertain field: the clerk
    must not know which fields are samples."""
    if reading.review_reason == ExtractedField.Reason.ALIGNMENT:
        return describe("page_not_aligned")
    errors = [describe(code) for code in reading.validation_errors if code != "page_not_aligned"]
    if errors:
        return " ".join(errors)
    return _("Check the reading against the image.")


def _cell_boxes(reading: ExtractedField, page_width: int, page_height: int) -> list[dict]:
    """The comb cells as percentages of the crop (the crop is the field's extent plus a
    margin, cut at the page's edge), each flagged when uncertain."""
    d = reading.definition
    if not d.is_comb:
        return []
    x0, y0, x1, y1 = field_extent(d)
    left, top = max(x0 - CROP_MARGIN, 0), max(y0 - CROP_MARGIN, 0)
    right, bottom = min(x1 + CROP_MARGIN, page_width), min(y1 + CROP_MARGIN, page_height)
    width, height = max(right - left, 1), max(bottom - top, 1)
    uncertain = set(uncertain_cells(reading))
    step = d.w / d.cells
    return [
        {
            "left": round((d.x + i * step - left) * 100 / width, 2),
            "top": round((d.y - top) * 100 / height, 2),
            "width": round(step * 100 / width, 2),
            "height": round(d.h * 100 / height, 2),
            "uncertain": i in uncertain,
        }
        for i in range(d.cells)
    ]


@dataclass
class FieldRow:
    pk: int
    key: str
    label: str
    kind: str
    required: bool
    sensitive: bool
    value: str
    blind: bool
    reason: str
    status: str
    decided: bool
    crop_url: str
    box: dict[str, float]
    cells: list[dict] = field(default_factory=list)
    pending_other: bool = False
    choices: list[str] = field(default_factory=list)
    # An address's areas of its postal code (Japan Post): {"label": area, "fill": value}.
    areas: list[dict[str, str]] = field(default_factory=list)
    # A date's last plausible day (ISO), for the screen's own check; "" for other kinds.
    latest: str = ""


def field_rows(
    document: Document,
    readings: list[ExtractedField],
    *,
    revealed: bool,
    view_token: str,
    user_id: int,
) -> tuple[list[FieldRow], list[FieldRow]]:
    """(fields that ask for a decision, the others): the first in the screen's order."""
    form = document.form_type
    query = urlencode({"view": view_token})
    asks: list[FieldRow] = []
    shown = {r.definition.key: shown_value(r, revealed=revealed) for r in readings}
    others: list[FieldRow] = []
    for reading in readings:
        d = reading.definition
        blind = is_blind(reading)
        crop = reverse("admin:ocr_document_crop", args=[document.pk, reading.pk])
        waiting = reading.status == ExtractedField.Status.NEEDS_REVIEW
        row = FieldRow(
            pk=reading.pk,
            key=d.key,
            label=d.label,
            kind=d.kind,
            required=d.required,
            sensitive=d.sensitive,
            value="" if blind else _input_value(reading, revealed=revealed),
            blind=blind,
            reason=reason_text(reading) if waiting else "",
            status=reading.get_status_display(),
            decided=not waiting,
            crop_url=f"{crop}?{query}",
            box={
                "left": round(d.x * 100 / form.page_width, 2),
                "top": round(d.y * 100 / form.page_height, 2),
                "width": round(d.w * 100 / form.page_width, 2),
                "height": round(d.h * 100 / form.page_height, 2),
                "page": d.page,
            },
            cells=_cell_boxes(reading, form.page_width, form.page_height),
            pending_other=bool(
                blind
                and reading.pending_entry
                and form.second_entry_by_other_clerk
                and reading.pending_entry_by_id == user_id
            ),
            choices=[str(o["value"]) for o in d.options] if d.kind == FieldKind.CHOICE else [],
            latest=_latest(d.kind, d.days_ahead),
        )
        if waiting and d.postal_code_field:
            row.areas = postal_areas(row.value, shown.get(d.postal_code_field, ""))
        (asks if waiting else others).append(row)
    return asks, others


def _latest(kind: str, days_ahead: int | None) -> str:
    if kind not in (FieldKind.DATE, FieldKind.WAREKI_DATE):
        return ""
    return latest_plausible(days_ahead).isoformat()


def postal_areas(address: str, postal_code: str) -> list[dict[str, str]]:
    """The areas of the postal code, each with the address it would make (picked by a click)."""
    candidates = candidates_for(postal_code) if is_postal_code(postal_code) else None
    return [{"label": c.area, "fill": suggestion(address, c)} for c in candidates or ()]


def _input_value(reading: ExtractedField, *, revealed: bool) -> str:
    return shown_value(reading, revealed=revealed)


def template_rows(rows: list[FieldRow]) -> list[dict[str, Any]]:
    return [row.__dict__ for row in rows]
