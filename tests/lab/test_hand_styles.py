"""Handwriting style families: the held-out split, every family draws, KanjiVG paths parse."""

import numpy as np

from lab.synthetic import hand_styles
from lab.synthetic.hand_styles import FAMILIES, HELD_OUT, HandStyle, families_for, svg_path_points
from lab.synthetic.pen import random_pen


def test_held_out_family_only_in_the_evaluation_split():
    assert families_for("eval") == (HELD_OUT,)
    for split in ("train", "calib"):
        assert HELD_OUT not in families_for(split)
        assert set(families_for(split)) | {HELD_OUT} == set(FAMILIES)
    rng = np.random.default_rng(0)
    assert {hand_styles.random_style("eval", rng).family for _ in range(5)} == {HELD_OUT}


def test_every_family_writes_katakana_small_kana_and_kanji():
    rng = np.random.default_rng(1)
    pen = random_pen(rng)
    for family in FAMILIES:
        for char in ("ア", "ッ", "ー", "佐"):
            mark = HandStyle(family).mark(char, 45.0, pen, rng)
            ys = np.nonzero(mark.skeleton)[0]
            assert len(ys) > 15, (family, char)
            # Drawn in the style, not by the form-font fallback: the family holds the glyph.
            assert char in "".join(e["chars"] for e in hand_styles._styles()["families"][family])


def test_small_kana_is_drawn_smaller_than_its_large_kana():
    rng = np.random.default_rng(2)
    pen = random_pen(rng)
    for family in FAMILIES:
        heights = []
        for char in ("ツ", "ッ"):
            ys = np.nonzero(HandStyle(family).mark(char, 60.0, pen, rng).skeleton)[0]
            heights.append(ys.max() - ys.min())
        assert heights[1] < heights[0], family


def test_svg_path_with_relative_and_smooth_curves():
    points = svg_path_points("M10,20c0,10,10,10,10,0s10,-10,10,0L40,20")
    assert np.allclose(points[0], (10, 20))
    assert np.allclose(points[-1], (40, 20))
    # The first curve bulges down to y = 27.5 at its middle, the smooth one mirrors it up.
    assert points[:, 1].max() > 27 and points[:, 1].min() < 13
