"""Read one already-cropped field image (a comb strip, a checkbox, a text line).

A crop has no blank form to difference against, so one is synthesised from the crop itself:

1. ``line_masks`` finds the printed rules: dark pixels, or dropout-red ones (R high and well
   above G and B); morphological opening with long kernels keeps only long straight runs.
   The colour with more rule pixels is the printed colour.
2. ``find_frame`` takes the outermost long horizontal rules (row projection) and, between
   them, the outermost long vertical rules (column projection): the field's outer rectangle,
   measured at the line centres like the renderer draws them.
3. For comb kinds the ``cells - 1`` inner borders go at the uniform positions
   ``x + round(i * w / cells)``, each snapped to a detected vertical rule close by.
4. ``reference_for_crop`` draws those lines (>= 3 px, in the detected colour) on white paper,
   so that ``read_page`` reads the crop exactly as it reads a field of an aligned page:
   border removal in ``cells.comb_cells`` and one DigitRecognizer pass for all cells.

Checkboxes use their box frame as the reference; katakana / text_ja a white reference (the
text engine removes rules itself). A crop without a detectable frame is read as a whole,
against a white reference, with the note ``no_frame``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from forms_catalog.kinds import COMB_KINDS, FieldKind
from ocr.pipeline.cells import RED_MIN_EXCESS, RED_MIN_R
from ocr.pipeline.engines.base import FieldGeometry, PageImages, Reading
from ocr.pipeline.read import read_page

# Cells of a comb kind when --cells is not given (amount and digits have no default).
DEFAULT_CELLS: dict[str, int] = {
    FieldKind.MYNUMBER: 12,
    FieldKind.CORPORATE_NUMBER: 13,
    FieldKind.POSTAL_CODE: 7,
    FieldKind.PHONE: 11,
    FieldKind.WAREKI_DATE: 6,
    FieldKind.DATE: 8,
}
# Kinds a crop can be read as: a choice needs its printed option positions, a crop has none.
CROPPABLE_KINDS = frozenset(k for k in FieldKind.values if k != FieldKind.CHOICE)
ERAS = ("M", "T", "S", "H", "R")

BLACK_BGR = (0, 0, 0)
RED_BGR = (110, 110, 235)  # DROPOUT_RED (235, 110, 110) as BGR
DARK_BELOW = 0.6  # a pixel darker than this fraction of the paper level is dark
# In a grey crop (a greyscale scan) dropout red is a mid grey (~0.6 of paper): looser.
DARK_BELOW_GREY = 0.78
GREY_SPREAD = 12  # a crop whose channels differ by less than this (99th pct) is grey
LINE_WIDTH = 3  # the narrowest line drawn in the reference
MAX_LINE_WIDTH = 9
SNAP = 0.2  # an inner border is searched this fraction of a cell width around its position


@dataclass(frozen=True)
class Line:
    """A detected straight rule: its centre coordinate and thickness in pixels."""

    centre: float
    width: int


@dataclass(frozen=True)
class Frame:
    top: Line
    bottom: Line
    left: Line
    right: Line
    colour: tuple[int, int, int]  # BGR
    columns: np.ndarray  # vertical-rule pixels per column between top and bottom


def line_masks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(red, dark) boolean masks of a BGR image; a red pixel is never also dark."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    b, g, r = (image[..., i].astype(np.int16) for i in range(3))
    red = (r >= RED_MIN_R) & (r - np.maximum(g, b) >= RED_MIN_EXCESS)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    paper = max(float(np.percentile(gray, 95)), 60.0)
    spread = image.max(axis=2).astype(np.int16) - image.min(axis=2)
    grey = float(np.percentile(spread, 99)) < GREY_SPREAD
    dark = (gray < (DARK_BELOW_GREY if grey else DARK_BELOW) * paper) & ~red
    return red, dark


def _open(mask: np.ndarray, kw: int, kh: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, kw), max(1, kh)))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)


def _runs(profile: np.ndarray, minimum: float) -> list[Line]:
    """Runs of consecutive indices where ``profile >= minimum`` (gaps of one bridged)."""
    on = np.flatnonzero(profile >= minimum)
    lines: list[Line] = []
    if on.size == 0:
        return lines
    start = prev = int(on[0])
    for i in [*on[1:].tolist(), None]:
        if i is not None and i - prev <= 2:
            prev = i
            continue
        lines.append(Line((start + prev) / 2.0, prev - start + 1))
        if i is not None:
            start = prev = i
    return lines


def find_frame(image: np.ndarray) -> Frame | None:
    """The printed outer rectangle of a crop, or None when there is none to see."""
    h, w = image.shape[:2]
    if h < 8 or w < 8:
        return None
    red, dark = line_masks(image)
    # The colour with more long horizontal runs is the printed one; the geometry is measured
    # on both together, so ink crossing a red rule does not break it.
    colour = RED_BGR if _open(red, w // 4, 1).sum() > _open(dark, w // 4, 1).sum() else BLACK_BGR
    mask = red | dark
    horizontal = _open(mask, max(15, w // 4), 1)
    rows = _runs(horizontal.sum(axis=1), max(15, w // 4, 0.5 * horizontal.sum(axis=1).max()))
    if len(rows) < 2:
        return None
    top, bottom = rows[0], rows[-1]
    band = round(bottom.centre - top.centre)
    if band < 8:
        return None
    y0, y1 = int(top.centre), round(bottom.centre) + 1
    vertical = _open(mask[y0:y1], 1, max(6, int(0.8 * band)))
    columns = vertical.sum(axis=0).astype(np.float64)
    cols = _runs(columns, 0.6 * band)
    if len(cols) < 2 or cols[-1].centre - cols[0].centre < 8:
        return None
    return Frame(top, bottom, cols[0], cols[-1], colour, columns)


def _inner_borders(frame: Frame, x: int, w: int, cells: int) -> list[Line]:
    """The cell borders inside the frame: uniform positions snapped to detected rules."""
    band = frame.bottom.centre - frame.top.centre
    rules = _runs(frame.columns, 0.6 * band)
    window = max(3.0, SNAP * w / cells)
    borders = []
    for i in range(1, cells):
        uniform = float(x + round(i * w / cells))
        near = [r for r in rules if abs(r.centre - uniform) <= window]
        borders.append(
            min(near, key=lambda r: abs(r.centre - uniform)) if near else Line(uniform, LINE_WIDTH)
        )
    return borders


def _draw(
    ref: np.ndarray, line: Line, vertical: bool, span: tuple[int, int], colour: tuple
) -> None:
    """A rule of ``line.width`` (at least LINE_WIDTH) centred on ``line.centre``."""
    width = int(np.clip(line.width, LINE_WIDTH, MAX_LINE_WIDTH))
    lo = round(line.centre) - (width - 1) // 2
    a, b = span[0] - width // 2, span[1] + width // 2 + 1
    if vertical:
        ref[max(0, a) : max(0, b), max(0, lo) : max(0, lo + width)] = colour
    else:
        ref[max(0, lo) : max(0, lo + width), max(0, a) : max(0, b)] = colour


def reference_for_crop(
    image: np.ndarray, kind: str, cells: int = 0
) -> tuple[np.ndarray, FieldGeometry]:
    """A synthetic blank of the crop's size and the field's geometry in crop pixels."""
    return _reference(image, kind, cells, find_frame(image))


def _reference(
    image: np.ndarray, kind: str, cells: int, frame: Frame | None
) -> tuple[np.ndarray, FieldGeometry]:
    h, w = image.shape[:2]
    ref = np.full((h, w, 3), 255, np.uint8)
    if frame is None:
        return ref, FieldGeometry("field", kind, 0, 0, w, h, cells=cells)
    x, y = round(frame.left.centre), round(frame.top.centre)
    fw = round(frame.right.centre) - x
    fh = round(frame.bottom.centre) - y
    geometry = FieldGeometry("field", kind, x, y, fw, fh, cells=cells)
    if kind in (FieldKind.KATAKANA, FieldKind.TEXT_JA):
        return ref, geometry
    xs, ys = (x, x + fw), (y, y + fh)
    for line in (frame.top, frame.bottom):
        _draw(ref, line, False, xs, frame.colour)
    verticals = [frame.left, frame.right]
    if kind in COMB_KINDS and cells > 1:
        verticals += _inner_borders(frame, x, fw, cells)
    for line in verticals:
        _draw(ref, line, True, ys, frame.colour)
    return ref, geometry


def cells_for(kind: str, cells: int | None) -> int:
    """The cell count to read with; ValueError when a comb kind has none."""
    if kind not in COMB_KINDS:
        return 0
    n = cells if cells is not None else DEFAULT_CELLS.get(kind)
    if n is None or n < 1:
        raise ValueError(f"--cells is required for kind {kind}")
    return n


def read_cropped(
    image: np.ndarray, kind: str, cells: int | None = None, *, era: str = "R"
) -> Reading:
    """Read a cropped field image (BGR or grey uint8) as ``kind`` through ``read_page``.

    A wareki_date strip is assumed to hold only YY MM DD; ``era`` is the era it is read in.
    """
    if kind not in CROPPABLE_KINDS:
        raise ValueError(f"a cropped field cannot be read as {kind}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    n = cells_for(kind, cells)
    frame = find_frame(image)
    reference, geometry = _reference(image, kind, n, frame)
    if kind == FieldKind.WAREKI_DATE:
        # A lone era option: read_era takes it as printed, with confidence 1.
        option = {"value": era, "label": era, "x": 0, "y": 0, "w": 0, "h": 0}
        geometry = dataclasses.replace(geometry, options=(option,))
    reading = read_page(PageImages(image, reference), [geometry])["field"]
    if frame is None:
        return dataclasses.replace(reading, notes=(*reading.notes, "no_frame"))
    return reading
