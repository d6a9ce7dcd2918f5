"""Read one already-cropped field image (a comb strip, a checkbox, a text line).

A crop has no blank form to difference against, so one is synthesised from the crop itself:

1. ``rule_mask`` marks what may be a printed rule: dark pixels, dropout-red ones (R high and
   well above G and B, as ``line_masks`` has them) and, for 1 px rules washed out by blur and
   JPEG, anything clearly below the paper level or pinker than the paper.
2. ``estimate_skew`` turns the rule mask through small angles and keeps the one whose row
   profile is sharpest (the long horizontal rules lined up); ``deskew`` turns the crop, laid
   on a margin of its own paper (``pad_with_paper``: the cell cleaner normalises the paper
   level over a box reaching past the frame, and outside the image counts as white), upright
   on a canvas large enough to keep its corners. A tight crop of a 12-cell strip skewed by 1°
   climbs 14 px across its width: no row holds a rule from end to end until it is turned.
3. ``find_frame`` takes the outermost long horizontal rules (row projection of a directional
   opening, after a short closing that bridges JPEG- and ink-broken rule pixels) and, between
   them, the outermost long vertical rules (column projection): the field's outer rectangle,
   measured at the line centres like the renderer draws them. The printed colour is the
   median tint of the rule pixels found.
4. For comb kinds ``comb_borders`` takes the ``cells - 1`` inner borders from the vertical
   rules found between the outer ones, the cell count as the hint: each uniform position is
   snapped to the strongest rule within SNAP of a cell width. Only where no rule is visible
   does a border stay at its uniform guess (and when none is, the note ``cells_guessed``).
5. ``rectify`` moves the found borders onto the uniform positions ``comb_cells`` cuts at
   (piecewise-linear in x), so every cell read is the printed cell, even when the rules are
   unevenly spaced or the frame slightly off.
6. ``reference_for_crop`` draws those lines (>= 3 px, in the detected colour) on white paper,
   so that ``read_page`` reads the crop exactly as it reads a field of an aligned page:
   border removal in ``cells.comb_cells`` and one DigitRecognizer pass for all cells.

Checkboxes use their box frame as the reference; katakana / text_ja a white reference (the
text engine removes rules itself). A crop without a detectable frame is read as a whole,
against a white reference, with the note ``no_frame``; its confidence is capped below every
auto-accept threshold, since its cells are guesses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from forms_catalog.kinds import COMB_KINDS, FieldKind
from ocr.pipeline.cells import RED_MIN_EXCESS, RED_MIN_R, cell_edges
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
RULE_BELOW = 0.88  # rule_mask: below this fraction of the paper level may be a rule
RED_RULE_EXCESS = 12  # R - max(G, B) above the paper's: a pale dropout-red pixel
RULE_FRACTION = 0.6  # a vertical rule covers this fraction of the band between the rules
BRIDGE = 5  # px of a broken rule (JPEG, faint ink, a crossing stroke) closed before opening
MAX_SKEW = 3.0  # degrees searched either way
SKEW_STEP = 0.2  # coarse step of the search, degrees (then refined to a quarter)
MIN_SKEW = 0.05  # a turn smaller than this is not worth resampling the crop for
PAPER_PAD = 24  # px of the crop's paper laid around it before reading
GUESSED_CAP = 0.02  # confidence of a comb read without any cell border seen


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


def rule_mask(image: np.ndarray) -> np.ndarray:
    """Pixels that may belong to a printed rule, for finding the geometry only.

    Looser than ``line_masks``: a 1 px rule after scan blur, JPEG (its colour is subsampled)
    or turning upright is a pale grey or pink line, neither "dark" nor "red" any more, but
    still clearly below the paper level. Handwriting is in it too; the long-run openings and
    the cell count sort them out.
    """
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    red, dark = line_masks(image)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    paper = max(float(np.percentile(gray, 95)), 60.0)
    b, g, r = (image[..., i].astype(np.int16) for i in range(3))
    excess = r - np.maximum(g, b)
    # Pinker than the paper (whose own tint is the median excess).
    pink = excess - float(np.median(excess)) >= RED_RULE_EXCESS
    return red | dark | pink | (gray < RULE_BELOW * paper)


def _printed_colour(image: np.ndarray, rules: np.ndarray) -> tuple[int, int, int]:
    """Red when the rule pixels are clearly redder than the paper, else black."""
    if image.ndim == 2 or not rules.any():
        return BLACK_BGR
    b, g, r = (image[..., i].astype(np.float64) for i in range(3))
    excess = r - np.maximum(g, b)
    tint = float(np.median(excess[rules])) - float(np.median(excess))
    return RED_BGR if tint >= RED_RULE_EXCESS else BLACK_BGR


def _open(mask: np.ndarray, kw: int, kh: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, kw), max(1, kh)))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)


def _long_runs(mask: np.ndarray, kw: int, kh: int) -> np.ndarray:
    """Straight runs at least kw x kh long; gaps up to BRIDGE px along the run are closed."""
    bridge = (BRIDGE, 1) if kw > kh else (1, BRIDGE)
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones(bridge[::-1]))
    return _open(closed, kw, kh)


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


def _turn(image: np.ndarray, angle: float, fill: tuple | float, expand: bool) -> np.ndarray:
    """``image`` turned by ``angle`` degrees (counter-clockwise) about its centre."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    size = (w, h)
    if expand:
        c, s = abs(matrix[0, 0]), abs(matrix[0, 1])
        size = (int(np.ceil(w * c + h * s)), int(np.ceil(h * c + w * s)))
        matrix[0, 2] += (size[0] - w) / 2.0
        matrix[1, 2] += (size[1] - h) / 2.0
    return cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )  # fmt: skip


