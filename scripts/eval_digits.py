"""Evaluate the digit recogniser on the held-out writers (no torch: runtime module only).

    python scripts/eval_digits.py [--write-meta] [--dpi 300]
    python scripts/eval_digits.py --split calib --model var/digit-training/cand.onnx  # choosing

``--split calib`` runs the same measurement on the calibration split, to choose between candidate
models without looking at the held-out writers; ``--model`` reads a candidate (with its .json).

Reports, separately for the held-out Semeion writer blocks and the held-out MNIST slice:
(a) accuracy per digit on the raw normalised images (CNN only), and
(b) accuracy per digit "in comb cells": each digit drawn with a pen (dark blue / black) into a
    ~59x90 px (300 dpi) cell with black or dropout-red borders, scan blur and noise, slight shift,
    border-cleaned and cropped (``digit_data.render_comb_cell``), then read by ``DigitRecognizer``
    (empty verdicts count as errors). Each digit is drawn once with black, once with red borders.
Also: reliability of the calibrated confidence (accuracy per confidence bin, ECE), empty cells
read as empty, and the time per 100 cells.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import digit_data as dd  # noqa: E402
from ocr.pipeline.engines import digits as dg  # noqa: E402


def comb_cells(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *, border: str, dpi: float
) -> tuple[list[np.ndarray], np.ndarray]:
    """Each digit at a realistic pen size in a comb cell; returns the cleaned cell crops."""
    cells = [
        dd.render_comb_cell(
            im,
            rng,
            dpi=dpi,
            border=border,
            height_frac=(0.55, 0.8),
            shift_frac=0.06,
            blur=(0.3, 0.9),
            noise=(1.5, 5.0),
            jpeg=0.3,
            margin_px=(-2.0, 5.0),
        )
        for im in images
    ]
    return cells, np.asarray(labels)


def per_digit(pred: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {
        str(k): round(float((pred[labels == k] == k).mean()), 4)
        for k in range(10)
        if (labels == k).any()
    }


def reliability(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> dict[str, object]:
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if not m.any():
            continue
        acc, mc = float(correct[m].mean()), float(conf[m].mean())
        ece += m.mean() * abs(acc - mc)
        rows.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": int(m.sum()),
                "acc": round(acc, 4),
                "mean_conf": round(mc, 4),
            }
        )
    top = {}
    for thr in (0.9, 0.99, 0.999):
        m = conf >= thr
        top[f">={thr}"] = {
            "share": round(float(m.mean()), 4),
            "errors": int((~correct[m]).sum()),
            "n": int(m.sum()),
        }
    return {"ece": round(float(ece), 4), "bins": rows, "accepted_at": top}


def comb_sets(
    split: str, dpis: tuple[float, ...], seed: int = 2024, limit: int | None = None
) -> Iterator[tuple[str, float, str, list[np.ndarray], np.ndarray]]:
    """(source, dpi, border, cells, labels): the split's digits drawn in comb cells. The seeds
    fix the drawing, so every model measured reads the same cells. ``limit``: the first
    digits of each source only (the fine-tuning gate's own test)."""
    for source in ("semeion", "mnist"):
        x, y = dd.load_split(split, source)
        x, y = x[:limit], y[:limit]
        for dpi in dpis:
            for border in ("black", "red"):
                rng = np.random.default_rng([seed, int(dpi), border == "red"])
                cells, lab = comb_cells(x, y, rng, border=border, dpi=dpi)
                yield source, dpi, border, cells, lab


def read_digits(rec: dg.DigitRecognizer, cells: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The digit read in each cell (-1: read as empty, an error here) and its confidence."""
    reads = rec.read_cells(cells)
    pred = np.array([-1 if r.digit is None else int(r.digit) for r in reads])
    return pred, np.array([r.confidence for r in reads])


def evaluate(
    dpis: tuple[float, ...] = (300.0,),
    seed: int = 2024,
    split: str = "eval",
    model: Path = dg.MODEL_PATH,
) -> dict[str, object]:
    rec = dg.DigitRecognizer(model, model.with_suffix(".json"))
    results: dict[str, Any] = {}
    all_conf, all_ok = [], []
    per_source_ok: dict[str, list[np.ndarray]] = {}
    for source in ("semeion", "mnist"):
        x, y = dd.load_split(split, source)
        raw_pred = rec.logits(list(x)).argmax(1)
        results[source] = {
            "n": len(y),
            "raw": {
                "accuracy": round(float((raw_pred == y).mean()), 4),
                "per_digit": per_digit(raw_pred, y),
            },
        }
    for source, dpi, border, cells, lab in comb_sets(split, dpis, seed):
        pred, conf = read_digits(rec, cells)
        ok = pred == lab
        all_conf.append(conf)
        all_ok.append(ok)
        per_source_ok.setdefault(source, []).append(ok)
        results[source][f"cells_{border}_{int(dpi)}dpi"] = {
            "accuracy": round(float(ok.mean()), 4),
            "min_per_digit": min(per_digit(pred, lab).values()),
            "per_digit": per_digit(pred, lab),
            "read_as_empty": int((pred == -1).sum()),
        }
    # The whole held-out split (both sources, every border and resolution) in one figure.
    everything = np.concatenate(all_ok)
    results["held_out_in_cells" if split == "eval" else f"{split}_in_cells"] = {
        "digits_read": int(everything.size),
        "errors": int((~everything).sum()),
        "accuracy": round(float(everything.mean()), 4),
        **{
            f"{source}_accuracy": round(float(np.concatenate(oks).mean()), 4)
            for source, oks in per_source_ok.items()
        },
    }
    results["calibration"] = reliability(np.concatenate(all_conf), np.concatenate(all_ok))
    # Empty cells (border remnants, noise): how many are read as empty, with what confidence.
    rng = np.random.default_rng(seed + 1)
    empties = [
        dd.render_comb_cell(None, rng, border=b, dpi=300.0, clean=rng.random() > 0.2)
        for b in ("black", "red", "none")
        for _ in range(100)
    ]
    er = rec.read_cells(empties)
    results["empty_cells"] = {
        "n": len(er),
        "read_as_empty": int(sum(r.digit is None for r in er)),
        "min_confidence": round(min(r.confidence for r in er if r.digit is None), 4),
    }
    # Speed: 100 cells at 300 dpi in one call (preprocessing + one forward pass).
    x, y = dd.load_split("eval", "mnist")
    cells, _ = comb_cells(x[:100], y[:100], np.random.default_rng(7), border="red", dpi=300.0)
    rec.read_cells(cells)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        rec.read_cells(cells)
        times.append(time.perf_counter() - t0)
    results["ms_per_100_cells"] = round(1000 * float(np.median(times)), 1)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--write-meta", action="store_true", help="store the figures in digits.json")
    ap.add_argument("--dpi", type=float, nargs="+", default=[300.0, 200.0, 600.0])
    ap.add_argument("--split", choices=["eval", "calib"], default="eval")
    ap.add_argument("--model", type=Path, default=dg.MODEL_PATH, help="ONNX file (.json beside)")
    args = ap.parse_args()
    if args.write_meta and (args.split != "eval" or args.model != dg.MODEL_PATH):
        ap.error("--write-meta stores the held-out figures of the shipped model only")
    res = evaluate(tuple(args.dpi), split=args.split, model=args.model)
    print(json.dumps(res, indent=1))
    if args.write_meta:
        meta = json.loads(dg.META_PATH.read_text(encoding="utf-8"))
        meta["held_out"] = res
        dg.META_PATH.write_text(json.dumps(meta, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
