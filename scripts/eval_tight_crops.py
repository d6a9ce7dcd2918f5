"""Tight crops against the same handwriting on a page: what ``read_field`` loses by cropping.

    python scripts/eval_tight_crops.py [--split eval] [--strips 40] [--seed 13]
        [--margins 2 6 12] [--colours black red] [--sizes 66x78 52x64 84x100] [--cells 12]

Each strip (``lab.strips.make_strip``) is one filled comb read twice: as a tight crop through
``read_cropped`` (what ``manage.py read_field`` does) and as a field of an aligned page with the
exact geometry through ``read_page``. Rule width (1–3 px), skew (±1.5°), JPEG quality (70–80)
and the 4-4-4 group separators vary per strip; margin, rule colour and cell size per row.

Per row: per-cell digit accuracy, strips read exactly, straight-through (auto-accepted: valid
and at or above the shipped threshold of the kind in ``thresholds.json``) and wrong among the
auto-accepted, for the crop and for the page. Report figures on ``--split eval``; develop on
``calib`` or ``train``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")

import django  # noqa: E402

django.setup()

from lab.strips import KIND_OF_CELLS, Strip, make_strip, random_spec  # noqa: E402
from ocr.pipeline.cropped import read_cropped  # noqa: E402
from ocr.pipeline.engines.base import Reading  # noqa: E402
from ocr.pipeline.read import read_page  # noqa: E402
from ocr.pipeline.validate import validate  # noqa: E402
from ocr.routing import THRESHOLDS_PATH  # noqa: E402


@dataclass
class Tally:
    cells: int = 0
    cells_right: int = 0
    strips: int = 0
    strips_right: int = 0
    accepted: int = 0
    accepted_wrong: int = 0

    def add(self, reading: Reading, truth: str, threshold: float | None, kind: str) -> None:
        got = list(reading.cell_values) if reading.cell_values else list(reading.value)
        got += [""] * (len(truth) - len(got))
        self.cells += len(truth)
        self.cells_right += sum(a == b for a, b in zip(truth, got, strict=False))
        self.strips += 1
        right = reading.value == truth
        self.strips_right += right
        errors = validate(kind, reading.value, required=False)
        if threshold is not None and not errors and reading.confidence >= threshold:
            self.accepted += 1
            self.accepted_wrong += not right

    def merge(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def columns(self) -> list[str]:
        wrong = f"{self.accepted_wrong} of {self.accepted}" if self.accepted else "–"
        return [
            f"{100 * self.cells_right / max(1, self.cells):.2f}%",
            f"{100 * self.strips_right / max(1, self.strips):.1f}%",
            f"{100 * self.accepted / max(1, self.strips):.1f}%",
            wrong,
        ]


@dataclass
class Row:
    crop: Tally = field(default_factory=Tally)
    page: Tally = field(default_factory=Tally)


def read_both(strip: Strip) -> tuple[Reading, Reading]:
    on_crop = read_cropped(strip.crop, strip.kind, strip.spec.cells)
    on_page = read_page(strip.page, [strip.field])["field"]
    return on_crop, on_page


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="eval", choices=("train", "calib", "eval"))
    parser.add_argument("--strips", type=int, default=40, help="strips per row")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--margins", type=int, nargs="+", default=[2, 6, 12])
    parser.add_argument("--colours", nargs="+", default=["black", "red"])
    parser.add_argument("--sizes", nargs="+", default=["66x78", "52x64", "84x100"])
    parser.add_argument("--cells", type=int, default=12, choices=sorted(KIND_OF_CELLS))
    parser.add_argument("--max-skew", type=float, default=1.5)
    args = parser.parse_args()

    kind = KIND_OF_CELLS[args.cells]
    thresholds = {
        k: float(v["threshold"])
        for k, v in json.loads(THRESHOLDS_PATH.read_text("utf-8"))["kinds"].items()
    }
    threshold = thresholds.get(kind)
    print(
        f"split={args.split} cells={args.cells} ({kind}) strips/row={args.strips} "
        f"seed={args.seed} skew=±{args.max_skew}° rules 1-3 px JPEG 70-80; "
        f"auto-accept threshold {threshold if threshold is not None else 'none (never)'}"
    )
    head = ["margin", "rules", "cell", "strips"]
    sides = ["per cell", "strip exact", "straight-through", "wrong auto-accepted"]
    print("| " + " | ".join(head + [f"crop: {s}" for s in sides] + [f"page: {s}" for s in sides]))
    print("|" + "---|" * (len(head) + 2 * len(sides)))
    total = Row()
    started = time.perf_counter()
    for size in args.sizes:
        for colour in args.colours:
            for margin in args.margins:
                row = Row()
                for i in range(args.strips):
                    rng = random.Random(f"{args.seed}:{args.cells}:{size}:{colour}:{margin}:{i}")
                    spec = random_spec(
                        rng,
                        cells=args.cells,
                        cell_size=parse_size(size),
                        colour=colour,
                        margin=margin,
                        max_skew=args.max_skew,
                    )
                    strip = make_strip(spec, rng, split=args.split)
                    on_crop, on_page = read_both(strip)
                    row.crop.add(on_crop, strip.truth, threshold, kind)
                    row.page.add(on_page, strip.truth, threshold, kind)
                total.crop.merge(row.crop)
                total.page.merge(row.page)
                cols = [f"{margin} px", colour, size, str(args.strips)]
                print("| " + " | ".join(cols + row.crop.columns() + row.page.columns()) + " |")
    strips = total.crop.strips
    cols = ["all", "", "", str(strips)]
    print("| " + " | ".join(cols + total.crop.columns() + total.page.columns()) + " |")
    print(f"{time.perf_counter() - started:.0f} s for {strips} strips (each read twice)")


if __name__ == "__main__":
    main()
