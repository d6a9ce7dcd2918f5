"""Writing-style families for synthetic Japanese handwriting (katakana, names, addresses).

Before this, every Japanese character on a generated form came from the form's own printed
font, bent and re-stroked: Tesseract, trained on printed fonts, read it far better than it
would read a person's hand, and the evaluation flattered it. Now each writer writes in one of
five style families from ``datasets/handwriting-ja`` (see its SOURCES.md):

- four handwriting fonts (``klee``, ``kiloji``, ``yomogi``, ``zen-kurenaido``): the glyph is
  rendered, bent, sheared and jittered per character, thinned to a skeleton and re-stroked by
  the writer's pen, like ``glyphs.char_mark`` does with the form font;
- ``kanjivg``: KanjiVG's stroke paths (the centre lines of the strokes, in stroke order),
  each stroke moved, turned and bent a little on its own, then drawn with the pen.

``HELD_OUT`` (``zen-kurenaido``) is never used for training data: the evaluation split writes
in it alone and the other splits in the other four (``families_for``), so the reported
figures are on a writing style the recogniser never saw.

A character a family lacks falls back to the form font (``glyphs.char_mark``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lab.synthetic.glyphs import Mark, _distort, _to_mark, char_mark
from lab.synthetic.pen import Pen, polyline_skeleton

DATA_DIR = Path(__file__).resolve().parents[2] / "datasets" / "handwriting-ja"
FONT_FAMILIES = ("klee", "kiloji", "yomogi", "zen-kurenaido")
STROKE_FAMILY = "kanjivg"
FAMILIES = (*FONT_FAMILIES, STROKE_FAMILY)
HELD_OUT = "zen-kurenaido"
KANJIVG_BOX = 109.0


def families_for(split: str) -> tuple[str, ...]:
    """The style families a split writes in: the held-out one for "eval", the others else."""
    if split == "eval":
        return (HELD_OUT,)
    return tuple(f for f in FAMILIES if f != HELD_OUT)


@functools.cache
def _styles() -> dict:
    return json.loads((DATA_DIR / "styles.json").read_text(encoding="utf-8"))


@functools.cache
def _font_files(family: str) -> dict[str, str]:
    """char -> font file of a font family."""
    out: dict[str, str] = {}
    for entry in _styles()["families"][family]:
        for ch in entry["chars"]:
            out.setdefault(ch, entry["file"])
    return out


@functools.cache
def _font(file: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(DATA_DIR / file), size=size)


@functools.cache
def _strokes() -> dict[str, list[np.ndarray]]:
    raw = json.loads((DATA_DIR / "strokes-kanjivg.json").read_text(encoding="utf-8"))
    return {ch: [svg_path_points(d) for d in paths] for ch, paths in raw.items()}


# --------------------------------------------------------------------------- SVG paths

_TOKEN = re.compile(r"[MmCcSsLlHhVvZz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _cubic(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, 9)[1:, None]
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def svg_path_points(d: str) -> np.ndarray:
    """A KanjiVG stroke path (M, C, S, L, H, V, Z and lower-case forms) as an N×2 polyline."""
    tokens = _TOKEN.findall(d)
    pts: list[np.ndarray] = []
    cur = np.zeros(2)
    last_ctrl: np.ndarray | None = None
    cmd = "M"
    i = 0

    def num() -> float:
        nonlocal i
        i += 1
        return float(tokens[i - 1])

    def pt() -> np.ndarray:
        x = num()
        return np.array([x, num()])

    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                if pts:
                    pts.append(pts[0][:1])
                continue
        rel = cmd.islower()
        base = cur if rel else np.zeros(2)
        c = cmd.upper()
        if c == "M":
            cur = base + pt()
            pts.append(cur[None])
            cmd = "l" if rel else "L"
            last_ctrl = None
        elif c == "L":
            cur = base + pt()
            pts.append(cur[None])
            last_ctrl = None
        elif c in "HV":
            v = num()
            cur = cur.copy()
            k = 0 if c == "H" else 1
            cur[k] = (cur[k] if rel else 0.0) + v
            pts.append(cur[None])
            last_ctrl = None
        elif c == "C":
            p1, p2, p3 = base + pt(), base + pt(), base + pt()
            pts.append(_cubic(cur, p1, p2, p3))
            cur, last_ctrl = p3, p2
        elif c == "S":
            p1 = 2 * cur - last_ctrl if last_ctrl is not None else cur
            p2, p3 = base + pt(), base + pt()
            pts.append(_cubic(cur, p1, p2, p3))
            cur, last_ctrl = p3, p2
        else:  # pragma: no cover - KanjiVG uses no other commands
            raise ValueError(f"unsupported SVG path command {cmd!r}")
    return np.concatenate(pts) if pts else np.zeros((0, 2))


# --------------------------------------------------------------------------- marks


def _stroke_mark(char: str, height: float, pen: Pen, rng: np.random.Generator) -> Mark | None:
    strokes = _strokes().get(char)
    if not strokes:
        return None
    size = height * rng.uniform(0.9, 1.1)
    scale = size / KANJIVG_BOX * 1.12
    side = int(size * 1.6) + 8
    centre = np.array([KANJIVG_BOX / 2, KANJIVG_BOX / 2])
    shear = pen.slant * 0.5 + rng.normal(0.0, 0.04)
    rise = pen.rise + rng.normal(0.0, 0.03)
    sx = rng.uniform(0.86, 1.04)
    angle = math.radians(rng.normal(0.0, 3.0))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    skeleton = np.zeros((side, side), bool)
    for stroke in strokes:
        p = stroke - centre
        # Each stroke on its own: a little off its place, turned, longer or shorter.
        p = p + rng.normal(0.0, 2.2, 2)
        a = rng.normal(0.0, 0.05)
        p = p @ np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]).T
        stretch = rng.uniform(0.88, 1.1)
        mid = p.mean(axis=0)
        p = mid + (p - mid) * stretch
        t = np.linspace(0.0, 1.0, len(p))[:, None]
        bend = rng.normal(0.0, 1.6) * np.sin(math.pi * t)
        normal = np.array([[0.0, 1.0]]) if len(p) < 2 else (p[-1:] - p[:1])[:, ::-1] * [-1, 1]
        norm = float(np.linalg.norm(normal)) or 1.0
        p = p + bend * normal / norm
        x = p[:, 0] * sx - shear * p[:, 1]
        y = p[:, 1] - rise * p[:, 0]
        q = np.stack([x, y], axis=1) @ rot.T * scale + side / 2
        skeleton |= polyline_skeleton(q, (side, side))
    return Mark(skeleton, side / 2.0, side / 2.0)


def _font_mark(
    family: str, char: str, height: float, pen: Pen, rng: np.random.Generator
) -> Mark | None:
    file = _font_files(family).get(char)
    if file is None:
        return None
    size = max(8, round(height * rng.uniform(0.9, 1.12)))
    side = int(size * 1.6) + 8
    canvas = Image.new("L", (side, side), 0)
    ImageDraw.Draw(canvas).text(
        (side / 2, side / 2), char, fill=255, font=_font(file, size), anchor="mm"
    )
    soft: np.ndarray = np.asarray(canvas, np.float32) / 255.0
    if not soft.any():
        return None
    # Thin-stroked fonts at small sizes: a slight blur keeps the strokes whole when thresholded.
    soft = cv2.GaussianBlur(soft, (0, 0), max(0.6, size / 60))
    soft /= max(float(soft.max()), 1e-6)
    sx = float(rng.uniform(0.86, 1.04))
    soft = cv2.resize(soft, (max(2, round(side * sx)), side), interpolation=cv2.INTER_LINEAR)
    soft = _distort(
        soft,
        rotate_deg=float(rng.normal(0.0, 3.0)),
        shear=pen.slant * 0.5 + float(rng.normal(0.0, 0.04)),
        elastic=size * 0.04,
        rng=rng,
        rise=pen.rise + float(rng.normal(0.0, 0.03)),
        waves=4.0,
    )
    return _to_mark(soft, 0.4, ink_centre=False)


@dataclass(frozen=True)
class HandStyle:
    """One writer's style family: ``mark`` draws a character in it as a pen skeleton."""

    family: str

    def mark(self, char: str, height: float, pen: Pen, rng: np.random.Generator) -> Mark:
        if self.family == STROKE_FAMILY:
            found = _stroke_mark(char, height, pen, rng)
        else:
            found = _font_mark(self.family, char, height, pen, rng)
        return found if found is not None else char_mark(char, height, pen, rng)


def random_style(split: str, rng: np.random.Generator) -> HandStyle:
    """A writer's style for a split (the held-out family for "eval")."""
    choices = families_for(split)
    return HandStyle(choices[int(rng.integers(len(choices)))])
