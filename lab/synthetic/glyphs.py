"""Single handwritten marks as pen skeletons: real digit images and hand-printed characters.

Digits come from the real handwriting sets in ``lab.digit_data`` (never from a font), so the
recogniser is tested on strokes people actually made. Japanese text has no such set here; it is
drawn from the form font, then bent, sheared and jittered per character and re-stroked with the
pen, which removes the typographic stroke contrast and terminals and leaves a mono-line,
hand-printed look.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from lab import digit_data
from lab.synthetic.pen import Pen, smooth_noise, thin
from yomitoru.lib.fonts import load_font


@dataclass(frozen=True)
class Mark:
    """A skeleton in its own small canvas; (cx, cy) is the point to place on the target."""

    skeleton: np.ndarray
    cx: float
    cy: float


class DigitBank:
    """The digits of one handwriting split, as float ink masks (1 = ink) cropped to the ink."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.by_label: dict[int, list[np.ndarray]] = {d: [] for d in range(10)}
        for image, label in zip(images, labels, strict=True):
            ink = _as_ink(np.asarray(image))
            cropped = _crop_to_ink(ink)
            if cropped is not None:
                self.by_label[int(label)].append(cropped)
        missing = [d for d, items in self.by_label.items() if not items]
        if missing:
            raise ValueError(f"handwriting split has no samples of digits {missing}")

    def pick(self, digit: int, rng: np.random.Generator) -> np.ndarray:
        items = self.by_label[digit]
        return items[int(rng.integers(len(items)))]


# Sources good enough to be redrawn at 300 dpi. The 8×8 scikit-learn digits are blobs once
# enlarged: their loops close up and a 6 or 8 thins down to a single stroke.
PEN_SOURCES = ("mnist", "semeion")


@functools.cache
def digit_bank(split: str) -> DigitBank:
    """The digit bank for a named split of ``digit_data`` (loaded once per process)."""
    parts = [digit_data.load_split(split, source) for source in PEN_SOURCES]
    parts = [(images, labels) for images, labels in parts if len(labels)]
    images = np.concatenate([np.asarray(images) for images, _ in parts])
    labels = np.concatenate([np.asarray(labels) for _, labels in parts])
    return DigitBank(images, labels)


def _as_ink(image: np.ndarray) -> np.ndarray:
    """Any polarity or value range to float32 with ink = 1 on a 0 background."""
    img = image.astype(np.float32)
    top = float(img.max())
    if top > 0:
        img /= top
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    # The background is whatever dominates the border: flip dark-ink-on-white sets.
    if float(border.mean()) > 0.5:
        img = 1.0 - img
    return img


