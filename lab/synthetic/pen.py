"""A ballpoint pen on paper: stroke rasterisation and ink compositing.

Every mark (digit, character, tick, circle) is reduced to a one-pixel skeleton first and then
redrawn with the same pen, so all handwriting on a page shares one stroke width, one ink
colour and the same slightly uneven ink flow, as it would when one person fills in a form.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Ballpoint inks as they come out of a scanner: never pure black, blue is dark and desaturated.
INK_COLOURS: tuple[tuple[int, int, int], ...] = (
    (28, 30, 38),  # black ballpoint
    (40, 40, 48),  # worn black ballpoint
    (24, 38, 104),  # dark blue
    (30, 50, 128),  # blue
    (26, 32, 72),  # blue-black
)


@dataclass(frozen=True)
class Pen:
    """One writer's pen and hand: colour, line radius (px at 300 dpi) and habits."""

    colour: tuple[int, int, int]
    radius: float  # half the line width in pixels
    slant: float  # horizontal shear of upright strokes (x shift per unit of height)
    rise: float  # how much horizontal strokes climb to the right (右上がり), per unit of width
    size: float  # the writer's preferred glyph size, as a factor on the nominal size
    flow: float  # how uneven the ink flow is: 0 = perfectly even


def random_pen(rng: np.random.Generator) -> Pen:
    """A plausible ballpoint: 0.35–0.55 mm lines (4–6.5 px at 300 dpi)."""
    colour = INK_COLOURS[int(rng.integers(len(INK_COLOURS)))]
    return Pen(
        colour=colour,
        radius=float(rng.uniform(2.0, 3.2)),
        slant=float(rng.normal(0.06, 0.07)),
        rise=float(rng.uniform(0.02, 0.1)),
        size=float(rng.uniform(0.9, 1.08)),
        flow=float(rng.uniform(0.12, 0.3)),
    )


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Band-limited noise in [0, 1] with features about ``scale`` pixels wide."""
    h, w = shape
    sh, sw = max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)
    coarse = rng.random((sh, sw), dtype=np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(field.min()), float(field.max())
    return (field - lo) / (hi - lo + 1e-6)


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang–Suen thinning of a boolean mask to a one-pixel skeleton (numpy only)."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p2 = img[:-2, 1:-1]
            p3 = img[:-2, 2:]
            p4 = img[1:-1, 2:]
            p5 = img[2:, 2:]
            p6 = img[2:, 1:-1]
            p7 = img[2:, :-2]
            p8 = img[1:-1, :-2]
            p9 = img[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            b = sum(ring[:8])
            a = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                c1, c2 = p2 * p4 * p6, p4 * p6 * p8
            else:
                c1, c2 = p2 * p4 * p8, p2 * p6 * p8
            core = img[1:-1, 1:-1]
            remove = (core == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if remove.any():
                core[remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def stroke_alpha(skeleton: np.ndarray, pen: Pen, rng: np.random.Generator) -> np.ndarray:
    """Redraw a skeleton with the pen: anti-aliased line of varying pressure, float 0..1."""
    if not skeleton.any():
        return np.zeros(skeleton.shape, np.float32)
    inverse = np.where(skeleton, 0, 255).astype(np.uint8)
    dist = cv2.distanceTransform(inverse, cv2.DIST_L2, 5)
    h, w = skeleton.shape
    # Pressure changes along the stroke: a little wider here, a little thinner there.
    pressure = 0.82 + 0.36 * smooth_noise((h, w), 14.0, rng)
    radius = pen.radius * pressure
    alpha = np.clip(radius - dist + 0.5, 0.0, 1.0)
    # Ballpoint ink is not a flat fill: fine density variation and the odd lighter skip.
    grain = 1.0 - pen.flow * smooth_noise((h, w), 3.0, rng)
    skips = 1.0 - 0.35 * np.clip(smooth_noise((h, w), 9.0, rng) * 3.0 - 2.2, 0.0, 1.0)
    return (alpha * grain * skips).astype(np.float32)


def polyline_skeleton(
    points: np.ndarray, shape: tuple[int, int], closed: bool = False
) -> np.ndarray:
    """Rasterise a path (N×2 float array, local pixel coordinates) as a 1-px skeleton."""
    canvas = np.zeros(shape, np.uint8)
    pts = np.round(points * 4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [pts], closed, 1, thickness=1, lineType=cv2.LINE_8, shift=2)
    return canvas.astype(bool)


def composite(
    page: np.ndarray, alpha: np.ndarray, x: int, y: int, colour: tuple[int, int, int]
) -> None:
    """Lay ink (``alpha`` placed with its top-left at x, y) onto an RGB uint8 page in place.

    Ink is a transparent dye: it multiplies the paper and the printed rules beneath it instead
    of covering them, so a digit crossing a comb border darkens the border where they meet.
    """
    ph, pw = page.shape[:2]
    ah, aw = alpha.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + aw, pw), min(y + ah, ph)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    absorb = 1.0 - np.asarray(colour, np.float32) / 255.0
    region = page[y0:y1, x0:x1].astype(np.float32)
    page[y0:y1, x0:x1] = np.clip(region * (1.0 - a * absorb), 0, 255).astype(np.uint8)
