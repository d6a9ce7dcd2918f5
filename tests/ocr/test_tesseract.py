"""Tesseract reading of katakana / Japanese text, the digits baseline and the timeout."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from forms_catalog.kinds import FieldKind
from ocr.pipeline import cells
from ocr.pipeline.engines import tesseract
from ocr.pipeline.engines.base import FieldGeometry, PageImages
from yomitoru.lib.fonts import load_font


def _line(text: str, size: int = 56, width: int = 900, height: int = 110) -> np.ndarray:
    """``text`` printed on one line, grey uint8, dark on white."""
    image = Image.new("L", (width, height), 255)
    ImageDraw.Draw(image).text((30, height // 2), text, fill=20, font=load_font(size), anchor="lm")
    return np.asarray(image)


def test_katakana_with_whitelist():
    reading = tesseract.read_text(_line("ヤマダ　タロウ"), FieldKind.KATAKANA)
    assert reading.value == "ヤマダ タロウ"
    assert 0.0 < reading.confidence <= 1.0
    assert reading.engine == "tesseract"


def test_katakana_whitelist_keeps_out_other_scripts():
    # Kanji and hiragana in a katakana field come out as katakana (or not at all).
    reading = tesseract.read_text(_line("サトウ　はなこ"), FieldKind.KATAKANA)
    assert all(ch == " " or "\u30a1" <= ch <= "\u30ff" for ch in reading.value)


def test_japanese_text_line():
    reading = tesseract.read_text(_line("山田　太郎"), FieldKind.TEXT_JA)
    assert reading.value == "山田 太郎"


def test_blank_box_reads_empty_with_confidence():
    reading = tesseract.read_text(np.full((100, 600), 255, np.uint8), FieldKind.TEXT_JA)
    assert reading.value == "" and reading.confidence > 0.9


def test_remove_rules_erases_long_lines_keeps_text():
    image = _line("ヤマダ").copy()
    image[95:98, :] = 0  # an underline rule
    image[:, 880:883] = 0  # a vertical rule
    cleaned = cells.remove_rules(image)
    assert cleaned[95:98, :].min() == 255
    assert cleaned[:, 880:883].min() == 255
    assert cleaned[:90, :800].min() < 100  # the text is still there


def test_small_kana_enlarged_where_spelling_forbids_it():
    assert tesseract.fix_small_kana("マェダ ユィ") == "マエダ ユイ"
    assert tesseract.fix_small_kana("ティナ ショウ") == "ティナ ショウ"


def test_digits_baseline():
    assert tesseract.tesseract_digits(_line("4 0 7 1 2", width=500)) == "40712"


def test_timeout_is_a_clear_error(settings):
    settings.TESSERACT_TIMEOUT = 0.001
    with pytest.raises(tesseract.TesseractTimeout, match="TESSERACT_TIMEOUT"):
        tesseract.read_text(_line("ヤマダ　タロウ"), FieldKind.KATAKANA)


def test_engine_turns_timeout_into_zero_confidence_reading(settings):
    settings.TESSERACT_TIMEOUT = 0.001
    text = np.full((200, 1000, 3), 255, np.uint8)
    text[40:150, 50:950] = np.asarray(_line("ヤマダ"))[:, :, None]
    page = PageImages(text, np.full_like(text, 255))
    field = FieldGeometry(key="name_kana", kind="katakana", x=40, y=30, w=920, h=130)
    reading = tesseract.TesseractEngine().read_page(page, [field])["name_kana"]
    assert reading.value == "" and reading.confidence == 0.0
    assert "error=tesseract_timeout" in reading.notes


def test_timeout_default_from_settings(settings):
    settings.TESSERACT_TIMEOUT = 7
    assert tesseract.tesseract_timeout() == 7.0
