"""Calibrated confidence: among fields with confidence ≈ p, about p are right.

The engines' raw scores (e.g. a product of cell probabilities) rank readings well but are not
probabilities. Per field kind, a logistic map of the raw score's log-odds (Platt scaling) is
fitted on the calibration split (``manage.py evaluate --calibrate``) and stored with the
models. The map is strictly increasing, so it keeps the engines' ranking and leaves every
raw score its own calibrated value: thresholds can be set between any two readings. A
Laplace prior (one right and one wrong pseudo-reading) keeps it away from certainties the
data cannot support.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

CALIBRATION_PATH = Path(__file__).resolve().parent / "engines" / "models" / "calibration.json"


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def fit_platt(
    raw: list[float], correct: list[bool], iterations: int = 200, ridge: float = 1e-3
) -> dict[str, float]:
    """Logistic regression of correctness on logit(raw) by damped Newton steps.

    One right and one wrong pseudo-reading at the mid-point and a small ridge penalty keep
    the fit finite even when the calibration data are perfectly separated.
    """
    xs = [_logit(r) for r in raw] + [0.0, 0.0]
    ys = [1.0 if c else 0.0 for c in correct] + [1.0, 0.0]
    a, b = 1.0, 0.0
    for _ in range(iterations):
        ga, gb = ridge * (a - 1.0), 0.0
        haa, hab, hbb = ridge, 0.0, 1e-9
        for x, y in zip(xs, ys, strict=True):
            p = _sigmoid(a * x + b)
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = max(abs(da), abs(db))
        if step > 1.0:  # damped: never jump further than one unit of log-odds at once
            da, db = da / step, db / step
        a, b = a - da, b - db
        if step < 1e-9:
            break
    return {"a": a, "b": b, "fields": len(raw)}


def apply_map(mapping: dict[str, float], raw: float) -> float:
    return _sigmoid(mapping["a"] * _logit(raw) + mapping["b"])


@lru_cache(maxsize=1)
def _maps(path: str) -> dict[str, dict[str, float]]:
    file = Path(path)
    if not file.exists():
        return {}
    return json.loads(file.read_text(encoding="utf-8"))["kinds"]


def calibrate(kind: str, raw: float, path: Path = CALIBRATION_PATH) -> float:
    """The calibrated confidence of a raw score; the raw score when the kind has no map yet."""
    mapping = _maps(str(path)).get(kind)
    return apply_map(mapping, raw) if mapping else float(raw)


def save_maps(
    maps: dict[str, dict[str, float]], source: str, path: Path = CALIBRATION_PATH
) -> None:
    path.write_text(
        json.dumps({"source": source, "kinds": maps}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    _maps.cache_clear()
