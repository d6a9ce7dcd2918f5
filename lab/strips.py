"""Tightly cropped comb strips with known truth, and the same handwriting on a page.

``read_field`` gets strips cut out of scans by other software: a few pixels of margin, cells of
whatever size the form printed, 1–3 px rules in black or dropout red, a little skew, JPEG. To
measure that path against reading a whole page, ``make_strip`` draws ONE filled comb and
returns it twice:

- ``crop``: the comb rotated by ``skew``, scanned (blur, noise, sensor levels), cut out with
  ``margin`` px around the outer rules and JPEG-encoded, as ``read_field`` would get it;
- ``page``: the same filled comb, scanned with the same noise but not rotated, with its exact
  blank reference and geometry, as ``read_page`` gets a field of an aligned page.

The digits are real handwriting from ``lab.digit_data`` (``split``), drawn by the form
generator's pen (``lab.synthetic.handwriting.draw_digits``). ``edges`` are the drawn vertical
rule centres at the strip's mid-height in crop pixels, to check the cells a reader finds.
Numbers follow the project's test convention (My Numbers start with "00", valid check digits).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import cv2
import numpy as np

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import DROPOUT_RED, FieldSpec, Rect
from forms_catalog.render import group_edges
from lab.synthetic.glyphs import digit_bank
from lab.synthetic.handwriting import draw_digits
from lab.synthetic.pen import random_pen
from ocr.pipeline.engines.base import FieldGeometry, PageImages
from yomitoru.lib import corporate_number, mynumber

# The kind a strip of this many cells is read as (``read_field``'s default cell counts).
KIND_OF_CELLS = {
    12: FieldKind.MYNUMBER,
    13: FieldKind.CORPORATE_NUMBER,
    7: FieldKind.POSTAL_CODE,
    11: FieldKind.PHONE,
}
RULE_COLOURS = {"black": (0, 0, 0), "red": DROPOUT_RED}  # RGB
PAD = 48  # paper around the comb on the canvas, px


@dataclass(frozen=True)
class StripSpec:
    """How one strip is printed and cut."""

    cells: int = 12
    cell_w: int = 66
    cell_h: int = 78
    border: int = 2  # rule width, px
    colour: str = "black"  # "black" or "red" (dropout)
    margin: int = 2  # px of paper kept around the outer rules
    skew: float = 0.0  # degrees, counter-clockwise
    jpeg: int = 75
    groups: bool = False  # group separators (4-4-4 of a My Number) 2 px wider
    inner_rules: bool = True  # False: only the outer frame is printed (no cell borders)


@dataclass(frozen=True)
class Strip:
    spec: StripSpec
    kind: str
    truth: str
    crop: np.ndarray  # BGR uint8, the tight crop
    edges: tuple[float, ...]  # vertical rule centres (cells + 1) at mid-height, crop x
    page: PageImages  # the same handwriting on an aligned page (BGR) and its blank
    field: FieldGeometry  # the comb's geometry on ``page``


def synthetic_value(cells: int, rng: random.Random) -> str:
    """A value of the strip's kind: valid check digits, My Numbers with the "00" prefix."""
    kind = KIND_OF_CELLS.get(cells)
    if kind == FieldKind.MYNUMBER:
        return mynumber.synthetic(rng)
    if kind == FieldKind.CORPORATE_NUMBER:
        return corporate_number.synthetic(rng)
    digits = "".join(str(rng.randrange(10)) for _ in range(cells))
    return "0" + digits[1:] if kind == FieldKind.PHONE else digits


def _rule_box(centre: int, width: int) -> tuple[int, int]:
    """First and last pixel of a rule of ``width`` centred on ``centre`` (the renderer's way)."""
    lo = centre - (width - 1) // 2
    return lo, lo + width - 1


def _edges(spec: StripSpec) -> list[int]:
    w = spec.cells * spec.cell_w
    return [PAD + round(i * w / spec.cells) for i in range(spec.cells + 1)]


def _widths(spec: StripSpec, kind: str) -> list[int]:
    thick = group_edges(kind, spec.cells) if spec.groups else set()
    return [spec.border + 2 if i in thick else spec.border for i in range(spec.cells + 1)]


def draw_blank(spec: StripSpec, kind: str) -> np.ndarray:
    """The printed comb on white paper, RGB uint8."""
    w, h = spec.cells * spec.cell_w, spec.cell_h
    canvas = np.full((h + 2 * PAD, w + 2 * PAD, 3), 255, np.uint8)
    colour = RULE_COLOURS[spec.colour]
    b = spec.border
    x0, x1 = _rule_box(PAD, b)[0], _rule_box(PAD + w, b)[1]
    for y in (PAD, PAD + h):
        lo, hi = _rule_box(y, b)
        canvas[lo : hi + 1, x0 : x1 + 1] = colour
    y0, y1 = _rule_box(PAD, b)[0], _rule_box(PAD + h, b)[1]
    for i, (x, width) in enumerate(zip(_edges(spec), _widths(spec, kind), strict=True)):
        if spec.inner_rules or i in (0, spec.cells):
            lo, hi = _rule_box(x, width)
            canvas[y0 : y1 + 1, lo : hi + 1] = colour
    return canvas


