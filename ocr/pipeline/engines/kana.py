"""Handwritten katakana line recogniser for フリガナ fields (numpy + OpenCV DNN; no torch).

Tesseract's ``jpn`` model is trained on print: on handwritten katakana it reads a fraction of
the fields right. This engine is a small CRNN-style network without recurrence (a conv stack
that collapses the height, then 1-D convolutions along the line, then a per-column softmax
over the katakana, ー, ・ and the space), trained with CTC by ``scripts/train_kana.py`` on
synthetic handwriting in four style families and evaluated on a fifth it never saw
(``scripts/eval_kana.py``; figures in ``kana.json`` and the README). Recurrent layers are
avoided on purpose: OpenCV's DNN import of LSTM/GRU is limited, convolutions always load.

Per field:

1. ``prepare_line`` takes the cleaned field (``cells.text_line``: printed form removed), erases
   leftover long rules, crops to the ink with a margin, scales it to ``INPUT_H`` px high
   keeping the aspect ratio (squeezed if wider than ``INPUT_W``) and pads it to ``INPUT_W``.
   The SAME function prepares the training data. Too little ink means a blank field.
2. One forward pass gives (classes, steps) logits; greedy CTC decoding (best class per step,
   repeats merged, blanks dropped) gives the text.
3. The confidence is the product over the emitted characters of their step probability,
   times the least probability of the steps decoded as "nothing" (a dropped character is an
   error as much as a wrong one). It is not calibrated yet.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from forms_catalog.kinds import FieldKind
from ocr.pipeline import cells
from ocr.pipeline.engines import networks
from ocr.pipeline.engines.base import FieldGeometry, PageImages, Reading

ENGINE_NAME = "kana-crnn"
MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODEL_DIR / "kana.onnx"
META_PATH = MODEL_DIR / "kana.json"

INPUT_H = 32
INPUT_W = 320
CONTENT_H = 28  # ink height inside the INPUT_H rows (2 px paper above and below)
INK = 128  # grey level below which a cleaned pixel is surely ink
FAINT_INK = 40  # ... and the darkness (255 - grey) above which faint ink may still count
MIN_INK_PIXELS = 40  # less ink than this in the field = left blank
BLANK_CONFIDENCE = 0.97
# Katakana (ァ..ヺ without ヷヸヹヺ), the long vowel mark, the middle dot and the space.
CHARSET = "".join(chr(c) for c in range(0x30A1, 0x30F7)) + "ー・ "
BLANK = 0  # CTC blank is class 0; CHARSET[i] is class i + 1


def prepare_line(gray: np.ndarray) -> np.ndarray | None:
    """Cleaned field (grey uint8, dark ink on white) -> INPUT_H x INPUT_W uint8 ink image
    (ink bright on 0), or None when the field is blank."""
    g = np.asarray(gray)
    if g.ndim == 3:
        g = cv2.cvtColor(g, cv2.COLOR_BGR2GRAY)
    g = cells.remove_rules(g)
    darkness = 255.0 - g.astype(np.float32)
    # A pale pen on a grey scan never reaches INK: the threshold follows the darkest strokes.
    peak = float(np.percentile(darkness, 99.7)) if darkness.size else 0.0
    mask = darkness > float(np.clip(0.45 * peak, FAINT_INK, 255 - INK))
    # Specks (dust, a pixel of a rule) are not writing.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6
    mask = keep[labels]
    top, bottom = _writing_band(mask)
    mask[:top] = False
    mask[bottom:] = False
    ys, xs = np.nonzero(mask)
    if len(ys) < MIN_INK_PIXELS:
        return None
    ink = np.clip(darkness, 0, 255)
    ink[~cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)] = 0
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = CONTENT_H / h
    nw = max(1, min(INPUT_W - 4, round(w * scale)))
    small = cv2.resize(crop, (nw, CONTENT_H), interpolation=cv2.INTER_AREA)
    out = np.zeros((INPUT_H, INPUT_W), np.float32)
    top = (INPUT_H - CONTENT_H) // 2
    out[top : top + CONTENT_H, 2 : 2 + nw] = small
    peak = max(float(out.max()), 1.0)
    return np.clip(out * (255.0 / peak), 0, 255).astype(np.uint8)


def _writing_band(mask: np.ndarray, bridge: int = 6) -> tuple[int, int]:
    """Rows [top, bottom) of the band of rows holding the most ink (gaps < ``bridge`` joined).

    A remnant of a rule or a neighbour's writing above or below the line is left out.
    """
    rows = mask.sum(axis=1)
    bands: list[list[int]] = []
    for y in np.nonzero(rows)[0].tolist():
        if bands and y - bands[-1][1] <= bridge:
            bands[-1][1] = y + 1
        else:
            bands.append([y, y + 1])
    if not bands:
        return 0, 0
    top, bottom = max(bands, key=lambda b: int(rows[b[0] : b[1]].sum()))
    return top, bottom


def softmax_steps(logits: np.ndarray) -> np.ndarray:
    """(classes, steps) logits -> probabilities per step."""
    z = logits.astype(np.float64) - logits.max(axis=0, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


def ctc_greedy(probs: np.ndarray, charset: str = CHARSET) -> tuple[str, float]:
    """Greedy CTC decoding of (classes, steps) probabilities: (text, confidence)."""
    best = probs.argmax(axis=0)
    top = probs.max(axis=0)
    chars: list[str] = []
    confidence = 1.0
    prev = BLANK
    run_p = 0.0
    for k, p in zip(best.tolist(), top.tolist(), strict=True):
        if k != prev:
            if prev != BLANK:
                confidence *= run_p
            run_p = p
            if k != BLANK:
                chars.append(charset[k - 1])
        else:
            run_p = max(run_p, p)
        prev = k
    if prev != BLANK:
        confidence *= run_p
    blank_steps = top[best == BLANK]
    if blank_steps.size:
        confidence *= float(blank_steps.min())
    text = " ".join("".join(chars).split())
    return text, float(confidence)


class KanaRecognizer:
    """Reads katakana fields (Engine protocol). The ONNX net is loaded once per process."""

    name = ENGINE_NAME
    kinds = frozenset({FieldKind.KATAKANA})

    def __init__(self, model_path: Path = MODEL_PATH, meta_path: Path = META_PATH) -> None:
        self.net, self.meta = networks.load(model_path, meta_path)
        self.charset = str(self.meta.get("charset", CHARSET))
        self._lock = threading.Lock()

    def logits(self, images: list[np.ndarray]) -> np.ndarray:
        """(N, classes, steps) logits for prepared INPUT_H x INPUT_W images, one pass."""
        blob = cv2.dnn.blobFromImages(
            [im.astype(np.float32) for im in images], scalefactor=1.0 / 255.0
        )
        # cv2.dnn.Net is not safe for concurrent forward calls.
        with self._lock:
            self.net.setInput(blob)
            out = np.asarray(self.net.forward(), dtype=np.float32)
        return out.reshape(len(images), out.shape[1], -1)

    def read_lines(self, lines: list[np.ndarray]) -> list[Reading]:
        """Read cleaned field lines (grey, dark ink on white); blank ones are not run."""
        prepared = [prepare_line(g) for g in lines]
        todo = [i for i, p in enumerate(prepared) if p is not None]
        out: list[Reading] = [
            Reading("", BLANK_CONFIDENCE, engine=self.name, notes=("blank",)) for _ in lines
        ]
        if not todo:
            return out
        logits = self.logits([prepared[i] for i in todo])  # type: ignore[misc]
        for row, i in enumerate(todo):
            text, conf = ctc_greedy(softmax_steps(logits[row]), self.charset)
            if not text:
                out[i] = Reading("", 0.1, engine=self.name, notes=("ink but no text",))
            else:
                out[i] = Reading(text, float(np.clip(conf, 0.0, 1.0)), engine=self.name)
        return out

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        todo = [f for f in fields if f.kind in self.kinds]
        if not todo:
            return {}
        readings = self.read_lines([cells.text_line(page, f) for f in todo])
        return {f.key: r for f, r in zip(todo, readings, strict=True)}
