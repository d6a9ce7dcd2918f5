"""From an aligned page to one ``Reading`` per field (pipeline step 4).

``read_page`` dispatches by field kind:

- comb kinds (mynumber, corporate_number, digits, amount, postal_code, phone, date,
  wareki_date): the cells of ALL comb fields of the page are cut (``cells.comb_cells``) and
  read by ONE ``read_cells`` call of the digit recogniser, then assembled per field;
- katakana: the handwritten katakana line recogniser (``engines/kana.py``, a CTC network
  trained on synthetic handwriting) by default;
- text_ja: the text engine (Tesseract by default);
- checkbox / choice: the mark engine (ink added to the blank reference).

Comb assembly and confidence:

- A field's confidence is the product of its cell confidences (each cell's calibrated
  probability that "this digit" or "empty" is right): the value is right only if every cell
  is, and cell errors are close to independent.
- amount is written right-aligned: empty cells are dropped. Other kinds are written from the
  left: an empty cell between digits (a gap) is kept out of the value but multiplies the
  confidence by ``GAP_PENALTY`` and adds the note ``gap``; so does a gap inside an amount.
- A value that cannot be right for its kind (``validate.validate``: a failed check digit, a
  day that does not exist or lies outside its era or the field's window, a phone number of
  the wrong length for its prefix, ...) means at least one cell is wrong. The single-cell
  substitution (from the cells' class probabilities) that makes it valid and is most
  probable is taken if it is plausible (note ``check_digit_repaired`` for mynumber /
  corporate_number, ``repaired`` for the others); the confidence is its share among the
  valid alternatives, capped at ``REPAIR_CAP``. Otherwise the confidence is capped at
  ``CHECK_FAIL_CAP`` (note ``check_digit_failed`` / ``invalid``): validation sends it to a
  person anyway, and the cap keeps such readings from bending the calibration.
- wareki_date = era (circled option; a lone printed era is implied) + YY.MM.DD from the six
  cells -> "R07.12.01"; its confidence also multiplies the era's.
- date = eight cells YYYYMMDD -> "2025-12-01".
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

import cv2
import numpy as np

from forms_catalog.kinds import COMB_KINDS, FieldKind
from ocr.pipeline import cells
from ocr.pipeline.engines import marks as marks_module
from ocr.pipeline.engines.base import Engine, FieldGeometry, PageImages, Reading
from ocr.pipeline.validate import validate
from yomitoru.lib import corporate_number, mynumber

ENGINE_NAME = "yomitoru"
DIGITS_ENGINE = "digits-cnn"
GAP_PENALTY = 0.2
CHECK_FAIL_CAP = 0.02
REPAIR_CAP = 0.5
REPAIR_MIN_RATIO = 0.02  # an alternative digit this much less likely than the top is implausible

KANA_KINDS = frozenset({FieldKind.KATAKANA})  # the katakana line recogniser
TEXT_KINDS = frozenset({FieldKind.TEXT_JA})  # the text engine (Tesseract)
MARK_KINDS = frozenset({FieldKind.CHECKBOX, FieldKind.CHOICE})


class CellReading(Protocol):
    """One comb cell read (``digits.DigitReading``): digit or None, confidence, class probs."""

    @property
    def digit(self) -> str | None: ...

    @property
    def confidence(self) -> float: ...

    @property
    def probs(self) -> tuple[float, ...]: ...


class CellReader(Protocol):
    """What read_page needs of the digit recogniser (``DigitRecognizer``)."""

    def read_cells(self, cells: list[np.ndarray]) -> Sequence[CellReading]: ...


@functools.cache
def default_digits() -> CellReader:
    from ocr.pipeline.engines.digits import DigitRecognizer

    return DigitRecognizer()


def default_text() -> Engine:
    from ocr.pipeline.engines.tesseract import TesseractEngine

    return TesseractEngine()


@functools.cache
def default_kana() -> Engine:
    from ocr.pipeline.engines.kana import KanaRecognizer

    return KanaRecognizer()


# --------------------------------------------------------------------------- comb assembly


def _product(values: Sequence[float]) -> float:
    p = 1.0
    for v in values:
        p *= float(v)
    return p


def _has_gap(digits: Sequence[str | None]) -> bool:
    filled = [i for i, d in enumerate(digits) if d is not None]
    return bool(filled) and filled[-1] - filled[0] + 1 != len(filled)


_CHECKED: dict[str, Callable[[str], bool]] = {
    FieldKind.MYNUMBER: mynumber.is_valid,
    FieldKind.CORPORATE_NUMBER: corporate_number.is_valid,
}

Cells = Sequence[str | None]


def repair_cells(
    readings: Sequence[CellReading],
    spell: Callable[[Cells], str],
    is_valid: Callable[[str], bool],
) -> tuple[list[str | None], int, float, float] | None:
    """Best single-cell substitution whose value is valid: (digits, cell, cell prob, share).

    ``spell`` turns the cells' digits into the field's value, ``is_valid`` judges it. Only
    cells read as a digit are substituted, and only by a digit at least ``REPAIR_MIN_RATIO``
    as probable as the one read. ``share`` is the substitution's probability among all valid
    ones; None if none is plausible.
    """
    top = [r.digit for r in readings]
    candidates: list[tuple[float, int, int, float]] = []
    for i, r in enumerate(readings):
        if len(r.probs) != 10 or r.digit is None:
            continue
        p_top = max(float(r.probs[int(r.digit)]), 1e-9)
        for k in range(10):
            ratio = float(r.probs[k]) / p_top
            if str(k) == r.digit or ratio < REPAIR_MIN_RATIO:
                continue
            if is_valid(spell([*top[:i], str(k), *top[i + 1 :]])):
                candidates.append((ratio, i, k, float(r.probs[k])))
    if not candidates:
        return None
    total = sum(c[0] for c in candidates)
    ratio, index, digit, cell_p = max(candidates)
    return [*top[:index], str(digit), *top[index + 1 :]], index, cell_p, ratio / total


def repair_check_digit(
    kind: str, readings: Sequence[CellReading]
) -> tuple[str, float, float] | None:
    """Best single-cell substitution that passes the check digit: (value, cell conf, share)."""
    repaired = repair_cells(readings, _joined, _CHECKED[kind])
    if repaired is None:
        return None
    digits, _index, cell_p, share = repaired
    return _joined(digits), cell_p, share


def _joined(digits: Cells) -> str:
    return "".join(d for d in digits if d is not None)


def spell(kind: str, digits: Cells, era_value: str = "") -> str:
    """A comb field's value from its cells' digits (None = empty cell)."""
    raw = _joined(digits)
    if kind == FieldKind.DATE and len(raw) == 8 and not _has_gap(digits):
        return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    if kind == FieldKind.WAREKI_DATE:
        if not raw:
            return ""
        if len(raw) == 6 and not _has_gap(digits) and era_value:
            return f"{era_value}{raw[:2]}.{raw[2:4]}.{raw[4:]}"
        return f"{era_value}{raw}"
    return raw


def _validity(field: FieldGeometry) -> Callable[[str], bool]:
    def is_valid(value: str) -> bool:
        return not validate(field.kind, value, required=False, days_ahead=field.days_ahead)

    return is_valid


def assemble_comb(
    field: FieldGeometry, readings: Sequence[CellReading], era: marks_module.MarkDecision | None
) -> Reading:
    """One comb field's Reading from its cells (and the era decision for wareki_date)."""
    digits: list[str | None] = [r.digit for r in readings]
    confs = [float(r.confidence) for r in readings]
    notes: list[str] = []
    confidence = _product(confs)
    if _has_gap(digits):
        notes.append("gap")
        confidence *= GAP_PENALTY
    kind = field.kind
    era_value = era.value if era is not None else ""
    if kind == FieldKind.WAREKI_DATE:
        confidence = _wareki(_joined(digits), digits, confidence, era, notes)
    value = spell(kind, digits, era_value)
    is_valid = _validity(field)
    if value and not is_valid(value):
        checked = kind in _CHECKED
        repaired = repair_cells(readings, lambda ds: spell(kind, ds, era_value), is_valid)
        if repaired is not None:
            digits, changed, cell_p, share = repaired
            value = spell(kind, digits, era_value)
            # The changed cell now holds the alternative digit, with its probability.
            confidence *= cell_p / max(confs[changed], 1e-9) * share
            confidence = min(confidence, REPAIR_CAP)
            notes.append("check_digit_repaired" if checked else "repaired")
        else:
            confidence = min(confidence, CHECK_FAIL_CAP)
            notes.append("check_digit_failed" if checked else "invalid")
    return Reading(
        value,
        float(np.clip(confidence, 0.0, 1.0)),
        cell_confidences=tuple(confs),
        engine=DIGITS_ENGINE,
        notes=tuple(notes),
        cell_values=tuple(d or "" for d in digits),
    )


