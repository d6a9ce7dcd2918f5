"""The katakana recogniser: ONNX through cv2.dnn, CTC decoding, held-out lines, routing."""

import functools

import cv2
import numpy as np
import pytest

from lab.synthetic import kana_lines
from lab.synthetic.hand_styles import HELD_OUT
from ocr.pipeline import read
from ocr.pipeline.engines import kana
from ocr.pipeline.engines.base import FakeEngine, FieldGeometry, PageImages, Reading
from ocr.pipeline.validate import normalize

# Readings of held-out lines; seeds apart from the training ones (scripts/train_kana.py).
HELD_OUT_TEXTS = (
    "サトウ　タロウ",
    "スズキ　ハナコ",
    "タカハシ　ケンタ",
    "ヤマモト　ユミ",
    "ワタナベ　ヒロシ",
    "イノウエ　ミホ",
    "キムラ　レン",
    "ナカムラ　ヨウコ",
    "コバヤシ　ナオキ",
    "マツモト　リン",
)


@functools.cache
def recogniser() -> kana.KanaRecognizer:
    return kana.KanaRecognizer()


def test_model_loads_through_opencv_dnn_with_one_step_row_per_column_group():
    net = cv2.dnn.readNetFromONNX(str(kana.MODEL_PATH))
    blob = np.zeros((2, 1, kana.INPUT_H, kana.INPUT_W), np.float32)
    net.setInput(blob)
    out = net.forward()
    assert out.shape[0] == 2
    assert out.shape[1] == len(kana.CHARSET) + 1
    assert out.reshape(2, out.shape[1], -1).shape[2] == kana.INPUT_W // 4
    assert recogniser().meta["held_out_family"] == HELD_OUT
    assert HELD_OUT not in recogniser().meta["training_families"]


def test_ctc_greedy_merges_repeats_and_drops_blanks():
    steps = [1 + kana.CHARSET.index(c) if c != "_" else kana.BLANK for c in "サ_トト_ウ__ ウ"]
    probs = np.full((len(kana.CHARSET) + 1, len(steps)), 0.001)
    for t, k in enumerate(steps):
        probs[k, t] = 0.9
    text, conf = kana.ctc_greedy(probs)
    assert text == "サトウ ウ"
    assert conf == pytest.approx(0.9**5 * 0.9)


def test_blank_field_reads_as_empty_without_running_the_net():
    blank = np.full((92, 900), 255, np.uint8)
    specks = blank.copy()
    specks[40, 100] = specks[60, 500] = 0  # dust is not writing
    readings = recogniser().read_lines([blank, specks])
    assert [r.value for r in readings] == ["", ""]
    assert all("blank" in r.notes for r in readings)


def test_reads_held_out_style_lines():
    # The held-out family was never trained on; the bar is modest (the figures are measured
    # by scripts/eval_kana.py): most lines exactly right, almost every character right.
    lines = []
    for i, text in enumerate(HELD_OUT_TEXTS):
        rng = np.random.default_rng([4242, i])
        lines.append(kana_lines.render_line(text, HELD_OUT, rng, split="eval"))
    readings = recogniser().read_lines([line.image for line in lines])
    truths = [normalize("katakana", t) for t in HELD_OUT_TEXTS]
    exact = sum(r.value == t for r, t in zip(readings, truths, strict=True))
    right_chars = sum(
        sum(a == b for a, b in zip(r.value, t, strict=False))
        for r, t in zip(readings, truths, strict=True)
    )
    assert exact >= 6, [r.value for r in readings]
    assert right_chars >= 0.85 * sum(len(t) for t in truths)
    assert all(r.engine == kana.ENGINE_NAME for r in readings)
    # A right reading is more confident than a wrong one, on average.
    right = [r.confidence for r, t in zip(readings, truths, strict=True) if r.value == t]
    assert np.mean(right) > 0.3


def test_read_page_routes_katakana_to_the_kana_engine_and_text_to_tesseract():
    text = "ヤマダ　ハナコ"
    line = kana_lines.render_line(text, HELD_OUT, np.random.default_rng(7), split="eval")
    # A page whose blank is plain paper: the cleaned line is the image itself.
    h, w = line.image.shape
    aligned = cv2.cvtColor(cv2.copyMakeBorder(line.image, 4, 4, 4, 4, cv2.BORDER_CONSTANT,
                                              value=255), cv2.COLOR_GRAY2BGR)  # fmt: skip
    page = PageImages(aligned, np.full_like(aligned, 255))
    fields = [
        FieldGeometry("name_kana", "katakana", 0, 0, w + 8, h + 8),
        FieldGeometry("name", "text_ja", 0, 0, w + 8, h + 8),
    ]
    text_engine = FakeEngine({"name": Reading("山田　花子", 0.9, engine="fake"),
                              "name_kana": Reading("wrong", 0.9)})  # fmt: skip
    out = read.read_page(page, fields, text=text_engine, marks=FakeEngine({}))
    assert out["name"].value == "山田　花子"
    assert out["name_kana"].engine == kana.ENGINE_NAME
    # What it read is the recogniser's (measured elsewhere): katakana, not the text engine's.
    assert out["name_kana"].value and set(out["name_kana"].value) <= set(kana.CHARSET)
