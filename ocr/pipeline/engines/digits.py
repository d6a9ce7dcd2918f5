"""Handwritten-digit recogniser for comb cells (numpy + OpenCV DNN only; no torch at runtime).

Input: one grayscale uint8 crop per comb cell, ink dark on a light background, cropped from an
aligned page whose printed cell borders have been (mostly) removed. The crop may include a margin
around the cell, so a digit that crosses the cell border is still whole.

Per cell:
1. ``cell_ink`` turns the crop into an ink map (0 paper .. 1 full ink) relative to the paper level.
2. ``extract_digit`` thresholds it, erases thin straight border remnants in the edge bands, keeps
   the ink components that belong to the digit (largest near the centre, plus the sizeable ones
   around it), and measures the ink. Too little ink means an empty cell: the CNN is not asked.
3. ``normalise_digit`` (the SAME function the training data goes through) crops the ink, scales
   it into a 20x20 box keeping the aspect ratio and centres it by mass in 28x28 (MNIST style).
4. All non-empty cells of one ``read_cells`` call go through the ONNX CNN in ONE forward pass;
   the logits are divided by the temperature fitted on the calibration split (``digits.json``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ocr.pipeline.engines import networks

MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODEL_DIR / "digits.onnx"
META_PATH = MODEL_DIR / "digits.json"

INPUT_SIZE = 28
BOX_SIZE = 20
CLASSES = tuple("0123456789")

# Ink measure thresholds (fraction of the cell area covered by the kept digit ink).
EMPTY_BELOW = 0.006
DIGIT_ABOVE = 0.012
# A digit must also be at least this tall or wide, relative to the cell.
MIN_EXTENT = 0.22
# Width of the edge bands (fraction of the cell size) where border remnants are expected.
EDGE_BAND = 0.14


@dataclass(frozen=True)
class DigitReading:
    """One comb cell read. ``digit`` is None for an empty cell.

    ``confidence`` is a calibrated probability that the reading (digit or empty) is right.
    ``probs`` holds the ten calibrated class probabilities (all zero for an empty cell).
    """

    digit: str | None
    confidence: float
    probs: tuple[float, ...]
    ink: float = 0.0


# --------------------------------------------------------------------------- preprocessing


def normalise_digit(ink: np.ndarray, box: int = BOX_SIZE, size: int = INPUT_SIZE) -> np.ndarray:
    """MNIST-style normalisation of an ink image (ink bright, background 0; any size).

    Crops to the ink, scales into a ``box`` x ``box`` square keeping the aspect ratio and places
    it in a ``size`` x ``size`` image with its centre of mass in the middle. Returns uint8, ink
    255 on 0. An image with no ink gives an all-zero image.
    """
    img = np.asarray(ink, dtype=np.float32)
    peak = float(img.max()) if img.size else 0.0
    out = np.zeros((size, size), np.uint8)
    if peak <= 0:
        return out
    ys, xs = np.nonzero(img > 0.15 * peak)
    crop = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, (nw, nh), interpolation=interp)
    small = np.clip(small * (255.0 / max(float(small.max()), 1e-6)), 0, 255)
    total = float(small.sum())
    if total <= 0:
        return out
    gy, gx = np.indices(small.shape, dtype=np.float32)
    cy, cx = float((gy * small).sum() / total), float((gx * small).sum() / total)
    # Centre of the pixel grid of the output is (size - 1) / 2.
    m = np.array([[1, 0, (size - 1) / 2 - cx], [0, 1, (size - 1) / 2 - cy]], np.float32)
    placed = cv2.warpAffine(
        small, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return np.clip(placed + 0.5, 0, 255).astype(np.uint8)


def cell_ink(gray: np.ndarray) -> np.ndarray:
    """Ink map in [0, 1] (float32) of a grayscale crop, dark ink on light paper."""
    g = np.asarray(gray, dtype=np.float32)
    if g.ndim == 3:
        g = cv2.cvtColor(g, cv2.COLOR_BGR2GRAY)
    paper = max(float(np.percentile(g, 90)), 40.0)
    return np.clip((paper - g) / paper, 0.0, 1.0)


def _ink_threshold(ink: np.ndarray) -> float:
    """Otsu on the ink map, kept inside sensible absolute bounds."""
    u8 = np.clip(ink * 255.0, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(np.clip(otsu / 255.0, 0.22, 0.45))


def _remove_edge_lines(mask: np.ndarray) -> np.ndarray:
    """Erase long straight horizontal/vertical runs that lie in the edge bands (border remnants)."""
    h, w = mask.shape
    bh, bw = max(2, round(EDGE_BAND * h)), max(2, round(EDGE_BAND * w))
    lines = np.zeros_like(mask)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, round(0.3 * w)), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, round(0.3 * h))))
    hl = cv2.morphologyEx(mask, cv2.MORPH_OPEN, hk)
    vl = cv2.morphologyEx(mask, cv2.MORPH_OPEN, vk)
    lines[:bh] |= hl[:bh]
    lines[h - bh :] |= hl[h - bh :]
    lines[:, :bw] |= vl[:, :bw]
    lines[:, w - bw :] |= vl[:, w - bw :]
    if not lines.any():
        return mask
    # Also take the anti-aliased fringe of the removed lines.
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return mask & ~lines


def extract_digit(gray: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Find the digit ink in a cell crop.

    Returns ``(ink_image, ink_fraction)`` where ``ink_image`` is a float32 ink map (digit ink
    only, everything else 0) or None when the cell is empty, and ``ink_fraction`` is the
    fraction of the cell area covered by kept digit ink.
    """
    ink = cell_ink(gray)
    h, w = ink.shape
    if h < 8 or w < 8:
        return None, 0.0
    mask = (ink > _ink_threshold(ink)).astype(np.uint8)
    mask = _remove_edge_lines(mask)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None, 0.0
    area = float(h * w)
    bh, bw = EDGE_BAND * h, EDGE_BAND * w
    cand: list[int] = []
    for i in range(1, n):
        x, y, cw, ch, a = (int(v) for v in stats[i])
        if a < max(3.0, 0.0015 * area):
            continue
        # Entirely inside one edge band and touching that edge: border remnant / neighbour ink.
        in_top = y + ch <= bh and y == 0
        in_bottom = y >= h - bh and y + ch == h
        in_left = x + cw <= bw and x == 0
        in_right = x >= w - bw and x + cw == w
        if in_top or in_bottom or in_left or in_right:
            continue
        cand.append(i)
    if not cand:
        return None, 0.0
    # Main component: large and close to the centre.
    centre = np.array([w / 2.0, h / 2.0])
    diag = float(np.hypot(w, h))

    def score(i: int) -> float:
        d = float(np.linalg.norm(cents[i] - centre)) / diag
        return float(stats[i, cv2.CC_STAT_AREA]) * (1.0 - 1.5 * min(d, 0.6))

    main = max(cand, key=score)
    mx, my, mw, mh, ma = (int(v) for v in stats[main])
    keep = [main]
    for i in cand:
        if i == main:
            continue
        x, y, cw, ch, a = (int(v) for v in stats[i])
        # Distance between bounding boxes of the main component and this one.
        dx = max(0, max(mx, x) - min(mx + mw, x + cw))
        dy = max(0, max(my, y) - min(my + mh, y + ch))
        near = dx <= 0.25 * w and dy <= 0.2 * h
        touches_edge = x == 0 or y == 0 or x + cw == w or y + ch == h
        big = a >= 0.08 * ma
        if near and (big or not touches_edge) and a >= 0.03 * ma:
            keep.append(i)
    keep_mask = np.isin(labels, keep)
    frac = float(keep_mask.sum()) / area
    ys, xs = np.nonzero(keep_mask)
    extent = max((ys.max() - ys.min() + 1) / h, (xs.max() - xs.min() + 1) / w)
    if frac < EMPTY_BELOW or extent < MIN_EXTENT:
        return None, frac
    # Keep the anti-aliased edges of the kept strokes, nothing else.
    soft = cv2.dilate(keep_mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.where(soft, ink, 0.0).astype(np.float32), frac


def prepare_cell(gray: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Cell crop -> (28x28 uint8 normalised digit or None if empty, ink fraction)."""
    digit, frac = extract_digit(gray)
    if digit is None:
        return None, frac
    return normalise_digit(digit), frac


def _empty_confidence(frac: float) -> float:
    """Confidence that a cell judged empty is really empty, from its ink fraction."""
    return float(np.clip(0.995 - 0.4 * frac / EMPTY_BELOW, 0.5, 0.995))


# --------------------------------------------------------------------------- model


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class DigitRecognizer:
    """Reads one handwritten digit per comb cell. The ONNX net is loaded once per process."""

    def __init__(self, model_path: Path = MODEL_PATH, meta_path: Path = META_PATH) -> None:
        self.net, self.meta = networks.load(model_path, meta_path)
        self.temperature = float(self.meta.get("calibration", {}).get("temperature", 1.0))
        self.forward_calls = 0  # number of network forward passes (one per read_cells batch)
        self._lock = threading.Lock()

    def logits(self, images: list[np.ndarray]) -> np.ndarray:
        """Raw logits (N, 10) for normalised 28x28 uint8 images, in one forward pass."""
        if not images:
            return np.zeros((0, len(CLASSES)), np.float32)
        blob = cv2.dnn.blobFromImages(
            [im.astype(np.float32) for im in images], scalefactor=1.0 / 255.0
        )
        # cv2.dnn.Net is not safe for concurrent forward calls.
        with self._lock:
            self.net.setInput(blob)
            out = self.net.forward()
            self.forward_calls += 1
        return np.asarray(out, dtype=np.float32).reshape(len(images), -1)

    def read_cells(self, cells: list[np.ndarray]) -> list[DigitReading]:
        """Read each cell (grayscale uint8, dark ink on light paper); one forward pass in all."""
        prepared = [prepare_cell(c) for c in cells]
        images = {i: img for i, (img, _) in enumerate(prepared) if img is not None}
        todo = list(images)
        probs = softmax(self.logits(list(images.values())), self.temperature)
        readings: list[DigitReading] = []
        row = dict(zip(todo, range(len(todo)), strict=True))
        for i, (_, frac) in enumerate(prepared):
            if i not in row:
                zeros = (0.0,) * len(CLASSES)
                readings.append(DigitReading(None, _empty_confidence(frac), zeros, frac))
                continue
            p = probs[row[i]]
            k = int(p.argmax())
            conf = float(p[k])
            if frac < DIGIT_ABOVE:
                # Faint or tiny mark: it may as well be a stray mark in an empty cell.
                conf *= 0.5 + 0.5 * (frac - EMPTY_BELOW) / (DIGIT_ABOVE - EMPTY_BELOW)
            readings.append(
                DigitReading(CLASSES[k], float(np.clip(conf, 0.0, 1.0)), tuple(map(float, p)), frac)
            )
        return readings
