"""Handwritten-digit data: the ONE definition of the train / calibration / evaluation split.

Used by ``scripts/train_digits.py``, ``scripts/eval_digits.py``, the tests and the synthetic-form
generator. numpy + OpenCV only (scikit-learn is not needed: its digits are stored in the repo).

Polarity: every image returned here is uint8 with INK WHITE ON BLACK (ink 255, paper 0), like
MNIST. ``load_split`` returns them normalised to the model input (28x28, ink in a 20x20 box,
centred by mass, see ``digits.normalise_digit``); ``load_split_native`` returns each source's own
resolution (MNIST 28x28, Semeion 16x16 binary, sklearn 8x8).

Split (see ``datasets/handwritten-digits/SOURCES.md``):
- Semeion: lines come in writer blocks (a new block starts where the label sequence wraps from 9
  back to 0; blocks of ~200 lines = ~10 writers, or ~400 lines = ~20 writers). The LAST block is
  the evaluation set and the block before the two 400-line blocks (block 3) the calibration set:
  both writer-disjoint from training.
- MNIST (first 5000 of the test set, no writer ids): indices 0-2999 train, 3000-3999
  calibration, 4000-4999 evaluation. Writer overlap between these slices cannot be excluded.
- sklearn digits (UCI optdigits subset, no writer ids): training only.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ocr.pipeline.engines.digits import normalise_digit

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "datasets" / "handwritten-digits"
MNIST_FILE = DATA_DIR / "mnist-test-first5000.npz"
SEMEION_FILE = DATA_DIR / "semeion.data.gz"
SKLEARN_FILE = DATA_DIR / "sklearn-digits.npz"

SPLITS = ("train", "calib", "eval")
SOURCES = ("mnist", "semeion", "sklearn")
MNIST_RANGES = {"train": (0, 3000), "calib": (3000, 4000), "eval": (4000, 5000)}
SEMEION_CALIB_BLOCKS = (3,)
SEMEION_EVAL_BLOCKS = (-1,)  # the last block


# --------------------------------------------------------------------------- raw sources


@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    with np.load(MNIST_FILE) as d:
        return d["images"].astype(np.uint8), d["labels"].astype(np.int64)


@lru_cache(maxsize=1)
def _semeion() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (N,16,16) ink 255, labels, writer-block ids. Malformed lines are skipped."""
    images, labels = [], []
    with gzip.open(SEMEION_FILE, "rt", encoding="ascii") as f:
        for line in f:
            parts = line.split()
            # 256 pixels, 10 one-hot values, then (in this copy) the label as a 10-char string.
            if len(parts) < 266:
                continue
            try:
                px = np.array([float(v) for v in parts[:256]], np.float32)
                onehot = np.array([float(v) for v in parts[256:266]], np.float32)
            except ValueError:
                continue
            if onehot.sum() != 1 or (len(parts) > 266 and parts[266] != "".join(parts[256:266])):
                continue
            images.append((px.reshape(16, 16) > 0.5).astype(np.uint8) * 255)
            labels.append(int(onehot.argmax()))
    lab = np.array(labels, np.int64)
    blocks = np.concatenate([[0], np.cumsum(np.diff(lab) < 0)]).astype(np.int64)
    return np.stack(images), lab, blocks


@lru_cache(maxsize=1)
def _sklearn() -> tuple[np.ndarray, np.ndarray]:
    if not SKLEARN_FILE.exists():
        return np.zeros((0, 8, 8), np.uint8), np.zeros(0, np.int64)
    with np.load(SKLEARN_FILE) as d:
        img = np.clip(d["images"].astype(np.float32) * (255.0 / 16.0), 0, 255)
        return img.astype(np.uint8), d["labels"].astype(np.int64)


def _semeion_split_mask(split: str) -> np.ndarray:
    _, _, blocks = _semeion()
    nblocks = int(blocks.max()) + 1
    ev = {b % nblocks for b in SEMEION_EVAL_BLOCKS}
    ca = {b % nblocks for b in SEMEION_CALIB_BLOCKS}
    if split == "eval":
        return np.isin(blocks, sorted(ev))
    if split == "calib":
        return np.isin(blocks, sorted(ca))
    return ~np.isin(blocks, sorted(ev | ca))


