"""Synthetic handwritten katakana lines, as the reading pipeline sees a フリガナ field.

One sample is one katakana field: a printed frame (and sometimes a dropout rule under the
writing) on paper, a reading written by one writer with ``handwriting.draw_text`` in one style
family, a local scan model (paper tone, blur, noise, grey levels, JPEG) and a residual
misalignment of the blank. The field is then cleaned exactly as the pipeline cleans it
(``cells.clean_crop`` on the box shrunk as ``cells.text_line`` does), so the recogniser trains
and is evaluated on the same kind of image it reads in production.

Readings are names from ``lab.synthetic.names`` (surname + full-width space + given name, or
one of the two) and random katakana strings of plausible shape, so that every katakana
(small kana, ヴ, ー) appears, not only those in the name lists.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from forms_catalog.layouts.base import Rect
from lab.synthetic import names
from lab.synthetic.glyphs import digit_bank
from lab.synthetic.hand_styles import HandStyle
from lab.synthetic.handwriting import draw_text
from lab.synthetic.pen import random_pen
from ocr.pipeline import cells
from ocr.pipeline.engines.base import PageImages

FIELD_H = 100  # forms_catalog.layouts.cells.KANA_H
LARGE = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
)
VOICED = "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ"
SMALL_Y = "ャュョ"
SMALL_V = "ァィゥェォ"
Y_BEFORE = "キギシジチニヒビピミリ"
V_BEFORE = "ウヴシジチツテデトドフ"


def random_reading(rng: np.random.Generator) -> str:
    """A katakana reading: a name from the lists (60 %) or a random name-like string."""
    if rng.random() < 0.6:
        surname = names.SURNAMES[int(rng.integers(len(names.SURNAMES)))][1]
        pool = names.MALE_GIVEN + names.FEMALE_GIVEN + names.BOY_GIVEN + names.GIRL_GIVEN
        given = pool[int(rng.integers(len(pool)))][1]
        r = rng.random()
        return surname if r < 0.1 else (given if r < 0.15 else f"{surname}\u3000{given}")
    words = [random_word(rng) for _ in range(int(rng.integers(1, 3)))]
    return "\u3000".join(words)


def random_word(rng: np.random.Generator) -> str:
    out: list[str] = []
    for _ in range(int(rng.integers(2, 6))):
        r = rng.random()
        ch = str(rng.choice(list(VOICED))) if r < 0.25 else str(rng.choice(list(LARGE)))
        out.append(ch)
        r = rng.random()
        if ch in Y_BEFORE and r < 0.2:
            out.append(str(rng.choice(list(SMALL_Y))))
        elif ch in V_BEFORE and r < 0.08:
            out.append(str(rng.choice(list(SMALL_V))))
        r = rng.random()
        if r < 0.06:
            out.append("ッ")
        elif r < 0.12:
            out.append("ー")
        elif r < 0.16 and out[-1] != "ン":
            out.append("ン")
    return "".join(out)


@dataclass(frozen=True)
class KanaLine:
    image: np.ndarray  # cleaned field, grey uint8, dark ink on white (as cells.text_line)
    text: str
    family: str


def _scan(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A local scanner model: paper tone, light, blur, sensor levels and noise, JPEG."""
    img = page.astype(np.float32)
    tone = np.array([252, 250, 246], np.float32) - rng.uniform(0, 10)
    img = img * (tone / 255.0)
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.4, 1.1)))
    black, white = float(rng.integers(10, 40)), float(rng.integers(235, 256))
    img = black + img * (white - black) / 255.0
    img += rng.standard_normal(img.shape, dtype=np.float32) * float(rng.uniform(1.0, 5.0))
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = np.repeat(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    if rng.random() < 0.5:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, "JPEG", quality=int(rng.integers(60, 93)))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return out


def render_line(
    text: str, family: str, rng: np.random.Generator, *, width: int | None = None, split="train"
) -> KanaLine:
    """One katakana field written in ``family`` and cleaned as the pipeline cleans it."""
    width = width or int(rng.integers(700, 1300))
    margin = 20
    h, w = FIELD_H + 2 * margin, width + 2 * margin
    ref = np.full((h, w, 3), 255, np.uint8)
    box = Rect(margin, margin, width, FIELD_H)
    black = (0, 0, 0)
    red = (220, 90, 90)
    frame = black if rng.random() < 0.6 else red
    cv2.rectangle(ref, (box.x, box.y), (box.x + box.w, box.y + box.h), frame, 2)
    if rng.random() < 0.3:
        y = box.y + int(box.h * rng.uniform(0.7, 0.85))
        cv2.line(ref, (box.x, y), (box.x + box.w, y), red, 1)
    page = ref.copy()
    pen = random_pen(rng)
    draw_text(page, box, text, pen, digit_bank(split), rng, HandStyle(family))
    scanned = _scan(page, rng)
    # The alignment is never exact: shift the page a pixel or two against the blank.
    dx, dy = (int(v) for v in rng.integers(-2, 3, 2))
    scanned = np.roll(scanned, (dy, dx), axis=(0, 1))
    field = cells.Box(box.x, box.y, box.w, box.h).grow(-4)
    image = cells.clean_crop(PageImages(aligned=scanned, reference=ref), field)
    return KanaLine(image, text, family)


def random_line(family: str, rng: np.random.Generator, split: str = "train") -> KanaLine:
    """A random reading in ``family``; a few are left blank (the empty field)."""
    text = "" if rng.random() < 0.03 else random_reading(rng)
    return render_line(text, family, rng, split=split)