def _crop_to_ink(ink: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(ink > 0.3)
    if len(ys) == 0:
        return None
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _distort(
    soft: np.ndarray,
    rotate_deg: float,
    shear: float,
    elastic: float,
    rng: np.random.Generator,
    *,
    rise: float = 0.0,
    waves: float = 3.0,
) -> np.ndarray:
    """Rotate, shear and bend a soft mask around its centre (canvas size kept).

    ``shear`` leans upright strokes forward; ``rise`` lifts the right end of horizontal
    strokes (the 右上がり of Japanese handwriting) while uprights stay upright; ``elastic``
    is the bending amplitude in pixels, with about ``waves`` bends across the canvas.
    """
    h, w = soft.shape
    cx, cy = w / 2.0, h / 2.0
    rot = cv2.getRotationMatrix2D((cx, cy), rotate_deg, 1.0)
    shear_m = np.array([[1.0, -shear, shear * cy], [-rise, 1.0, rise * cx]], np.float32)
    m = np.vstack([rot, [0, 0, 1]]) @ np.vstack([shear_m, [0, 0, 1]])
    out = cv2.warpAffine(soft, m[:2].astype(np.float32), (w, h), flags=cv2.INTER_LINEAR)
    if elastic > 0:
        scale = max(h, w) / waves
        dx = (smooth_noise((h, w), scale, rng) - 0.5) * 2 * elastic
        dy = (smooth_noise((h, w), scale, rng) - 0.5) * 2 * elastic
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        out = cv2.remap(out, gx + dx, gy + dy, interpolation=cv2.INTER_LINEAR)
    return out


def _shape_counts(mask: np.ndarray) -> tuple[int, int]:
    """(connected pieces, loops) of a mask; loops smaller than a few pixels are noise."""
    m = mask.astype(np.uint8)
    pieces = cv2.connectedComponents(m, connectivity=8)[0] - 1
    contours, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return pieces, 0
    loops = sum(
        1
        for c, h in zip(contours, hierarchy[0], strict=True)
        if h[3] != -1 and cv2.contourArea(c) >= 6
    )
    return pieces, loops


def _ink_mask(soft: np.ndarray, level: float) -> np.ndarray:
    """Threshold a soft digit, raising the level when that opens loops a bold pen filled in.

    Thinning a filled-in loop leaves a single stroke, which turns an 8 into a 1; the level
    that shows the most loops without breaking the digit apart keeps it an 8.
    """
    best = soft > level
    pieces, loops = _shape_counts(best)
    for higher in (0.6, 0.7, 0.8):
        if higher <= level:
            continue
        mask = soft > higher
        p, lo = _shape_counts(mask)
        if p <= pieces and lo > loops:
            best, loops = mask, lo
    return best


def _to_mark(soft: np.ndarray, level: float, ink_centre: bool = True) -> Mark:
    mask = _ink_mask(soft, level) if ink_centre else soft > level
    skeleton = thin(mask)
    ys, xs = np.nonzero(skeleton)
    if len(ys) == 0 or not ink_centre:
        return Mark(skeleton, skeleton.shape[1] / 2.0, skeleton.shape[0] / 2.0)
    # Centre on the ink's bounding box, which is how people centre a digit in a box.
    return Mark(skeleton, (xs.min() + xs.max()) / 2.0, (ys.min() + ys.max()) / 2.0)


def digit_mark(source: np.ndarray, height: float, pen: Pen, rng: np.random.Generator) -> Mark:
    """One real handwritten digit scaled to ``height`` px of ink, in the pen's hand."""
    sh, sw = source.shape
    scale = height / sh
    # Low-resolution sources (8×8, 16×16) would show their pixel steps: smooth before scaling.
    new_w = max(2, round(sw * scale * rng.uniform(0.9, 1.08)))
    new_h = max(2, round(height))
    pad = int(height * 0.35) + 4
    grown = cv2.resize(source, (new_w, new_h), interpolation=cv2.INTER_CUBIC)
    sigma = max(0.8, scale * 0.45)
    grown = cv2.GaussianBlur(grown, (0, 0), sigma)
    soft = np.pad(grown, pad)
    soft = _distort(
        soft,
        rotate_deg=float(rng.normal(0.0, 3.0)),
        shear=pen.slant + float(rng.normal(0.0, 0.04)),
        elastic=height * 0.025,
        rng=rng,
    )
    peak = float(soft.max()) or 1.0
    return _to_mark(soft / peak, float(rng.uniform(0.35, 0.5)))


def char_mark(char: str, height: float, pen: Pen, rng: np.random.Generator) -> Mark:
    """One Japanese character printed by hand, about ``height`` px tall."""
    size = max(8, round(height * rng.uniform(0.88, 1.1)))
    font = load_font(size)
    side = int(size * 1.6) + 8
    canvas = Image.new("L", (side, side), 0)
    ImageDraw.Draw(canvas).text((side / 2, side / 2), char, fill=255, font=font, anchor="mm")
    soft: np.ndarray = np.asarray(canvas, np.float32) / 255.0
    # Squash or stretch a little: hand-printed characters are rarely square.
    sx = float(rng.uniform(0.86, 1.04))
    soft = cv2.resize(soft, (max(2, round(side * sx)), side), interpolation=cv2.INTER_LINEAR)
    soft = _distort(
        soft,
        rotate_deg=float(rng.normal(0.0, 3.0)),
        shear=pen.slant * 0.5 + float(rng.normal(0.0, 0.04)),
        elastic=size * 0.045,
        rng=rng,
        rise=pen.rise + float(rng.normal(0.0, 0.03)),
        waves=4.0,
    )
    # Characters keep their em-box centre so small kana and ー sit on the line, not mid-box.
    return _to_mark(soft, 0.45, ink_centre=False)