def _scanned(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner optics and sensor: paper tone, blur, black/white levels, noise (float32)."""
    img = rgb.astype(np.float32) * (rng.uniform(0.95, 1.0, 3).astype(np.float32))
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.45, 0.85)))
    black, white = float(rng.uniform(12, 34)), float(rng.uniform(240, 255))
    img = img * ((white - black) / 255.0) + black
    noise = rng.standard_normal(img.shape[:2]).astype(np.float32) * float(rng.uniform(1.5, 4.0))
    return np.clip(img + noise[:, :, None], 0, 255)


def _jpeg(bgr: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return decoded


def make_strip(spec: StripSpec, rng: random.Random, split: str = "eval") -> Strip:
    """One filled comb as a tight crop and on a page (identical handwriting)."""
    kind = KIND_OF_CELLS.get(spec.cells, FieldKind.MYNUMBER)
    truth = synthetic_value(spec.cells, rng)
    np_rng = np.random.default_rng(rng.getrandbits(64))
    blank = draw_blank(spec, kind)
    filled = blank.copy()
    w, h = spec.cells * spec.cell_w, spec.cell_h
    field_spec = FieldSpec("field", "", kind, Rect(PAD, PAD, w, h), cells=spec.cells)
    draw_digits(filled, field_spec, truth, random_pen(np_rng), digit_bank(split), np_rng)
    scan_seed = int(np_rng.integers(2**32))

    page_rgb = _scanned(filled, np.random.default_rng(scan_seed)).astype(np.uint8)
    page_bgr = _jpeg(cv2.cvtColor(page_rgb, cv2.COLOR_RGB2BGR), spec.jpeg)
    page = PageImages(page_bgr, cv2.cvtColor(blank, cv2.COLOR_RGB2BGR))
    field = FieldGeometry("field", kind, PAD, PAD, w, h, cells=spec.cells)

    centre = (PAD + w / 2.0, PAD + h / 2.0)
    turn = cv2.getRotationMatrix2D(centre, spec.skew, 1.0)
    rotated = cv2.warpAffine(
        filled.astype(np.float32),
        turn,
        (filled.shape[1], filled.shape[0]),
        flags=cv2.INTER_LINEAR,
        borderValue=(255, 255, 255),
    )
    crop_rgb = _scanned(rotated, np.random.default_rng(scan_seed)).astype(np.uint8)
    b = spec.border
    outer_x = (_rule_box(PAD, b)[0] - 0.5, _rule_box(PAD + w, b)[1] + 0.5)
    outer_y = (_rule_box(PAD, b)[0] - 0.5, _rule_box(PAD + h, b)[1] + 0.5)
    corners = np.array([[x, y, 1.0] for x in outer_x for y in outer_y]) @ turn.T
    left = math.floor(corners[:, 0].min()) - spec.margin
    top = math.floor(corners[:, 1].min()) - spec.margin
    right = math.ceil(corners[:, 0].max()) + spec.margin
    bottom = math.ceil(corners[:, 1].max()) + spec.margin
    crop = cv2.cvtColor(crop_rgb[top:bottom, left:right], cv2.COLOR_RGB2BGR)
    mid = [
        (turn @ np.array([x + _centre_offset(width), centre[1], 1.0]))[0] - left
        for x, width in zip(_edges(spec), _widths(spec, kind), strict=True)
    ]
    return Strip(
        spec, kind, truth, _jpeg(crop, spec.jpeg), tuple(float(v) for v in mid), page, field
    )


def _centre_offset(width: int) -> float:
    lo, hi = _rule_box(0, width)
    return (lo + hi) / 2.0


def random_spec(
    rng: random.Random,
    *,
    cells: int = 12,
    cell_size: tuple[int, int] = (66, 78),
    colour: str = "black",
    margin: int = 2,
    max_skew: float = 1.5,
) -> StripSpec:
    """A strip of the given size, colour and margin; rule width, skew, JPEG vary."""
    return StripSpec(
        cells=cells,
        cell_w=cell_size[0],
        cell_h=cell_size[1],
        border=rng.choice((1, 2, 2, 3)),
        colour=colour,
        margin=margin,
        skew=rng.uniform(-max_skew, max_skew),
        jpeg=rng.randint(70, 80),
        groups=rng.random() < 0.3,
    )
