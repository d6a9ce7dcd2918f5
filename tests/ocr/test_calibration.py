"""Confidence calibration: fitted maps follow measured correctness and stay finite."""

import random

from ocr.pipeline.calibration import apply_map, fit_platt


def test_platt_map_follows_the_measured_rate() -> None:
    rng = random.Random(1)
    raw = [rng.random() for _ in range(3000)]
    right = [rng.random() < p**2 for p in raw]  # true rate is raw squared
    mapping = fit_platt(raw, right)
    for p in (0.3, 0.6, 0.9):
        assert abs(apply_map(mapping, p) - p**2) < 0.08


def test_perfectly_separated_data_give_a_finite_increasing_map() -> None:
    raw = [0.1] * 50 + [0.99] * 200
    right = [False] * 50 + [True] * 200
    mapping = fit_platt(raw, right)
    low, high = apply_map(mapping, 0.1), apply_map(mapping, 0.99)
    assert 0.0 < low < 0.2 and 0.9 < high < 1.0
    assert apply_map(mapping, 0.5) < high