def _wareki(
    raw: str,
    digits: Sequence[str | None],
    confidence: float,
    era: marks_module.MarkDecision | None,
    notes: list[str],
) -> float:
    """A wareki field's confidence: the cells' times the era's (the value is ``spell``'s)."""
    era_value = era.value if era is not None else ""
    era_conf = era.confidence if era is not None else 0.0
    if not raw:
        # Nothing written in the cells: blank, unless an era is circled among several.
        if era is not None and era_value and era.scores:
            notes.append("era_without_date")
            return confidence * (1.0 - era_conf)
        return confidence
    if len(raw) == 6 and not _has_gap(digits) and era_value:
        return confidence * era_conf
    if not era_value:
        notes.append("era_unknown")
    return min(confidence * era_conf, CHECK_FAIL_CAP)


# --------------------------------------------------------------------------- page


def read_page(
    page: PageImages,
    fields: list[FieldGeometry],
    *,
    digits: CellReader | None = None,
    text: Engine | None = None,
    marks: Engine | None = None,
    kana: Engine | None = None,
) -> dict[str, Reading]:
    """Read every field of an aligned page; fields of unknown kinds are left out."""
    marks_engine = marks if marks is not None else marks_module.MarkEngine()
    out: dict[str, Reading] = {}

    comb = [f for f in fields if f.kind in COMB_KINDS and f.cells > 0]
    if comb:
        reader = digits if digits is not None else default_digits()
        crops: list[np.ndarray] = []
        spans: list[tuple[int, int]] = []
        for f in comb:
            field_cells = cells.comb_cells(page, f)
            spans.append((len(crops), len(field_cells)))
            crops.extend(field_cells)
        results = list(reader.read_cells(crops))  # ONE forward pass for the whole page
        read_era = getattr(marks_engine, "read_era", marks_module.read_era)
        for f, (start, count) in zip(comb, spans, strict=True):
            era = read_era(page, f) if f.kind == FieldKind.WAREKI_DATE and f.options else None
            out[f.key] = assemble_comb(f, results[start : start + count], era)

    kana_fields = [f for f in fields if f.kind in KANA_KINDS]
    if kana_fields:
        kana_engine = kana if kana is not None else default_kana()
        out.update(kana_engine.read_page(page, kana_fields))

    text_fields = [f for f in fields if f.kind in TEXT_KINDS]
    if text_fields:
        text_engine = text if text is not None else default_text()
        out.update(text_engine.read_page(page, text_fields))

    mark_fields = [f for f in fields if f.kind in MARK_KINDS]
    if mark_fields:
        out.update(marks_engine.read_page(page, mark_fields))
    return out


