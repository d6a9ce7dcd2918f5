"""Japanese text, katakana and a plain digits baseline through Tesseract (``jpn`` LSTM model).

Per field: the box is cleaned of the printed form (``ocr.pipeline.cells.text_line``), leftover
long rules are removed by morphology, the ink is cropped with a white border, small text is
scaled up, and Tesseract reads it:

- katakana: one line (psm 7) with a whitelist of full-width katakana and ー. Tesseract's word
  boxes are single characters or short runs, so spaces are put back from the gaps between
  boxes (a gap wider than ``SPACE_GAP`` times the line height is a space).
- text_ja: psm 7 for one line of writing, psm 6 (a block) when two or more lines are found.

The confidence is the product of Tesseract's word confidences (0-100) taken
as probabilities: a line is right only if every word is. It is not calibrated.

Tesseract is Debian's libtesseract, called in-process through tesserocr (built against it, see
the Makefile): each thread loads a language model once and reuses it, so a field costs the
recognition only, not a process start and a model load (measured: 2.5x faster per field).

Every call has a timeout (Django setting ``TESSERACT_TIMEOUT``, default 30 s, Tesseract's own
deadline); when it expires ``TesseractTimeout`` is raised, and ``TesseractEngine`` turns it into
a zero-confidence reading with the note ``error=tesseract_timeout`` so the page goes on and the
field goes to review.
"""

from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import tesserocr
from PIL import Image

from forms_catalog.kinds import FieldKind
from ocr.pipeline import cells
from ocr.pipeline.engines.base import FieldGeometry, PageImages, Reading
from ocr.pipeline.validate import normalize

ENGINE_NAME = "tesseract"
DEFAULT_TIMEOUT = 30.0
# Fields read at a time per page (threads; tesserocr releases the GIL while recognising).
# The deployment runs one worker process per core, so 1 here; raise it on bigger hosts.
WORKERS = 1
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
_THREAD = threading.local()

KATAKANA_WHITELIST = "".join(chr(c) for c in range(0x30A1, 0x30FB)) + "ー"
DIGIT_WHITELIST = "0123456789"
SPACE_GAP = 0.7  # an ink gap wider than this, relative to the line height, is a space
MIN_TEXT_HEIGHT = 36  # text lines lower than this (px) are scaled up to TARGET_HEIGHT
TARGET_HEIGHT = 48
BORDER = 20
INK = 128  # grey level below which a cleaned pixel is ink
HALLUCINATION_CONF = 0.5  # a word over blank paper below this confidence is dropped
MIN_INK_PIXELS = 40  # less ink than this in a text box = left blank


class TesseractTimeout(RuntimeError):
    """Tesseract did not finish within TESSERACT_TIMEOUT seconds."""


def tesseract_timeout() -> float:
    """Seconds allowed per Tesseract call: settings.TESSERACT_TIMEOUT, else 30."""
    try:
        from django.conf import settings

        if settings.configured:
            return float(getattr(settings, "TESSERACT_TIMEOUT", DEFAULT_TIMEOUT))
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return DEFAULT_TIMEOUT


def _api(lang: str) -> tesserocr.PyTessBaseAPI:
    """This thread's Tesseract for ``lang``, its model loaded on first use and kept."""
    apis: dict[str, tesserocr.PyTessBaseAPI] = _THREAD.__dict__.setdefault("apis", {})
    if lang not in apis:
        apis[lang] = tesserocr.PyTessBaseAPI(lang=lang)
    return apis[lang]


def _recognise(
    image: np.ndarray, lang: str, psm: int, whitelist: str = ""
) -> tesserocr.PyTessBaseAPI:
    """Recognise ``image`` (grey, dark ink on white) and return the thread's API holding the
    result. Tesseract's deadline stops it between words; a result that comes after the timeout
    counts as a timeout too (TesseractTimeout)."""
    api = _api(lang)
    api.SetPageSegMode(psm)
    api.SetVariable("tessedit_char_whitelist", whitelist)
    api.SetImage(Image.fromarray(image))
    timeout = tesseract_timeout()
    started = time.monotonic()
    finished = api.Recognize(timeout=max(1, round(timeout * 1000)))
    if not finished or time.monotonic() - started > timeout:
        raise TesseractTimeout(f"Tesseract did not finish within {timeout:g} s (TESSERACT_TIMEOUT)")
    return api


