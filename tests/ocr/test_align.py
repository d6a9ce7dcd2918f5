"""Page registration (ocr.pipeline.align) on rendered blanks perturbed like real scans.

Each perturbed page must align with ``ok=True``, the right ``rotated_180``, and the printed
comb borders of the aligned page within 2 px of where the layout puts them; a blank page,
noise and a page of another form must come back ``ok=False`` with a reason.
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np
import pytest

from forms_catalog.layouts import get_layout
from forms_catalog.layouts.base import BLACK, FormLayout
from forms_catalog.render import render_page
from ocr.pipeline.align import (
    MESSAGES,
    SCORE_THRESHOLD,
    PreparedReference,
    align_page,
    prepare_reference,
)

FORMS = ("furusato-onestop", "kyuyo-shiharai")  # dropout-red combs, and black combs
TOLERANCE_PX = 2.0


@pytest.fixture(scope="module")
def blanks() -> dict[str, tuple[FormLayout, np.ndarray, PreparedReference]]:
    out = {}
    for code in FORMS:
        layout = get_layout(code)
        bgr = cv2.cvtColor(np.asarray(render_page(layout)), cv2.COLOR_RGB2BGR)
        out[code] = (layout, bgr, prepare_reference(bgr))
    return out


def scribble(page: np.ndarray, rng: np.random.Generator, strokes: int = 30) -> np.ndarray:
    """Blue and black pen strokes over the page, some across comb cells and labels."""
    out = page.copy()
    h, w = out.shape[:2]
    for _ in range(strokes):
        colour = [(150, 40, 20), (30, 30, 30), (120, 30, 10)][int(rng.integers(3))]
        start = (int(rng.integers(100, w - 300)), int(rng.integers(100, h - 300)))
        points = np.cumsum(rng.normal(0, 25, (12, 2)), axis=0) + start
        width = int(rng.integers(3, 7))
        cv2.polylines(out, [points.astype(np.int32)], False, colour, width, cv2.LINE_AA)
    return out


def perturb(
    page: np.ndarray,
    *,
    angle: float = 0.0,
    scale: float = 1.0,
    shift: tuple[int, int] = (0, 0),
    turn: bool = False,
    jpeg: int | None = None,
) -> np.ndarray:
    """The page rotated about its centre (+180 when ``turn``), scaled with its canvas (a scan at
    ``scale`` x 300 dpi), shifted, and optionally JPEG-compressed."""
    h, w = page.shape[:2]
    rotate = np.vstack(
        [cv2.getRotationMatrix2D((w / 2, h / 2), angle + 180 * turn, 1.0), [0, 0, 1]]
    )
    move = np.array([[scale, 0, shift[0]], [0, scale, shift[1]], [0, 0, 1.0]])
    size = (round(w * scale), round(h * scale))
    flags = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    out = cv2.warpAffine(page, (move @ rotate)[:2], size, flags=flags, borderValue=(255, 255, 255))
    if jpeg is not None:
        _, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def rule_strength(window: np.ndarray, layout: FormLayout) -> tuple[np.ndarray, int]:
    """How much each pixel of a BGR window looks like the printed rules, and the row
    percentile to take.

    Black rules: darkness; a pen stroke only adds darkness, so a low percentile over the rows
    keeps the border (in every row) and drops strokes (in few). Dropout-red rules on a colour
    page: redness R - G, which pen ink never adds but may hide, so the median.
    """
    b, g, r = (window[:, :, i].astype(np.float32) for i in range(3))
    if layout.rule_color == BLACK or np.array_equal(b, r):
        return 255.0 - (0.114 * b + 0.587 * g + 0.299 * r), 10
    return np.clip(r - g, 0, None), 50


def comb_border_errors(aligned: np.ndarray, layout: FormLayout) -> list[float]:
    """|measured - expected| x of every printed comb border in the aligned page, in pixels.

    Over the comb's middle half, each column within +-6 px of the expected edge gets a row
    percentile of its rule strength (see ``rule_strength``); the border is the centroid of
    that profile. Borders a pen stroke hides over most of that height are left out.
    """
    offsets = np.arange(-6, 7, dtype=np.float32)
    errors = []
    for spec in layout.fields:
        cells = spec.cell_rects()
        if not cells:
            continue
        top, bottom = spec.rect.y + spec.rect.h // 4, spec.rect.bottom - spec.rect.h // 4
        for x in [c.x for c in cells] + [spec.rect.right]:
            strength, percentile = rule_strength(aligned[top:bottom, x - 6 : x + 7], layout)
            profile = np.percentile(strength, percentile, axis=0)
            profile = profile - profile.min()
            if profile.max() <= 40:
                continue
            errors.append(abs(float((profile * offsets).sum() / profile.sum())))
    return errors


CASES = {
    "rotate+5": {"angle": 5.0},
    "rotate-5": {"angle": -5.0},
    "upside-down": {"turn": True, "angle": 1.5},
    "200dpi": {"scale": 200 / 300, "angle": -2.0},
    "600dpi": {"scale": 2.0, "angle": 1.0},
    "shift": {"shift": (70, -55), "scale": 1.04},
    "jpeg60": {"jpeg": 60, "angle": 0.7, "scale": 0.96},
}


@pytest.mark.parametrize("code", FORMS)
@pytest.mark.parametrize("case", CASES)
def test_perturbed_page_aligns(blanks, code: str, case: str) -> None:
    layout, blank, reference = blanks[code]
    rng = np.random.default_rng(zlib.crc32(f"{code}/{case}".encode()))
    scan = perturb(scribble(blank, rng), **CASES[case])
    if case == "200dpi":
        scan = cv2.cvtColor(scan, cv2.COLOR_BGR2GRAY)  # gray scans are accepted as they are
    result = align_page(scan, reference)
    assert result.ok, (result.reason, result.score)
    assert result.reason == ""
    assert result.rotated_180 == CASES[case].get("turn", False)
    assert result.aligned.shape == (*blank.shape[:2], 3)
    assert 0.5 <= result.score <= 1.0
    errors = comb_border_errors(result.aligned, layout)
    assert len(errors) >= 0.9 * len(comb_border_errors(blank, layout))
    assert max(errors) <= TOLERANCE_PX, f"max {max(errors):.2f} px, mean {np.mean(errors):.2f}"


def test_unprepared_reference_is_accepted(blanks) -> None:
    _, blank, _ = blanks["kyuyo-shiharai"]
    result = align_page(perturb(blank, angle=-3.0), blank)
    assert result.ok
    assert np.allclose(result.homography[2], [0, 0, 1], atol=1e-3)


def _assert_rejected(result) -> None:
    assert not result.ok
    assert result.reason in MESSAGES
    assert result.message == MESSAGES[result.reason]
    assert result.score < SCORE_THRESHOLD


def test_blank_page_is_rejected(blanks) -> None:
    _, blank, reference = blanks["furusato-onestop"]
    result = align_page(np.full_like(blank, 255), reference)
    _assert_rejected(result)
    assert result.reason == "too_few_features"


def test_noise_page_is_rejected(blanks) -> None:
    _, blank, reference = blanks["furusato-onestop"]
    noise = np.random.default_rng(0).integers(0, 256, blank.shape, dtype=np.uint8)
    _assert_rejected(align_page(noise, reference))


def test_page_of_another_form_is_rejected(blanks) -> None:
    _, kyuyo, _ = blanks["kyuyo-shiharai"]
    _, _, furusato = blanks["furusato-onestop"]
    scan = perturb(scribble(kyuyo, np.random.default_rng(1)), angle=2.0, jpeg=80)
    _assert_rejected(align_page(scan, furusato))


def test_half_page_is_flagged(blanks) -> None:
    _, kyuyo, reference = blanks["kyuyo-shiharai"]
    result = align_page(kyuyo[: kyuyo.shape[0] // 2], reference)
    _assert_rejected(result)
    assert result.reason == "low_score"