class PageReader:
    """The whole recognition step behind the ``Engine`` protocol (swap in ``FakeEngine``)."""

    name = ENGINE_NAME

    def __init__(
        self,
        digits: CellReader | None = None,
        text: Engine | None = None,
        marks: Engine | None = None,
        kana: Engine | None = None,
    ) -> None:
        self.digits = digits
        self.text = text
        self.marks = marks
        self.kana = kana

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        return read_page(
            page, fields, digits=self.digits, text=self.text, marks=self.marks, kana=self.kana
        )


# --------------------------------------------------------------------------- versions


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return digest.hexdigest()


@functools.cache
def engine_versions() -> dict[str, str]:
    """Versions of everything that decides a reading, for OcrRun records.

    Computed once per process (a worker does not change its models while it runs).
    """
    from ocr.pipeline.engines import digits as digits_module
    from ocr.pipeline.engines import kana as kana_module
    from ocr.pipeline.engines import tesseract as tesseract_module

    tessdata = _tessdata_file("jpn")
    return {
        "pipeline": ENGINE_NAME,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "tesseract": tesseract_module.tesseract_version(),
        "tesseract_jpn_sha256": _sha256(tessdata) if tessdata else "missing",
        "digits_model_sha256": _sha256(str(digits_module.MODEL_PATH)),
        "digits_meta_sha256": _sha256(str(digits_module.META_PATH)),
        "kana_model_sha256": _sha256(str(kana_module.MODEL_PATH)),
        "kana_meta_sha256": _sha256(str(kana_module.META_PATH)),
    }


def _tessdata_file(lang: str) -> str | None:
    import glob
    import os

    prefix = os.environ.get("TESSDATA_PREFIX")
    patterns = [os.path.join(prefix, f"{lang}.traineddata")] if prefix else []
    patterns += [
        f"/usr/share/tesseract-ocr/*/tessdata/{lang}.traineddata",
        f"/usr/share/tessdata/{lang}.traineddata",
    ]
    for pattern in patterns:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    return None