def _row_sharpness(mask: np.ndarray, angle: float) -> float:
    profile = _turn(mask, angle, 0.0, expand=False).sum(axis=1)
    return float(np.square(profile).sum())


def estimate_skew(image: np.ndarray) -> float:
    """The turn (degrees) that makes the crop's long horizontal rules level; 0 if none is seen.

    The rule mask (dark or red pixels) is turned through +-MAX_SKEW; rules lined up with the
    rows give the sharpest row profile (largest sum of squares). Handwriting adds about the
    same at every angle.
    """
    mask = rule_mask(image).astype(np.float32)
    if mask.sum() == 0:
        return 0.0
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, SKEW_STEP)
    scores = [_row_sharpness(mask, float(a)) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - SKEW_STEP, best + SKEW_STEP + 1e-9, SKEW_STEP / 4)
    scores = [_row_sharpness(mask, float(a)) for a in fine]
    return float(fine[int(np.argmax(scores))])


def _paper_colour(image: np.ndarray) -> tuple[float, ...]:
    return tuple(float(np.percentile(image[..., i], 90)) for i in range(image.shape[2]))


def pad_with_paper(image: np.ndarray, pad: int) -> np.ndarray:
    """The crop on a larger sheet of its own paper colour, ``pad`` px on every side."""
    paper = _paper_colour(image)
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper)


def deskew(image: np.ndarray, angle: float) -> np.ndarray:
    """The crop turned by ``angle`` on a canvas that keeps its corners, padded with paper."""
    if abs(angle) < MIN_SKEW:
        return image
    return _turn(image, angle, _paper_colour(image), expand=True)


