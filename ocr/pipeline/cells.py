"""Field crops from an aligned page, with the printed form removed, and ink measures.

The aligned page and its blank reference are in the same pixel frame, so everything printed on
the form (comb borders, rules, captions, both black and dropout red) is known exactly: it is
what is dark in the reference. A field is cleaned in three steps:

1. ``dropout_gray`` turns both images grey and makes reddish pixels (dropout-red rules) paper.
2. The reference is eroded by ``tolerance`` px (its dark parts grow) to absorb a residual
   misalignment, and the added ink is ``max(0, reference - page)``: paper and print cancel out,
   handwriting on paper stays. Where the page is darker than a black rule nothing can be seen,
   so ink crossing a rule is cut there.
3. The cut is healed with directional morphological closing (horizontal for vertical rules,
   vertical for horizontal ones), applied only inside the printed mask: a stroke that crosses
   a border is whole again, while the border itself (no ink on both sides) stays removed.

The result is a grey uint8 image, dark ink on white, as ``DigitRecognizer.read_cells`` wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.pipeline.engines.base import FieldGeometry, PageImages

# A pixel is dropout red when R is high and clearly above both G and B (BGR images).
RED_MIN_R = 120
RED_MIN_EXCESS = 30
# A crop whose channels differ by less than this (at the 99.5th percentile) is greyscale.
COLOUR_SPREAD = 24
# Residual misalignment the reference mask absorbs, in pixels.
TOLERANCE = 2
# Closing length that heals a stroke cut by a rule: rule width (<= 5) + 2 * tolerance + slack.
HEAL = 15
# Reference pixels darker than this (after erosion) count as printed.
PRINTED_BELOW = 200
# Ink (0..255 darkness added over the reference) counted by the ink measures.
INK_LEVEL = 70
# Per-cell crops reach this fraction of the cell size into the neighbours.
CELL_MARGIN_X = 0.12
CELL_MARGIN_Y = 0.12


@dataclass(frozen=True)
class Box:
    """An integer rectangle in page pixels."""

    x: int
    y: int
    w: int
    h: int

    def grow(self, mx: int, my: int | None = None) -> Box:
        my = mx if my is None else my
        return Box(self.x - mx, self.y - my, self.w + 2 * mx, self.h + 2 * my)

    @classmethod
    def of(cls, f: FieldGeometry) -> Box:
        return cls(f.x, f.y, f.w, f.h)

    @classmethod
    def of_option(cls, option: dict) -> Box:
        return cls(int(option["x"]), int(option["y"]), int(option["w"]), int(option["h"]))


def crop(image: np.ndarray, box: Box, fill: int = 255) -> np.ndarray:
    """``image[box]``; parts outside the image are filled with paper (``fill``)."""
    h, w = image.shape[:2]
    out_shape = (box.h, box.w, *image.shape[2:])
    out = np.full(out_shape, fill, dtype=image.dtype)
    x0, y0 = max(box.x, 0), max(box.y, 0)
    x1, y1 = min(box.x + box.w, w), min(box.y + box.h, h)
    if x1 > x0 and y1 > y0:
        out[y0 - box.y : y1 - box.y, x0 - box.x : x1 - box.x] = image[y0:y1, x0:x1]
    return out


def dropout_gray(image: np.ndarray) -> np.ndarray:
    """Grey uint8 of a BGR (or grey) image where dropout-red pixels become (near) paper.

    A reddish pixel takes its red channel as grey: a red rule on white becomes ~235-255, its
    anti-aliased fringe too, while blue or black ink (low R) over a red rule stays dark.
    """
    if image.ndim == 2:
        return image.copy()
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    b, g, r = cv2.split(image)
    # uint8 arithmetic saturates at 0, which is below RED_MIN_EXCESS like any negative excess.
    red = (r >= RED_MIN_R) & (cv2.subtract(r, cv2.max(g, b)) >= RED_MIN_EXCESS)
    return np.where(red, cv2.max(gray, r), gray)


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def is_colour(image: np.ndarray, spread: int = COLOUR_SPREAD) -> bool:
    """True when the crop carries colour (a colour scan), False for a greyscale scan."""
    if image.ndim == 2:
        return False
    # Per-pixel max - min of the channels with OpenCV on uint8 (never negative): the same
    # values as numpy's max/min over the channel axis, ~5x faster (numpy reduces a 3-long
    # last axis slowly, and this runs for every field crop).
    b, g, r = cv2.split(image)
    chroma = cv2.subtract(cv2.max(cv2.max(b, g), r), cv2.min(cv2.min(b, g), r))
    return bool(np.percentile(chroma, 99.5) > spread)


def _paper_normalised(gray: np.ndarray) -> np.ndarray:
    """Scale so the paper level (a high percentile) becomes 255: undoes grey or dim scans."""
    paper = float(np.percentile(gray, 95)) if gray.size else 255.0
    if paper >= 250 or paper < 60:
        return gray.astype(np.float32)
    return np.clip(gray.astype(np.float32) * (255.0 / paper), 0, 255)


def added_ink(
    page_crop: np.ndarray, ref_crop: np.ndarray, tolerance: int = TOLERANCE, heal: int = HEAL
) -> np.ndarray:
    """Ink added to the reference, float32 0..255 (0 = nothing added), same size as the crops."""
    if is_colour(page_crop):
        page = _paper_normalised(dropout_gray(page_crop))
        ref = dropout_gray(ref_crop).astype(np.float32)
    else:
        # A greyscale scan keeps dropout red as mid-grey: compare it with the reference in
        # plain grey too, or every red rule would count as added ink.
        page = _paper_normalised(_gray(page_crop))
        ref = _gray(ref_crop).astype(np.float32)
    if tolerance > 0:
        k = 2 * tolerance + 1
        ref = cv2.erode(ref, np.ones((k, k), np.uint8))
    ink = np.clip(ref - page, 0, 255).astype(np.float32)
    printed = ref < PRINTED_BELOW
    if heal > 1 and printed.any():
        across_v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, heal), np.uint8))
        across_h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((heal, 1), np.uint8))
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (heal, heal))
        slanted = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, disk)
        healed = np.maximum(np.maximum(across_v, across_h), slanted)
        # Only pixels printed in the reference are healed, and only darker than the rule lets
        # them be: ink on black can be no darker than the page there.
        ink = np.where(printed, np.maximum(ink, healed), ink)
    return ink


def clean_crop(
    page: PageImages, box: Box, tolerance: int = TOLERANCE, heal: int = HEAL
) -> np.ndarray:
    """Grey uint8 crop of ``box`` with the printed form removed: dark ink on white."""
    ink = added_ink(crop(page.aligned, box), crop(page.reference, box), tolerance, heal)
    return (255.0 - ink).astype(np.uint8)


def ink_map(page: PageImages, box: Box, tolerance: int = TOLERANCE) -> np.ndarray:
    """Added ink in ``box`` as float32 0..1 (1 = full ink), printed form removed."""
    return added_ink(crop(page.aligned, box), crop(page.reference, box), tolerance) / 255.0


# --------------------------------------------------------------------------- comb cells


def cell_edges(x: int, w: int, cells: int) -> list[int]:
    """The printed cell borders, exactly as ``FieldSpec.cell_rects()`` and the renderer."""
    return [x + round(i * w / cells) for i in range(cells + 1)]


def comb_cells(
    page: PageImages,
    field: FieldGeometry,
    margin_x: float = CELL_MARGIN_X,
    margin_y: float = CELL_MARGIN_Y,
) -> list[np.ndarray]:
    """One cleaned grey crop per comb cell, left to right, reaching into the neighbours.

    The whole comb is cleaned once (with a margin so the outer frame is removed too) and the
    cells are cut from it, each ``margin_x``/``margin_y`` of the cell size wider on every side:
    a digit that strays over a border is still whole in its own crop.

    Comb cells are NOT healed across the removed rules. Healing closes any gap of up to HEAL
    px inside a black rule, so two digits that come close to the same border from either side
    get joined by a bar (a 0 beside a 0 read as 9 and 6), while a stroke that really crosses a
    border loses only the rule's width, which the recogniser reads through (it was trained on
    cells drawn without any healing, ``lab.digit_data.render_comb_cell``). Measured on the eval
    split: the black-bordered salary report (60 pages, 360 My Number fields) gains 4 points of
    exact My Numbers, 6 of amounts and 10 of phone numbers; the dropout-red furusato form (40
    pages) gains too, as its greyscale scans keep red rules as printed matter.
    """
    if field.cells <= 0:
        return []
    edges = cell_edges(field.x, field.w, field.cells)
    cell_w = field.w / field.cells
    mx, my = max(2, round(margin_x * cell_w)), max(2, round(margin_y * field.h))
    outer = Box.of(field).grow(mx + TOLERANCE + 2, my + TOLERANCE + 2)
    clean = clean_crop(page, outer, heal=0)
    crops = []
    for i in range(field.cells):
        x0 = edges[i] - mx - outer.x
        x1 = edges[i + 1] + mx - outer.x
        y0 = field.y - my - outer.y
        y1 = field.y + field.h + my - outer.y
        crops.append(np.ascontiguousarray(clean[y0:y1, x0:x1]))
    return crops


# --------------------------------------------------------------------------- ink measures


def ink_fraction(ink: np.ndarray, level: float = INK_LEVEL / 255.0) -> float:
    """Fraction of pixels of an ink map (0..1) holding ink above ``level``."""
    return float((ink > level).mean()) if ink.size else 0.0


def box_ink(page: PageImages, box: Box, reach: float = 0.25) -> float:
    """Added ink around a box (a checkbox) relative to the box area.

    Counts ink pixels inside the box and within ``reach`` of its size around it (ticks often
    leave the box), divided by the box area. The printed box itself adds nothing.
    """
    grown = box.grow(round(reach * box.w), round(reach * box.h))
    ink = ink_map(page, grown)
    return float((ink > INK_LEVEL / 255.0).sum()) / max(1, box.w * box.h)


def text_line(page: PageImages, field: FieldGeometry, inset: int = 4) -> np.ndarray:
    """A text field's box, cleaned of the printed form (frame, rules, captions)."""
    box = Box.of(field).grow(-inset)
    return clean_crop(page, box)


def remove_rules(gray: np.ndarray, ink_below: int = 128) -> np.ndarray:
    """Erase long horizontal and vertical lines left on a cleaned text line (a rule that
    alignment left a little off), for the text recognisers; darker than ``ink_below`` is ink."""
    ink = (gray < ink_below).astype(np.uint8)
    h, w = ink.shape
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 4), 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(30, int(h * 0.8))))
    )
    lines = cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[lines > 0] = 255
    return out
