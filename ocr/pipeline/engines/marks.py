"""Checkboxes and circled choices, read from ink added to the blank reference.

Everything printed is cancelled by differencing against the reference (``ocr.pipeline.cells``),
so only what the applicant wrote is measured:

- checkbox: added ink in and just around the box, relative to the box area (ticks overshoot).
- choice (and the era of a wareki date): for each printed option, how much of a ring around
  it carries added ink. A hand-drawn circle covers (almost) the whole ring of its option; a
  neighbour's circle crosses only one side of another option's ring. The option with clearly
  the highest coverage wins; nothing or two similar candidates give a low confidence.

Confidences are a logistic function of a signed margin (``MarkDecision.margin``: positive =
the decision is on the safe side of every threshold). The slopes are first guesses, to be
recalibrated on evaluation data; the raw margin and scores are kept for that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from forms_catalog.kinds import FieldKind
from ocr.pipeline.cells import INK_LEVEL, Box, box_ink, ink_map
from ocr.pipeline.engines.base import FieldGeometry, PageImages, Reading

ENGINE_NAME = "marks"

# Checkbox: added ink around the box / box area. An empty box measures ~0, a tick ~0.15-0.4.
CHECK_THRESHOLD = 0.05
CHECK_SLOPE = 3.0  # per unit of log-ratio to the threshold

# Choice: the ring around an option is 0.85-2.0 of its half size (normalised elliptic radius).
RING_INNER = 0.85
RING_OUTER = 2.0
RING_BINS = 24
RING_MIN_PIXELS = 2  # ink pixels a bin needs to count as covered
CIRCLED_ABOVE = 0.5  # coverage from which an option counts as circled
CHOICE_SLOPE = 12.0


@dataclass(frozen=True)
class MarkDecision:
    """A mark read: ``value`` in canonical form, its confidence and the raw measures."""

    value: str
    confidence: float
    margin: float
    scores: tuple[float, ...]

    def reading(self, engine: str = ENGINE_NAME) -> Reading:
        scores = ",".join(f"{s:.3f}" for s in self.scores)
        notes = (f"margin={self.margin:.3f}", f"scores={scores}")
        return Reading(self.value, self.confidence, engine=engine, notes=notes)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


# --------------------------------------------------------------------------- checkbox


def read_checkbox(page: PageImages, field: FieldGeometry) -> MarkDecision:
    """ "1" when clearly more ink than an empty box would have, else "0"."""
    measure = box_ink(page, Box.of(field))
    # Log-ratio to the threshold: symmetric for "a little more" and "a little less".
    margin = math.log((measure + 0.004) / (CHECK_THRESHOLD + 0.004))
    checked = margin > 0
    confidence = _sigmoid(CHECK_SLOPE * abs(margin))
    return MarkDecision("1" if checked else "0", confidence, abs(margin), (measure,))


# --------------------------------------------------------------------------- choice


def ring_coverage(page: PageImages, options: list[Box]) -> list[float]:
    """For each option, the fraction of angular bins of its ring that carry added ink."""
    if not options:
        return []
    reach = max(max(o.w, o.h) for o in options)
    x0 = min(o.x for o in options) - reach
    y0 = min(o.y for o in options) - reach
    x1 = max(o.x + o.w for o in options) + reach
    y1 = max(o.y + o.h for o in options) + reach
    area = Box(x0, y0, x1 - x0, y1 - y0)
    ink = ink_map(page, area) > INK_LEVEL / 255.0
    ys, xs = np.nonzero(ink)
    xs = xs + x0
    ys = ys + y0
    coverage = []
    for o in options:
        cx, cy = o.x + o.w / 2.0, o.y + o.h / 2.0
        u = (xs - cx) / (o.w / 2.0)
        v = (ys - cy) / (o.h / 2.0)
        r = np.hypot(u, v)
        inside = (r >= RING_INNER) & (r <= RING_OUTER)
        if not inside.any():
            coverage.append(0.0)
            continue
        angle = np.arctan2(v[inside], u[inside])
        bins = ((angle + math.pi) / (2 * math.pi) * RING_BINS).astype(int) % RING_BINS
        counts = np.bincount(bins, minlength=RING_BINS)
        coverage.append(float((counts >= RING_MIN_PIXELS).mean()))
    return coverage


def decide_choice(values: list[str], scores: list[float]) -> MarkDecision:
    """The circled option from ring coverages; "" when none is circled."""
    if not values:
        return MarkDecision("", 0.0, 0.0, ())
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    best = scores[order[0]]
    second = scores[order[1]] if len(order) > 1 else 0.0
    if best >= CIRCLED_ABOVE:
        # Safe when clearly circled and clearly ahead of the runner-up.
        margin = min(best - CIRCLED_ABOVE, best - second)
        value = values[order[0]]
    else:
        margin = CIRCLED_ABOVE - best
        value = ""
    return MarkDecision(value, _sigmoid(CHOICE_SLOPE * margin), margin, tuple(scores))


def read_choice(page: PageImages, field: FieldGeometry) -> MarkDecision:
    """The circled option of a choice field (option ``value``), or "" if none."""
    options = [Box.of_option(o) for o in field.options]
    values = [str(o["value"]) for o in field.options]
    return decide_choice(values, ring_coverage(page, options))


def read_era(page: PageImages, field: FieldGeometry) -> MarkDecision:
    """The era of a wareki_date field. A lone printed era needs no circle: it is that era."""
    if len(field.options) == 1:
        return MarkDecision(str(field.options[0]["value"]), 1.0, 1.0, ())
    return read_choice(page, field)


class MarkEngine:
    """Reads the checkbox and choice fields of a page (Engine protocol)."""

    name = ENGINE_NAME

    def read_era(self, page: PageImages, field: FieldGeometry) -> MarkDecision:
        return read_era(page, field)

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        out: dict[str, Reading] = {}
        for f in fields:
            if f.kind == FieldKind.CHECKBOX:
                out[f.key] = read_checkbox(page, f).reading(self.name)
            elif f.kind == FieldKind.CHOICE:
                out[f.key] = read_choice(page, f).reading(self.name)
        return out
