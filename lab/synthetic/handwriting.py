"""Filling in one field by hand: digits in comb cells, printed text, ticks and circles.

All drawing goes onto an RGB uint8 page array in place, in the layout's pixel coordinates.
Sizes follow how people write on an A4 form at 300 dpi: digits fill 60–75 % of an 8 mm
cell, text is 5–6 mm high, ticks overshoot small boxes, circles are drawn in one stroke that
does not quite close or overlaps itself.
"""

from __future__ import annotations

import math

import numpy as np

from forms_catalog.kinds import COMB_KINDS, FieldKind
from forms_catalog.layouts.base import FieldSpec, Option, Rect
from lab.synthetic.glyphs import DigitBank, Mark, char_mark, digit_mark
from lab.synthetic.hand_styles import HandStyle
from lab.synthetic.pen import Pen, composite, polyline_skeleton, stroke_alpha

# How often a digit is written carelessly enough to touch or cross its cell border.
CROSSING_RATE = 0.03


def put_mark(
    page: np.ndarray, mark: Mark, cx: float, cy: float, pen: Pen, rng: np.random.Generator
) -> None:
    """Stroke ``mark`` with the pen, its anchor at page point (cx, cy)."""
    alpha = stroke_alpha(mark.skeleton, pen, rng)
    composite(page, alpha, round(cx - mark.cx), round(cy - mark.cy), pen.colour)


def _ink_width(mark: Mark) -> int:
    xs = np.nonzero(mark.skeleton.any(axis=0))[0]
    return int(xs.max() - xs.min() + 1) if len(xs) else 0


def draw_digit(
    page: np.ndarray, cell: Rect, digit: int, pen: Pen, bank: DigitBank, rng: np.random.Generator
) -> None:
    height = cell.h * rng.uniform(0.6, 0.75) * pen.size
    source = bank.pick(digit, rng)
    mark = digit_mark(source, height, pen, rng)
    room = cell.w * 0.82 - 2 * pen.radius
    width = _ink_width(mark)
    if width > room:
        # A wide digit in a narrow cell: people write it smaller, not squashed.
        mark = digit_mark(source, height * room / width, pen, rng)
    cx = cell.x + cell.w / 2 + rng.normal(0, cell.w * 0.05)
    cy = cell.y + cell.h / 2 + rng.normal(0, cell.h * 0.04) + cell.h * 0.02
    if rng.random() < CROSSING_RATE:
        # Careless writing: the digit rides onto a neighbouring border.
        if rng.random() < 0.5:
            cx += rng.choice((-1, 1)) * cell.w * rng.uniform(0.22, 0.32)
        else:
            cy += rng.choice((-1, 1)) * cell.h * rng.uniform(0.16, 0.24)
    put_mark(page, mark, cx, cy, pen, rng)


def draw_digits(
    page: np.ndarray,
    spec: FieldSpec,
    digits: str,
    pen: Pen,
    bank: DigitBank,
    rng: np.random.Generator,
    *,
    right_align: bool = False,
) -> None:
    cells = spec.cell_rects()
    digits = digits[-len(cells) :] if right_align else digits[: len(cells)]
    start = len(cells) - len(digits) if right_align else 0
    for i, ch in enumerate(digits):
        draw_digit(page, cells[start + i], int(ch), pen, bank, rng)


def circle(page: np.ndarray, rect: Rect, pen: Pen, rng: np.random.Generator) -> None:
    """A hand-drawn ellipse around ``rect``: one stroke, open or overlapping at the ends."""
    a = rect.w / 2 * rng.uniform(0.98, 1.12) + 6
    b = rect.h / 2 * rng.uniform(1.0, 1.2) + 6
    tilt = math.radians(rng.normal(0, 5))
    start = rng.uniform(-2.4, -0.6)  # people start near the top
    sweep = 2 * math.pi + rng.uniform(-0.35, 0.45)
    phase = rng.uniform(0, 2 * math.pi)
    drift = rng.uniform(-0.08, 0.08)  # the end misses the start: a slight spiral
    t = np.linspace(0.0, 1.0, 120)
    theta = start + sweep * t
    wobble = 1.0 + 0.035 * np.sin(2 * theta + phase) + drift * t
    ex, ey = a * wobble * np.cos(theta), b * wobble * np.sin(theta)
    pad = int(max(a, b) * 1.3) + 8
    cx = rect.x + rect.w / 2 + rng.normal(0, 3)
    cy = rect.y + rect.h / 2 + rng.normal(0, 3)
    px = pad + ex * math.cos(tilt) - ey * math.sin(tilt)
    py = pad + ex * math.sin(tilt) + ey * math.cos(tilt)
    skeleton = polyline_skeleton(np.stack([px, py], axis=1), (2 * pad, 2 * pad))
    put_mark(page, Mark(skeleton, pad, pad), cx, cy, pen, rng)


