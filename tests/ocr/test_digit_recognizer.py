"""The committed digit CNN, read through OpenCV DNN only (no torch)."""

from __future__ import annotations

import numpy as np
import pytest

from lab import digit_data as dd
from ocr.pipeline.engines import digits as dg


@pytest.fixture(scope="module")
def recognizer() -> dg.DigitRecognizer:
    return dg.DigitRecognizer()


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    """The first held-out digit of each class from Semeion (writers never seen in training)
    and from the held-out MNIST slice: 20 digits."""
    xs, ys = [], []
    for source in ("semeion", "mnist"):
        x, y = dd.load_split("eval", source)
        idx = [int(np.flatnonzero(y == k)[0]) for k in range(10)]
        xs.append(x[idx])
        ys.append(y[idx])
    return np.concatenate(xs), np.concatenate(ys)


def test_model_is_small_and_described() -> None:
    assert dg.MODEL_PATH.stat().st_size < 3_000_000  # three CNNs in one graph: 2.3 MB
    meta = dg.DigitRecognizer().meta
    assert meta["classes"] == list("0123456789")
    assert 0.2 < meta["calibration"]["temperature"] < 5


@pytest.mark.parametrize("border", ["black", "red"])
def test_reads_held_out_digits_in_comb_cells(recognizer, held_out, border: str) -> None:
    x, y = held_out
    rng = np.random.default_rng(42)
    cells = [dd.render_comb_cell(im, rng, border=border, dpi=300) for im in x]
    before = recognizer.forward_calls
    readings = recognizer.read_cells(cells)
    assert recognizer.forward_calls == before + 1  # one forward pass for the whole batch
    assert [r.digit for r in readings] == [str(v) for v in y]
    for r in readings:
        assert 0.0 <= r.confidence <= 1.0
        assert abs(sum(r.probs) - 1.0) < 1e-4


@pytest.mark.parametrize("dpi", [200, 600])
def test_reads_at_low_and_high_resolution(recognizer, held_out, dpi: int) -> None:
    x, y = held_out
    rng = np.random.default_rng(dpi)
    cells = [dd.render_comb_cell(im, rng, border="red", dpi=dpi) for im in x[::2]]
    assert [r.digit for r in recognizer.read_cells(cells)] == [str(v) for v in y[::2]]


def test_digit_crossing_the_cell_border_is_read(recognizer, held_out) -> None:
    x, y = held_out
    rng = np.random.default_rng(7)
    picks = [i for i in range(len(y)) if y[i] in (1, 4, 7)]
    cells = [
        dd.render_comb_cell(
            x[i], rng, border="red", height_frac=(0.98, 1.02), margin_px=(8, 10), shift_frac=0.0
        )
        for i in picks
    ]
    assert [r.digit for r in recognizer.read_cells(cells)] == [str(y[i]) for i in picks]


@pytest.mark.parametrize("border", ["black", "red", "none"])
def test_empty_cells_read_as_empty(recognizer, border: str) -> None:
    rng = np.random.default_rng(3)
    cells = [dd.render_comb_cell(None, rng, border=border, clean=i % 2 == 0) for i in range(6)]
    cells.append(np.full((90, 59), 250, np.uint8))
    before = recognizer.forward_calls
    readings = recognizer.read_cells(cells)
    assert all(r.digit is None for r in readings)
    assert all(r.confidence >= 0.95 for r in readings)
    # Nothing to classify: the network is not run at all.
    assert recognizer.forward_calls == before


def test_mixed_batch_keeps_order(recognizer, held_out) -> None:
    x, y = held_out
    rng = np.random.default_rng(11)
    cells = [
        dd.render_comb_cell(x[0], rng),
        dd.render_comb_cell(None, rng),
        dd.render_comb_cell(x[5], rng, border="red"),
    ]
    before = recognizer.forward_calls
    digits = [r.digit for r in recognizer.read_cells(cells)]
    assert digits == [str(y[0]), None, str(y[5])]
    assert recognizer.forward_calls == before + 1
    assert recognizer.read_cells([]) == []


def test_normalise_digit_is_mnist_style() -> None:
    ink = np.zeros((120, 80), np.uint8)
    ink[10:110, 30:42] = 255  # a tall bar, like a "1"
    out = dg.normalise_digit(ink)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out > 64)
    assert ys.max() - ys.min() + 1 <= 21 and xs.max() - xs.min() + 1 <= 6
    gy, gx = np.indices(out.shape)
    w = out.astype(float)
    assert abs((gy * w).sum() / w.sum() - 13.5) < 0.6
    assert abs((gx * w).sum() / w.sum() - 13.5) < 0.6
