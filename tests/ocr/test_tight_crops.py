"""Tightly cropped comb strips: cells come from the crop's own rules, not from a guess.

Strips are drawn by ``lab.strips`` (train-split handwriting: this is about the geometry;
accuracy is measured on the eval split by ``scripts/eval_tight_crops.py``).
"""

import random

import numpy as np
import pytest

from lab.strips import StripSpec, make_strip
from ocr.pipeline import cropped
from ocr.pipeline.engines import digits as digits_module
from ocr.pipeline.read import read_page

needs_model = pytest.mark.skipif(
    not digits_module.MODEL_PATH.is_file(), reason="digit model not trained"
)

# margin, colour, rule width, skew (degrees), cell size: a sample of the benchmark's strips.
STRIPS = [
    (2, "black", 2, 1.2, (66, 78)),
    (2, "red", 1, -0.8, (66, 78)),
    (2, "black", 1, -1.5, (52, 64)),
    (6, "red", 3, 1.4, (84, 100)),
    (12, "black", 3, -1.0, (66, 78)),
    (2, "red", 2, 0.6, (52, 64)),
]


def _strip(margin, colour, border, skew, size, seed="tight-1", **extra):
    spec = StripSpec(
        cell_w=size[0], cell_h=size[1], border=border, colour=colour, margin=margin, skew=skew,
        **extra,
    )  # fmt: skip
    return make_strip(spec, random.Random(f"{seed}:{margin}:{colour}:{border}:{skew}"), "train")


@needs_model
@pytest.mark.parametrize(("margin", "colour", "border", "skew", "size"), STRIPS)
def test_tight_strips_read_like_the_page(margin, colour, border, skew, size):
    strip = _strip(margin, colour, border, skew, size)
    on_page = read_page(strip.page, [strip.field])["field"]
    assert on_page.value == strip.truth  # the handwriting itself is readable
    reading = cropped.read_cropped(strip.crop, strip.kind)
    assert reading.value == strip.truth
    assert "no_frame" not in reading.notes and "cells_guessed" not in reading.notes


@pytest.mark.parametrize(("margin", "colour", "border", "skew", "size"), STRIPS)
def test_borders_found_on_the_rules_within_2_px(margin, colour, border, skew, size):
    strip = _strip(margin, colour, border, skew, size)
    comb = cropped.find_comb(strip.crop, strip.kind, 12)
    assert comb.seen == 11
    assert abs(comb.angle + skew) <= 0.15  # turned back upright
    found = cropped.border_positions(comb, strip.crop.shape)
    assert len(found) == 13
    assert np.abs(np.array(found) - np.array(strip.edges)).max() <= 2.0


def test_unevenly_spaced_rules_are_followed_not_the_uniform_guess():
    strip = _strip(2, "black", 2, 0.0, (66, 78))
    crop = strip.crop.copy()
    # Widen cell 3 by 8 px at the cost of cell 4: move the rule between them right.
    # The rule with its blurred fringes (7 columns) goes 8 px right; paper takes its place.
    x = round(strip.edges[3])
    rule = crop[:, x - 3 : x + 4].copy()
    crop[:, x - 3 : x + 4] = np.median(crop[:, 60:70], axis=(0, 1)).astype(np.uint8)
    crop[:, x + 5 : x + 12] = rule
    comb = cropped.find_comb(crop, strip.kind, 12)
    found = cropped.border_positions(comb, crop.shape)
    assert abs(found[3] - (strip.edges[3] + 8)) <= 2.0
    assert abs(found[4] - strip.edges[4]) <= 2.0


@needs_model
def test_frame_without_cell_rules_falls_back_to_the_uniform_guess():
    strip = _strip(6, "black", 2, 0.0, (66, 78), inner_rules=False)
    comb = cropped.find_comb(strip.crop, strip.kind, 12)
    assert comb.frame is not None and comb.seen == 0
    found = cropped.border_positions(comb, strip.crop.shape)
    assert np.abs(np.array(found) - np.array(strip.edges)).max() <= 2.0  # uniform = drawn here
    reading = cropped.read_cropped(strip.crop, strip.kind)
    assert "cells_guessed" in reading.notes
    assert reading.confidence <= cropped.GUESSED_CAP  # never auto-accepted


def test_upright_crop_is_not_resampled():
    strip = _strip(6, "red", 2, 0.0, (66, 78))
    comb = cropped.find_comb(strip.crop, strip.kind, 12)
    assert abs(comb.angle) < cropped.MIN_SKEW
    pad = 2 * cropped.PAPER_PAD
    assert comb.image.shape == (strip.crop.shape[0] + pad, strip.crop.shape[1] + pad, 3)


@needs_model
def test_no_rules_at_all_reads_without_frame_and_is_not_accepted():
    reading = cropped.read_cropped(np.full((90, 800, 3), 250, np.uint8), "mynumber")
    assert "no_frame" in reading.notes
    assert reading.confidence <= cropped.GUESSED_CAP


@pytest.mark.parametrize(
    ("cells", "colour", "skew"), [(13, "red", 1.1), (7, "black", -1.3), (11, "red", -0.7)]
)
def test_other_comb_lengths_are_found_too(cells, colour, skew):
    spec = StripSpec(cells=cells, border=2, colour=colour, margin=2, skew=skew)
    strip = make_strip(spec, random.Random(f"tight-cells:{cells}"), "train")
    comb = cropped.find_comb(strip.crop, strip.kind, cells)
    assert comb.seen == cells - 1
    found = cropped.border_positions(comb, strip.crop.shape)
    assert np.abs(np.array(found) - np.array(strip.edges)).max() <= 2.0