def find_frame(image: np.ndarray) -> Frame | None:
    """The printed outer rectangle of an upright crop, or None when there is none to see."""
    h, w = image.shape[:2]
    if h < 8 or w < 8:
        return None
    mask = rule_mask(image)
    horizontal = _long_runs(mask, max(15, w // 4), 1)
    rows = _runs(horizontal.sum(axis=1), max(15, w // 4, 0.5 * horizontal.sum(axis=1).max()))
    if len(rows) < 2:
        return None
    top, bottom = rows[0], rows[-1]
    band = round(bottom.centre - top.centre)
    if band < 8:
        return None
    y0, y1 = int(top.centre), round(bottom.centre) + 1
    vertical = _long_runs(mask[y0:y1], 1, max(6, int(0.6 * band)))
    columns = vertical.sum(axis=0).astype(np.float64)
    cols = _runs(columns, 0.6 * band)
    if len(cols) < 2 or cols[-1].centre - cols[0].centre < 8:
        return None
    # The colour is judged on the rule pixels only; ink crossing a rule is a small part.
    rules = horizontal.astype(bool)
    rules[y0:y1] |= vertical.astype(bool)
    return Frame(top, bottom, cols[0], cols[-1], _printed_colour(image, rules), columns)


def comb_borders(frame: Frame, cells: int) -> tuple[list[Line], int]:
    """All ``cells + 1`` cell borders of a comb and how many inner ones were seen.

    Each inner border is the strongest detected vertical rule within SNAP of a cell width of
    its uniform position (a printed rule spans the whole band, a handwritten 1 close to it
    does not); where none is visible it stays at the uniform position.
    """
    left, right = frame.left, frame.right
    pitch = (right.centre - left.centre) / cells
    band = frame.bottom.centre - frame.top.centre
    rules = _runs(frame.columns, RULE_FRACTION * band)
    window = max(3.0, SNAP * pitch)
    inner: list[Line] = []
    seen = 0
    for i in range(1, cells):
        uniform = left.centre + i * pitch
        near = [r for r in rules if abs(r.centre - uniform) <= window]
        if near:
            inner.append(max(near, key=lambda r: (_strength(frame, r), -abs(r.centre - uniform))))
            seen += 1
        else:
            inner.append(Line(uniform, LINE_WIDTH))
    return [left, *inner, right], seen


def _strength(frame: Frame, rule: Line) -> float:
    lo = max(0, int(rule.centre - rule.width / 2))
    return float(frame.columns[lo : int(rule.centre + rule.width / 2) + 1].max())


def rectify(image: np.ndarray, borders: list[Line], edges: list[int]) -> np.ndarray:
    """Move each found border (its centre) to its uniform edge, linearly in between."""
    found = np.array([b.centre for b in borders], np.float64)
    target = np.array(edges, np.float64)
    if np.abs(found - target).max() < 0.5:
        return image
    h, w = image.shape[:2]
    xs = np.arange(w, dtype=np.float64)
    # Outside the comb, shift by the outer borders' offsets (slope 1).
    source = np.interp(xs, target, found)
    source = np.where(xs < target[0], xs + found[0] - target[0], source)
    source = np.where(xs > target[-1], xs + found[-1] - target[-1], source)
    map_x = np.tile(source.astype(np.float32), (h, 1))
    map_y = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class Comb:
    """Where a crop's comb was found: the upright, rectified image and what was seen."""

    image: np.ndarray  # upright (deskewed) and rectified: cells at the uniform edges
    frame: Frame | None  # measured on the upright image before rectifying
    angle: float  # degrees the crop was turned by
    borders: tuple[Line, ...]  # cells + 1 border centres on the upright image (empty: no frame)
    seen: int  # inner borders found on rules (the rest are uniform guesses)


def find_comb(image: np.ndarray, kind: str, cells: int) -> Comb:
    """Turn the crop upright and find its frame and (for comb kinds) its cell borders.

    The crop is first laid on PAPER_PAD px of its own paper: ``comb_cells`` cleans a box
    reaching past the frame, and what lies outside an image counts as white (255) paper,
    which would stop the paper level of a tight crop being normalised like a page's.
    """
    angle = estimate_skew(image)
    upright = deskew(pad_with_paper(image, PAPER_PAD), angle)
    frame = find_frame(upright)
    if frame is None or kind not in COMB_KINDS or cells < 1:
        return Comb(upright, frame, angle, (), 0)
    borders, seen = comb_borders(frame, cells)
    x = round(frame.left.centre)
    edges = cell_edges(x, round(frame.right.centre) - x, cells)
    return Comb(rectify(upright, borders, edges), frame, angle, tuple(borders), seen)


def border_positions(comb: Comb, crop_shape: tuple[int, ...]) -> list[float]:
    """The comb's border centres at the frame's mid-height, in the ORIGINAL crop's x pixels."""
    if comb.frame is None or not comb.borders:
        return []
    h, w = crop_shape[:2]
    uh, uw = comb.image.shape[:2]
    # Inverse of ``deskew``: the upright canvas is the padded crop turned about its centre.
    back = cv2.getRotationMatrix2D((uw / 2.0, uh / 2.0), -comb.angle, 1.0)
    back[0, 2] -= (uw - w) / 2.0
    back[1, 2] -= (uh - h) / 2.0
    mid = (comb.frame.top.centre + comb.frame.bottom.centre) / 2.0
    return [float((back @ np.array([b.centre, mid, 1.0]))[0]) for b in comb.borders]


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
    """A synthetic blank of an UPRIGHT crop's size and the field's geometry in crop pixels."""
    return _reference(image, kind, cells, find_frame(image))


def _reference(
    image: np.ndarray, kind: str, cells: int, frame: Frame | None, borders: tuple[Line, ...] = ()
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
        if not borders:
            borders = tuple(comb_borders(frame, cells)[0])
        # Drawn where comb_cells cuts: the uniform edges (the image is rectified to them).
        edges = cell_edges(x, fw, cells)
        verticals += [
            Line(float(e), b.width) for e, b in zip(edges[1:-1], borders[1:-1], strict=True)
        ]
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
    comb = find_comb(image, kind, n)
    reference, geometry = _reference(comb.image, kind, n, comb.frame, comb.borders)
    if kind == FieldKind.WAREKI_DATE:
        # A lone era option: read_era takes it as printed, with confidence 1.
        option = {"value": era, "label": era, "x": 0, "y": 0, "w": 0, "h": 0}
        geometry = dataclasses.replace(geometry, options=(option,))
    reading = read_page(PageImages(comb.image, reference), [geometry])["field"]
    notes = list(reading.notes)
    guessed = comb.frame is None or (kind in COMB_KINDS and n > 1 and comb.seen == 0)
    if comb.frame is None:
        notes.append("no_frame")
    elif guessed:
        notes.append("cells_guessed")
    confidence = reading.confidence
    if guessed and kind in COMB_KINDS:
        # Cells cut where they ought to be, not where they were seen: a person looks.
        confidence = min(confidence, GUESSED_CAP)
    return dataclasses.replace(reading, confidence=confidence, notes=tuple(notes))