def tick(page: np.ndarray, rect: Rect, pen: Pen, rng: np.random.Generator) -> None:
    """A check mark (✓) in a box, usually bigger than the box and leaning right."""
    s = rect.h * rng.uniform(0.95, 1.35)
    t = np.linspace(0.0, 1.0, 16)
    # Short stroke down to the right, then a long curved stroke up to the right.
    x1 = -0.30 + 0.22 * t
    y1 = 0.0 + 0.32 * t + 0.05 * np.sin(np.pi * t)
    x2 = -0.08 + 0.55 * t
    y2 = 0.32 - 0.95 * t + 0.12 * np.sin(np.pi * t)
    path = np.concatenate([np.stack([x1, y1], 1), np.stack([x2, y2], 1)]) * s
    angle = math.radians(rng.normal(0, 7))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    path = path @ rot.T
    pad = int(s * 1.2) + 8
    skeleton = polyline_skeleton(path + pad, (2 * pad, 2 * pad))
    cx = rect.x + rect.w / 2 + rng.normal(0, rect.w * 0.06)
    cy = rect.y + rect.h / 2 + rng.normal(0, rect.h * 0.06)
    put_mark(page, Mark(skeleton, pad, pad), cx, cy, pen, rng)


def draw_text(
    page: np.ndarray,
    rect: Rect,
    text: str,
    pen: Pen,
    bank: DigitBank,
    rng: np.random.Generator,
    style: HandStyle | None = None,
) -> None:
    """Hand-printed text on one line, left-aligned with a margin, drifting slightly.

    Japanese characters are drawn in the writer's ``style`` family (``hand_styles``), or from
    the form font when no style is given.
    """
    char_h = min(rect.h * rng.uniform(0.42, 0.52), 68.0) * pen.size
    gap = rng.uniform(1.0, 1.14)
    units = [0.8 if ch.isascii() else (0.7 if ch == "\u3000" else 1.0) for ch in text]
    margin = rect.h * rng.uniform(0.12, 0.3)
    room = rect.w - margin - rect.h * 0.25
    if sum(units) * char_h * gap > room:
        char_h = room / (sum(units) * gap)
    marks: list[Mark | None] = []
    steps: list[float] = []
    for ch, unit in zip(text, units, strict=True):
        step = unit * char_h * gap * rng.uniform(0.9, 1.1)
        mark = None
        if ch.isdigit():
            mark = digit_mark(bank.pick(int(ch), rng), char_h * 0.8, pen, rng)
            # Handwritten digits vary in width (a 1 vs a 0): advance by the ink.
            step = _ink_width(mark) + char_h * rng.uniform(0.15, 0.3)
        elif not ch.isspace():
            mark = (
                style.mark(ch, char_h, pen, rng)
                if style is not None
                else char_mark(ch, char_h, pen, rng)
            )
        marks.append(mark)
        steps.append(step)
    # Running out of room, people squeeze the last characters together.
    squeeze = min(1.0, room / max(sum(steps), 1.0))
    x = rect.x + margin
    mid = rect.y + rect.h * rng.uniform(0.5, 0.58)
    slope = math.tan(math.radians(rng.normal(0, 0.6)))
    for mark, step in zip(marks, steps, strict=True):
        step *= squeeze
        if mark is not None:
            cy = mid + (x - rect.x) * slope + rng.normal(0, char_h * 0.05)
            put_mark(page, mark, x + step / 2, cy, pen, rng)
        x += step


def _era_option(spec: FieldSpec, era: str) -> Option | None:
    for option in spec.options:
        if era in (option.value, option.label):
            return option
    return None


def fill_field(
    page: np.ndarray,
    spec: FieldSpec,
    value: str,
    pen: Pen,
    bank: DigitBank,
    rng: np.random.Generator,
    style: HandStyle | None = None,
) -> None:
    """Write ``value`` (canonical truth format) into ``spec`` as a person would.

    Text (names, readings, addresses) is written in ``style``; digits always come from
    ``bank``, real handwriting.
    """
    if not value:
        return
    kind = spec.kind
    if kind == FieldKind.WAREKI_DATE:
        option = _era_option(spec, value[0])
        # A lone pre-printed era is often left uncircled; a choice of eras never is.
        if option is not None and (len(spec.options) > 1 or rng.random() < 0.6):
            circle(page, option.rect, pen, rng)
        draw_digits(page, spec, value[1:].replace(".", ""), pen, bank, rng)
    elif kind == FieldKind.DATE:
        draw_digits(page, spec, value.replace("-", ""), pen, bank, rng)
    elif kind == FieldKind.AMOUNT:
        draw_digits(page, spec, value, pen, bank, rng, right_align=True)
    elif kind in COMB_KINDS:
        draw_digits(page, spec, value, pen, bank, rng)
    elif kind == FieldKind.CHECKBOX:
        if value == "1":
            tick(page, spec.rect, pen, rng)
    elif kind == FieldKind.CHOICE:
        for option in spec.options:
            if option.value == value:
                circle(page, option.rect, pen, rng)
    else:
        draw_text(page, spec.rect, value, pen, bank, rng, style)
