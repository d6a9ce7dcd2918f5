"""Calibrated confidence: among fields with confidence ≈ p, about p are right.

The engines' raw scores (e.g. a product of cell probabilities) rank readings well but are not
probabilities. Per field kind, an isotonic map from raw score to the measured share of right
readings is fitted on the calibration split (``manage.py evaluate --calibrate``) and stored
with the models. Each block's rate is Laplace-smoothed, so a block that was always right maps
to (n+1)/(n+2), never to a certainty the data cannot support.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

CALIBRATION_PATH = Path(__file__).resolve().parent / "engines" / "models" / "calibration.json"


def fit_isotonic(raw: list[float], correct: list[bool]) -> dict[str, list[float]]:
    """Pool-adjacent-violators on (raw, correct); returns block upper edges and rates."""
    pairs = sorted(zip(raw, correct, strict=True))
    blocks: list[list[float]] = []  # [upper raw, right, count]
    for score, ok in pairs:
        blocks.append([score, float(ok), 1.0])
        while len(blocks) > 1 and (
            (blocks[-2][1] + 1) / (blocks[-2][2] + 2) >= (blocks[-1][1] + 1) / (blocks[-1][2] + 2)
        ):
            upper, right, count = blocks.pop()
            blocks[-1] = [upper, blocks[-1][1] + right, blocks[-1][2] + count]
    return {
        "edges": [b[0] for b in blocks],
        "rates": [(b[1] + 1) / (b[2] + 2) for b in blocks],
        "counts": [b[2] for b in blocks],
    }


def apply_map(mapping: dict[str, list[float]], raw: float) -> float:
    edges, rates = mapping["edges"], mapping["rates"]
    if not edges:
        return raw
    index = min(bisect_right(edges, raw - 1e-12), len(rates) - 1)
    return float(rates[index])


@lru_cache(maxsize=1)
def _maps(path: str) -> dict[str, dict[str, list[float]]]:
    file = Path(path)
    if not file.exists():
        return {}
    return json.loads(file.read_text(encoding="utf-8"))["kinds"]


def calibrate(kind: str, raw: float, path: Path = CALIBRATION_PATH) -> float:
    """The calibrated confidence of a raw score; the raw score when the kind has no map yet."""
    mapping = _maps(str(path)).get(kind)
    return apply_map(mapping, raw) if mapping else float(raw)


def save_maps(
    maps: dict[str, dict[str, list[float]]], source: str, path: Path = CALIBRATION_PATH
) -> None:
    path.write_text(
        json.dumps({"source": source, "kinds": maps}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    _maps.cache_clear()