# --------------------------------------------------------------------------- preprocessing


def line_bands(gray: np.ndarray) -> list[tuple[int, int]]:
    """Rows [top, bottom) of the text lines: runs of rows holding ink, small gaps bridged."""
    rows = (gray < INK).sum(axis=1)
    filled = rows > max(2, 0.002 * gray.shape[1])
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate([*filled.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if bands and start - bands[-1][1] < 8:
                bands[-1] = (bands[-1][0], y)
            else:
                bands.append((start, y))
            start = None
    tallest = max((b - a for a, b in bands), default=0)
    # Specks and accents are not lines of their own.
    return [(a, b) for a, b in bands if b - a >= 0.35 * tallest]


def prepare_line(gray: np.ndarray) -> tuple[np.ndarray | None, int, int]:
    """Cleaned text box -> (image for Tesseract or None if blank, line count, line height)."""
    gray = cells.remove_rules(gray)
    ys, xs = np.nonzero(gray < INK)
    if len(ys) < MIN_INK_PIXELS:
        return None, 0, 0
    gray = gray[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    bands = line_bands(gray)
    height = max((b - a for a, b in bands), default=gray.shape[0])
    if height < MIN_TEXT_HEIGHT:
        scale = TARGET_HEIGHT / max(height, 1)
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        height = round(height * scale)
    gray = cv2.copyMakeBorder(gray, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=255)
    return gray, max(1, len(bands)), height


# --------------------------------------------------------------------------- reading

Word = tuple[str, float, int, int, int]


def _words(api: tesserocr.PyTessBaseAPI) -> list[Word]:
    """(text, confidence 0..1, left, right, line number) of the recognised words, reading order."""
    out: list[Word] = []
    level = tesserocr.RIL.WORD
    it = api.GetIterator()
    if it is None or it.Empty(level):
        return out
    line = 0
    while True:
        if it.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
            line += 1
        text = (it.GetUTF8Text(level) or "").strip()
        if text:
            left, _, right, _ = it.BoundingBox(level)
            out.append((text, it.Confidence(level) / 100.0, left, right, line))
        if not it.Next(level):
            return out


def ink_segments(image: np.ndarray, line_height: int) -> list[tuple[int, int]]:
    """Column ranges [left, right) of the ink runs separated by a space-wide gap."""
    columns = (image < INK).any(axis=0)
    xs = np.nonzero(columns)[0]
    if len(xs) == 0:
        return []
    segments: list[tuple[int, int]] = []
    start = prev = int(xs[0])
    for x in xs[1:].tolist():
        if x - prev - 1 > SPACE_GAP * line_height:
            segments.append((start, prev + 1))
            start = x
        prev = x
    segments.append((start, prev + 1))
    return segments


def assemble_line(words: list[Word], segments: list[tuple[int, int]]) -> tuple[str, list[Word]]:
    """One line of text: words grouped by the ink segment their centre lies in.

    Tesseract's word boxes are unreliable for spacing in Japanese (runs of one or two
    characters, overlapping boxes), so spaces come from the ink gaps instead. A word centred
    in a gap with a low confidence is a hallucination over blank paper and is dropped.
    """
    groups: list[list[str]] = [[] for _ in segments]
    kept: list[Word] = []
    for word in words:
        centre = (word[2] + word[3]) / 2
        inside = [k for k, (a, b) in enumerate(segments) if a - 2 <= centre <= b + 2]
        if not inside and (word[1] < HALLUCINATION_CONF or not segments):
            continue
        # A confident word just off its ink (boxes can be loose) joins the nearest segment.
        k = (
            inside[0]
            if inside
            else min(range(len(segments)), key=lambda j: min(abs(centre - x) for x in segments[j]))
        )
        groups[k].append(word[0])
        kept.append(word)
    return " ".join("".join(g) for g in groups if g), kept


def assemble_block(words: list[Word]) -> str:
    """Several lines (psm 6): words joined per Tesseract line, lines by newlines."""
    lines: dict[int, list[str]] = {}
    for text, _, _, _, line in words:
        lines.setdefault(line, []).append(text)
    return "\n".join("".join(parts) for parts in lines.values())


# Small kana that only follow certain kana; elsewhere a hand-written one is the large kana.
_SMALL_TO_LARGE = str.maketrans("ァィゥェォャュョヮ", "アイウエオヤユヨワ")
_SMALL_VOWEL_AFTER = set("ウヴシジチツテデトドフクグキギニヒビピミリイスズ")
_SMALL_Y_AFTER = set("キギシジチヂニヒビピミリ")
_SMALL_ALLOWED_AFTER: dict[str, set[str]] = {
    **dict.fromkeys("ァィゥェォ", _SMALL_VOWEL_AFTER),
    **dict.fromkeys("ャュョ", _SMALL_Y_AFTER),
    "ヮ": set("クグ"),
}


def fix_small_kana(text: str) -> str:
    """Enlarge small kana (ァ..ォ, ャュョ, ヮ) where Japanese spelling does not allow them."""
    out = []
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        allowed_after = _SMALL_ALLOWED_AFTER.get(ch)
        if allowed_after is not None and prev not in allowed_after:
            ch = ch.translate(_SMALL_TO_LARGE)
        out.append(ch)
    return "".join(out)


def word_confidence(words: list[Word]) -> float:
    """Probability that every word is right, taking each word confidence at face value."""
    p = 1.0
    for _, conf, *_ in words:
        p *= min(max(conf, 0.01), 0.999)
    return p


def read_text(
    gray: np.ndarray, kind: str = FieldKind.TEXT_JA, lang: str = "jpn", whitelist: bool = True
) -> Reading:
    """Read one cleaned text box (grey, dark ink on white). Raises TesseractTimeout."""
    image, lines, height = prepare_line(gray)
    if image is None:
        return Reading("", 0.97, engine=ENGINE_NAME, notes=("blank",))
    psm = 7 if kind == FieldKind.KATAKANA or lines <= 1 else 6
    allowed = KATAKANA_WHITELIST if kind == FieldKind.KATAKANA and whitelist else ""
    words = _words(_recognise(image, lang, psm, allowed))
    if psm == 7:
        text, words = assemble_line(words, ink_segments(image, height))
    else:
        text = assemble_block(words)
    if not words:
        return Reading("", 0.1, engine=ENGINE_NAME, notes=("ink but no text",))
    if kind == FieldKind.KATAKANA:
        # NFKC and hiragana -> katakana, as validate.normalize does for this kind.
        text = fix_small_kana(normalize(FieldKind.KATAKANA, text))
    else:
        text = re.sub(r"[ \t]+", " ", unicodedata.normalize("NFKC", text)).strip()
    return Reading(text, word_confidence(words), engine=ENGINE_NAME, notes=(f"psm={psm}",))


def tesseract_digits(crop: np.ndarray, lang: str = "eng") -> str:
    """Plain-Tesseract baseline for a comb field: one line, digits only (ASCII string).

    ``crop`` is a grey field crop, dark ink on white, preferably cleaned of the comb borders
    (``cells.clean_crop``). Used by the evaluation to compare the CNN against.
    """
    gray = cells.remove_rules(crop)
    gray = cv2.copyMakeBorder(gray, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=255)
    text = _recognise(gray, lang, 7, DIGIT_WHITELIST).GetUTF8Text()
    return "".join(ch for ch in text if ch.isdigit())


class TesseractEngine:
    """Reads the katakana and text_ja fields of a page (Engine protocol)."""

    name = ENGINE_NAME
    kinds = frozenset({FieldKind.KATAKANA, FieldKind.TEXT_JA})

    def __init__(self, lang: str = "jpn", workers: int = WORKERS) -> None:
        self.lang = lang
        self.workers = workers

    def read_field(self, page: PageImages, field: FieldGeometry) -> Reading:
        try:
            return read_text(cells.text_line(page, field), field.kind, self.lang)
        except TesseractTimeout:
            return Reading("", 0.0, engine=self.name, notes=("error=tesseract_timeout",))

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        todo = [f for f in fields if f.kind in self.kinds]
        if len(todo) <= 1 or self.workers <= 1:
            return {f.key: self.read_field(page, f) for f in todo}
        # Tesseract runs as a subprocess: threads overlap the processes on both cores.
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(lambda f: self.read_field(page, f), todo))
        return {f.key: r for f, r in zip(todo, results, strict=True)}


def tesseract_version() -> str:
    """Version of the libtesseract in use (first line of tesserocr's report)."""
    return tesserocr.tesseract_version().split()[1]