# --------------------------------------------------------------------------- public API


def load_split_native(name: str, source: str | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Images of split ``name`` at each source's own resolution (ink 255 on 0), and labels."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    images: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    if source in (None, "mnist"):
        im, lab = _mnist()
        a, b = MNIST_RANGES[name]
        images += list(im[a:b])
        labels.append(lab[a:b])
    if source in (None, "semeion"):
        im, lab, _ = _semeion()
        m = _semeion_split_mask(name)
        images += list(im[m])
        labels.append(lab[m])
    if source in (None, "sklearn") and name == "train":
        im, lab = _sklearn()
        images += list(im)
        labels.append(lab)
    return images, np.concatenate(labels) if labels else np.zeros(0, np.int64)


@lru_cache(maxsize=16)
def _load_split_cached(name: str, source: str | None) -> tuple[np.ndarray, np.ndarray]:
    native, labels = load_split_native(name, source)
    out = np.zeros((len(native), 28, 28), np.uint8)
    for i, im in enumerate(native):
        if im.shape[0] < 20:
            # Low-resolution sources: smooth the upscaled blocks a little.
            im = cv2.resize(im, (im.shape[1] * 4, im.shape[0] * 4), interpolation=cv2.INTER_LINEAR)
            im = cv2.GaussianBlur(im, (0, 0), 1.5)
        out[i] = normalise_digit(im)
    out.setflags(write=False)
    labels.setflags(write=False)
    return out, labels


def load_split(name: str, source: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split ``name`` ('train', 'calib', 'eval'), optionally one source ('mnist', 'semeion',
    'sklearn'), normalised to the model input: (N, 28, 28) uint8 ink 255 on 0, and labels (N,).
    The arrays are read-only (cached)."""
    return _load_split_cached(name, source)


def data_fingerprint() -> dict[str, object]:
    """SHA-256 of the data files and the split sizes (recorded in the model metadata)."""
    files = [p for p in (MNIST_FILE, SEMEION_FILE, SKLEARN_FILE) if p.exists()]
    sizes = {
        f"{split}/{src}": len(load_split_native(split, src)[1])
        for split in SPLITS
        for src in SOURCES
    }
    return {
        "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
        "split_sizes": {k: v for k, v in sizes.items() if v},
    }


# --------------------------------------------------------------------------- comb cells

BLACK_BORDER = (25, 25, 25)
RED_BORDER = (235, 110, 110)  # dropout red, RGB
PEN_COLOURS = ((20, 30, 110), (15, 15, 20), (30, 45, 140), (40, 40, 60))


def render_comb_cell(
    digit: np.ndarray | None,
    rng: np.random.Generator,
    *,
    dpi: float = 300.0,
    border: str = "black",
    height_frac: tuple[float, float] = (0.55, 0.8),
    shift_frac: float = 0.06,
    stroke_gain: float = 1.0,
    blur: tuple[float, float] = (0.3, 0.9),
    noise: tuple[float, float] = (1.5, 5.0),
    jpeg: float = 0.3,
    clean: bool = True,
    margin_px: tuple[float, float] = (-2.0, 6.0),
) -> np.ndarray:
    """Draw ``digit`` (ink 255 on 0, any size; None = empty cell) with a pen into a comb cell
    (about 59x90 px at 300 dpi, borders ``'black'``, ``'red'`` or ``'none'``), add scan blur and
    noise, erase the printed border the way the page cleaner does (slightly misaligned, so
    fragments remain), and return the grayscale uint8 crop of the cell (dark ink on light paper)
    with a random margin (negative = inside the cell, positive = beyond the border)."""
    f = dpi / 300.0
    cw, ch = round(59 * f), round(90 * f)
    pad = round(14 * f) + 8
    hh, ww = ch + 2 * pad, cw + 2 * pad
    paper = np.array([rng.uniform(235, 255)] * 3) + rng.uniform(-6, 3, 3)
    img = np.ones((hh, ww, 3), np.float32) * paper
    thick = max(1, round(rng.uniform(1.5, 3.5) * f))
    colour = {"black": BLACK_BORDER, "red": RED_BORDER}.get(border)
    if colour is not None:
        col = np.array(colour, np.float32) + rng.uniform(-12, 12, 3)
        x0, y0, x1, y1 = pad - thick, pad - thick, pad + cw, pad + ch
        # Comb field: horizontal lines run past the cell, vertical ones are the cell sides.
        img[y0 : y0 + thick, :] = col
        img[y1 : y1 + thick, :] = col
        img[y0 : y1 + thick, x0 : x0 + thick] = col
        img[y0 : y1 + thick, x1 : x1 + thick] = col
    if digit is not None and digit.any():
        ys, xs = np.nonzero(digit > 0.15 * digit.max())
        crop = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
        th = ch * rng.uniform(*height_frac)
        s = th / crop.shape[0]
        s = min(s, 0.95 * cw / max(crop.shape[1], 1) * max(1.0, height_frac[1]))
        nw, nh = max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))
        interp = cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA
        a = cv2.resize(crop / 255.0, (nw, nh), interpolation=interp)
        # Pen-like strokes from the (possibly blurry, upscaled) source: steep contrast curve.
        a = np.clip((a - 0.35 / stroke_gain) * 3.0, 0.0, 1.0)
        cy = pad + ch / 2 + rng.uniform(-shift_frac, shift_frac) * ch - nh / 2
        cx = pad + cw / 2 + rng.uniform(-shift_frac, shift_frac) * cw - nw / 2
        y, x = round(cy), round(cx)
        ya, xa = max(0, y), max(0, x)
        yb, xb = min(hh, y + nh), min(ww, x + nw)
        if yb > ya and xb > xa:
            al = a[ya - y : yb - y, xa - x : xb - x, None] * rng.uniform(0.85, 1.0)
            pen = np.array(PEN_COLOURS[rng.integers(len(PEN_COLOURS))], np.float32)
            pen += rng.uniform(-10, 10, 3).astype(np.float32)
            region = img[ya:yb, xa:xb]
            img[ya:yb, xa:xb] = region * (1 - al) + pen * al * (1 - 0.15 * (region < 200))
    sigma = rng.uniform(*blur) * f
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, rng.uniform(*noise), img.shape).astype(np.float32)
    rgb = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < jpeg:
        ok, enc = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 95))])
        if ok:
            rgb = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if clean and colour is not None:
        gray = _clean_borders(gray, rng, pad, cw, ch, thick, colour)
    m = [round(rng.uniform(*margin_px) * f) for _ in range(4)]
    top, left = max(0, pad - m[0]), max(0, pad - m[1])
    bottom, right = min(hh, pad + ch + m[2]), min(ww, pad + cw + m[3])
    return np.ascontiguousarray(gray[top:bottom, left:right])


def _clean_borders(
    gray: np.ndarray,
    rng: np.random.Generator,
    pad: int,
    cw: int,
    ch: int,
    thick: int,
    colour: tuple[int, int, int],
) -> np.ndarray:
    """Imitate the page cleaner: whiten pixels on the (slightly misaligned, template-known)
    border lines whose gray level is not darker than the border's own, so pen ink crossing a red
    border survives; black borders take crossing pen ink with them (as on a real page)."""
    out = gray.copy()
    line_gray = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    limit = line_gray - 35 if line_gray > 100 else 255
    hh, ww = gray.shape
    mask = np.zeros_like(gray, dtype=bool)
    dy, dx = (int(v) for v in rng.integers(-1, 2, 2))
    grow = int(rng.integers(0, 2))
    x0, y0, x1, y1 = pad - thick + dx, pad - thick + dy, pad + cw + dx, pad + ch + dy
    for yy in (y0, y1):
        mask[max(0, yy - grow) : min(hh, yy + thick + grow), :] = True
    for xx in (x0, x1):
        mask[max(0, y0) : min(hh, y1 + thick), max(0, xx - grow) : min(ww, xx + thick + grow)] = (
            True
        )
    paper = np.percentile(gray, 90)
    out[mask & (gray >= limit)] = np.uint8(paper)
    return out
