"""Field crops: printed comb borders (black and dropout red) go, handwriting stays."""

import cv2
import numpy as np
import pytest

from forms_catalog.layouts.base import BLACK, DROPOUT_RED
from lab.synthetic.pen import composite
from ocr.pipeline import cells
from ocr.pipeline.engines.base import FieldGeometry, PageImages

COMB = FieldGeometry(key="n", kind="digits", x=40, y=40, w=180, h=95, cells=3)
BLUE_INK = (24, 38, 104)  # RGB


def _comb_reference(rgb: tuple[int, int, int]) -> np.ndarray:
    """A white page (BGR) with a 3-cell comb drawn 3 px wide, like the renderer."""
    page = np.full((200, 280, 3), 255, np.uint8)
    bgr = tuple(int(c) for c in rgb[::-1])
    for x in cells.cell_edges(COMB.x, COMB.w, COMB.cells):
        cv2.rectangle(page, (x - 1, COMB.y - 1), (x + 1, COMB.y + COMB.h + 1), bgr, -1)
    for y in (COMB.y, COMB.y + COMB.h):
        cv2.rectangle(page, (COMB.x - 1, y - 1), (COMB.x + COMB.w + 1, y + 1), bgr, -1)
    return page


def _with_stroke(reference: np.ndarray) -> np.ndarray:
    """The reference with a horizontal pen stroke crossing the border at x=100."""
    rgb = np.ascontiguousarray(reference[..., ::-1])
    alpha = np.zeros((20, 60), np.float32)
    cv2.line(alpha, (5, 10), (55, 10), 1.0, 5, cv2.LINE_AA)
    composite(rgb, alpha, 75, 70, BLUE_INK)  # x 80..130, y ~80
    return np.ascontiguousarray(rgb[..., ::-1])


@pytest.mark.parametrize("colour", [BLACK, DROPOUT_RED], ids=["black", "red"])
def test_borders_removed_and_crossing_stroke_kept(colour):
    reference = _comb_reference(colour)
    page = PageImages(_with_stroke(reference), reference)
    box = cells.Box.of(COMB).grow(10)
    clean = cells.clean_crop(page, box)
    border_x = cells.cell_edges(COMB.x, COMB.w, COMB.cells)[1] - box.x  # the border at x=100
    stroke_y = 80 - box.y
    # The printed border is gone above and below the stroke ...
    column = clean[:, border_x - 1 : border_x + 2]
    assert column[: stroke_y - 8].min() > 200
    assert column[stroke_y + 8 :].min() > 200
    # ... and so are the top and bottom rules.
    assert clean[COMB.y - box.y, 20:40].min() > 200
    # ... while the stroke is continuous across the border.
    assert (
        clean[stroke_y - 1 : stroke_y + 2, 80 - box.x + 3 : 130 - box.x - 3].min(axis=0).max() < 128
    )


def test_comb_cells_one_grey_crop_per_cell_with_margin():
    reference = _comb_reference(BLACK)
    page = PageImages(_with_stroke(reference), reference)
    crops = cells.comb_cells(page, COMB)
    assert len(crops) == 3
    for crop in crops:
        assert crop.dtype == np.uint8 and crop.ndim == 2
        assert crop.shape[1] > COMB.w / 3  # reaches into the neighbours
        assert crop.shape[0] > COMB.h
    # The stroke is seen in both cells it crosses, the last cell is empty.
    assert crops[0].min() < 128 and crops[1].min() < 128
    assert crops[2].min() > 200


def test_dropout_gray_drops_red_keeps_ink():
    image = np.array([[[110, 110, 235], [104, 38, 24], [255, 255, 255]]], np.uint8)  # BGR
    gray = cells.dropout_gray(image)
    assert gray[0, 0] >= 230  # dropout red
    assert gray[0, 1] < 80  # blue ink
    assert gray[0, 2] == 255


def test_dropout_gray_and_is_colour_match_their_numpy_definitions():
    # Computed with OpenCV on uint8 for speed; the definitions, in signed numpy arithmetic,
    # must give the same pixels and decisions (greyish crops decide near the spread too).
    rng = np.random.default_rng(5)
    images = [rng.integers(0, 256, (37, 53, 3), dtype=np.uint8) for _ in range(20)]
    for spread in range(0, 60, 3):
        base = rng.integers(150, 256, (40, 60, 1))
        images.append(np.clip(base + rng.integers(0, spread + 1, (40, 60, 3)), 0, 255))
    for image in [i.astype(np.uint8) for i in images]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        b, g, r = (image[..., i].astype(np.int16) for i in range(3))
        red = (r >= cells.RED_MIN_R) & (r - np.maximum(g, b) >= cells.RED_MIN_EXCESS)
        expected = gray.copy()
        expected[red] = np.maximum(gray[red], image[..., 2][red])
        assert np.array_equal(cells.dropout_gray(image), expected)
        chroma = image.astype(np.int16).max(axis=2) - image.astype(np.int16).min(axis=2)
        assert cells.is_colour(image) == (np.percentile(chroma, 99.5) > cells.COLOUR_SPREAD)


def test_crop_pads_outside_the_page_with_paper():
    image = np.zeros((10, 10), np.uint8)
    out = cells.crop(image, cells.Box(-5, -5, 10, 10))
    assert out.shape == (10, 10)
    assert out[0, 0] == 255 and out[9, 9] == 0


def test_box_ink_is_zero_for_printed_matter():
    reference = _comb_reference(BLACK)
    page = PageImages(reference.copy(), reference)
    assert cells.box_ink(page, cells.Box.of(COMB)) == 0.0


def test_comb_cells_do_not_bridge_two_digits_beside_a_black_border():
    """Two strokes ending close to the same black border from either side stay apart.

    Healing across the rule would join them with a bar (a 0 beside a 0 then reads as 9 and 6).
    """
    reference = _comb_reference(BLACK)
    rgb = np.ascontiguousarray(reference[..., ::-1])
    for x0, x1 in ((70, 96), (104, 130)):  # the border is at x=100, 3 px wide
        alpha = np.zeros((20, 70), np.float32)
        cv2.line(alpha, (x0 - 60, 10), (x1 - 60, 10), 1.0, 5, cv2.LINE_AA)
        composite(rgb, alpha, 60, 70, BLUE_INK)
    page = PageImages(np.ascontiguousarray(rgb[..., ::-1]), reference)
    first, second, _ = cells.comb_cells(page, COMB)
    # cell 0's crop starts 2 + 12 % of a cell width left of x=40; the border is at x=100.
    mx = max(2, round(cells.CELL_MARGIN_X * COMB.w / COMB.cells))
    my = max(2, round(cells.CELL_MARGIN_Y * COMB.h))
    row = 80 - (COMB.y - my)
    gap = first[row - 2 : row + 3, 100 - (COMB.x - mx) - 1 : 100 - (COMB.x - mx) + 2]
    assert gap.min() > 200  # paper where the rule was: no bar between the strokes
    assert first[row, 80 - (COMB.x - mx)] < 128  # while the strokes themselves are kept
    assert second[row, 115 - (100 - mx)] < 128
