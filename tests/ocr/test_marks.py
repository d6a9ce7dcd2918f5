"""Checkboxes and circled choices, from ink added to the blank reference."""

import functools

import cv2
import numpy as np
import pytest

from forms_catalog.layouts import get_layout
from forms_catalog.render import render_page
from lab.synthetic.handwriting import circle, tick
from lab.synthetic.pen import random_pen
from ocr.pipeline.engines import marks
from ocr.pipeline.engines.base import FieldGeometry, PageImages

CODE = "furusato-onestop"


@functools.cache
def _blank_rgb() -> np.ndarray:
    return np.asarray(render_page(get_layout(CODE)).convert("RGB"))


def _field(key: str) -> FieldGeometry:
    return FieldGeometry.from_dict(get_layout(CODE).field(key).to_dict())


def _page(draw=None, seed: int = 0) -> PageImages:
    """The blank page, with ``draw(rgb_page, rng, pen)`` applied; as BGR PageImages."""
    blank = _blank_rgb()
    rgb = blank.copy()
    if draw is not None:
        rng = np.random.default_rng(seed)
        draw(rgb, rng, random_pen(rng))
    to_bgr = lambda a: np.ascontiguousarray(cv2.cvtColor(a, cv2.COLOR_RGB2BGR))  # noqa: E731
    return PageImages(to_bgr(rgb), to_bgr(blank))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ticked_checkbox_reads_1_empty_reads_0(seed):
    spec = get_layout(CODE).field("consent")
    ticked = _page(lambda p, rng, pen: tick(p, spec.rect, pen, rng), seed)
    empty = _page()
    yes = marks.read_checkbox(ticked, _field("consent"))
    no = marks.read_checkbox(empty, _field("consent"))
    assert yes.value == "1" and yes.confidence > 0.9
    assert no.value == "0" and no.confidence > 0.9


def test_tick_in_one_box_does_not_check_the_next():
    spec = get_layout(CODE).field("req_no_tax_return")
    page = _page(lambda p, rng, pen: tick(p, spec.rect, pen, rng), 3)
    assert marks.read_checkbox(page, _field("req_no_tax_return")).value == "1"
    assert marks.read_checkbox(page, _field("req_five_or_fewer")).value == "0"


@pytest.mark.parametrize("word", ["男", "女"])
@pytest.mark.parametrize("seed", [0, 1])
def test_circled_option_wins(word, seed):
    spec = get_layout(CODE).field("sex")
    option = next(o for o in spec.options if o.value == word)
    page = _page(lambda p, rng, pen: circle(p, option.rect, pen, rng), seed)
    decision = marks.read_choice(page, _field("sex"))
    assert decision.value == word
    assert decision.confidence > 0.9
    assert len(decision.scores) == 2


def test_nothing_circled_is_blank_and_reading_keeps_margin():
    decision = marks.read_choice(_page(), _field("sex"))
    assert decision.value == ""
    reading = decision.reading()
    assert reading.engine == "marks"
    assert any(note.startswith("margin=") for note in reading.notes)


def test_two_circled_options_are_ambiguous():
    spec = get_layout(CODE).field("sex")

    def both(p, rng, pen):
        for option in spec.options:
            circle(p, option.rect, pen, rng)

    decision = marks.read_choice(_page(both), _field("sex"))
    assert decision.confidence < 0.6


def test_era_circled_among_several():
    spec = get_layout(CODE).field("birth_date")
    showa = next(o for o in spec.options if o.value == "S")
    page = _page(lambda p, rng, pen: circle(p, showa.rect, pen, rng), 4)
    assert marks.read_era(page, _field("birth_date")).value == "S"
    # A lone printed era needs no circle.
    assert marks.read_era(_page(), _field("donation_date")).value == "R"


def test_engine_reads_only_mark_fields():
    fields = [FieldGeometry.from_dict(f.to_dict()) for f in get_layout(CODE).fields]
    readings = marks.MarkEngine().read_page(_page(), fields)
    assert set(readings) == {"sex", "req_no_tax_return", "req_five_or_fewer", "consent"}
    assert readings["consent"].value == "0"
