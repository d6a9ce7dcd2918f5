"""Katakana and Japanese text on handwriting the recognisers never saw: kana CNN vs Tesseract.

Two measurements, both in the HELD-OUT style family (``hand_styles.HELD_OUT``), which the
katakana recogniser never trained on:

1. ``lines``: synthetic フリガナ fields (``kana_lines.random_line``, split "eval", seeds apart
   from training) read by the kana recogniser and by Tesseract (``tesseract.read_text``,
   katakana whitelist) on the SAME cleaned crop.
2. ``forms``: generated forms of the evaluation split (``generate_form(split="eval")``: names,
   readings and addresses in the held-out family, digits from held-out writers), scanned,
   aligned to their blank (``align.align_page``) and cut as the pipeline cuts them
   (``cells.text_line``). Katakana fields are read by both engines; text_ja fields (names,
   addresses) by Tesseract, which still reads them. ``--writing old`` (or ``both``) reads the
   same forms with the text drawn from the form font as the generator did before (what the
   evaluation used to show Tesseract). ``--engines`` reads the forms with one engine only (the
   same seeds give the same forms, so two runs can share the machine's cores).

Scores: per-character accuracy = 1 - (edit distance / truth characters) summed over fields,
per-field exact match after ``validate.normalize``. Blank truths are skipped (the generator
leaves some fields blank; blank detection is not what this measures).

    DATA_DIR=var/x .venv/bin/python scripts/eval_kana.py --lines 200 --forms 4 --writing both
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yomitoru.lib.edit_distance import levenshtein  # noqa: E402


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """(read, truth) pairs -> per-character accuracy, per-field exact, count."""
    errors = sum(levenshtein(r, t) for r, t in pairs)
    chars = sum(len(t) for _, t in pairs)
    return {
        "char_accuracy": round(1.0 - errors / max(chars, 1), 4),
        "field_exact": round(sum(r == t for r, t in pairs) / max(len(pairs), 1), 4),
        "fields": len(pairs),
    }


def _recogniser(model: Path | None):  # -> KanaRecognizer
    from ocr.pipeline.engines.kana import KanaRecognizer

    if model is None:
        return KanaRecognizer()
    return KanaRecognizer(model, model.with_suffix(".json"))


def eval_lines(count: int, seed: int, model: Path | None = None) -> dict[str, Any]:
    from lab.synthetic import kana_lines
    from lab.synthetic.hand_styles import HELD_OUT
    from ocr.pipeline.engines.tesseract import read_text
    from ocr.pipeline.validate import normalize

    recogniser = _recogniser(model)
    kana_pairs, tess_pairs = [], []
    kana_s = tess_s = 0.0
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        text = kana_lines.random_reading(rng)
        line = kana_lines.render_line(text, HELD_OUT, rng, split="eval")
        truth = normalize("katakana", text)
        t = time.perf_counter()
        kana_read = recogniser.read_lines([line.image])[0].value
        kana_s += time.perf_counter() - t
        t = time.perf_counter()
        tess_read = read_text(line.image, "katakana").value
        tess_s += time.perf_counter() - t
        kana_pairs.append((kana_read, truth))
        tess_pairs.append((tess_read, truth))
    return {
        "kana-crnn": {**score(kana_pairs), "ms_per_field": round(1000 * kana_s / count, 1)},
        "tesseract": {**score(tess_pairs), "ms_per_field": round(1000 * tess_s / count, 1)},
        "examples": [
            {"truth": t, "kana": k, "tesseract": r}
            for (k, t), (r, _) in list(zip(kana_pairs, tess_pairs, strict=True))[:8]
        ],
    }


def eval_forms(
    count: int, seed: int, hand_styles: bool, model: Path | None = None, engines: str = "both"
) -> dict[str, Any]:
    from forms_catalog.kinds import FieldKind
    from forms_catalog.layouts import STANDARD_LAYOUTS
    from lab.synthetic.generator import blank_array, generate_form
    from ocr.pipeline import cells
    from ocr.pipeline.align import align_page, prepare_reference
    from ocr.pipeline.engines.base import FieldGeometry, PageImages
    from ocr.pipeline.engines.tesseract import read_text
    from ocr.pipeline.validate import normalize

    recogniser = _recogniser(model) if engines != "tesseract" else None
    tesseract = engines != "kana"
    pairs: dict[str, list[tuple[str, str]]] = {}
    if recogniser is not None:
        pairs["katakana/kana-crnn"] = []
    if tesseract:
        pairs["katakana/tesseract"] = []
        pairs["text_ja/tesseract"] = []
    unaligned = 0
    codes = [
        code
        for code, layout in sorted(STANDARD_LAYOUTS.items())
        if any(f.kind == FieldKind.KATAKANA for f in layout.fields)
    ]
    for code in codes:
        layout = STANDARD_LAYOUTS[code]
        reference = cv2.cvtColor(blank_array(layout, 1), cv2.COLOR_RGB2BGR)
        prepared = prepare_reference(reference)
        specs = [
            f
            for f in layout.fields
            if f.page == 1 and f.kind in (FieldKind.KATAKANA, FieldKind.TEXT_JA)
        ]
        for index in range(count):
            rng = random.Random(f"eval-kana-{seed}-{code}-{index}")
            form = generate_form(layout, rng, split="eval", hand_styles=hand_styles)
            scan = cv2.cvtColor(np.asarray(form.pages[0].convert("RGB")), cv2.COLOR_RGB2BGR)
            result = align_page(scan, prepared)
            if not result.ok:
                unaligned += 1
                continue
            page = PageImages(result.aligned, reference)
            for spec in specs:
                truth = normalize(spec.kind, form.truth[spec.key])
                if not truth:
                    continue
                r = spec.rect
                geometry = FieldGeometry(spec.key, spec.kind, r.x, r.y, r.w, r.h)
                line = cells.text_line(page, geometry)
                if spec.kind == FieldKind.KATAKANA and recogniser is not None:
                    kana_value = recogniser.read_lines([line])[0].value
                    pairs["katakana/kana-crnn"].append((kana_value, truth))
                if not tesseract:
                    continue
                tess = read_text(line, spec.kind).value
                if spec.kind == FieldKind.KATAKANA:
                    pairs["katakana/tesseract"].append((tess, truth))
                else:
                    pairs["text_ja/tesseract"].append((normalize(spec.kind, tess), truth))
    out: dict[str, dict] = {name: score(p) for name, p in pairs.items()}
    out["forms"] = {"layouts": codes, "per_layout": count, "unaligned": unaligned}
    return out


def main() -> None:
    import django

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--forms", type=int, default=12, help="generated forms per layout")
    ap.add_argument("--seed", type=int, default=90210)
    ap.add_argument(
        "--writing",
        choices=("new", "old", "both"),
        default="new",
        help="forms in the style families (new), in the form font as before (old), or both",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--engines", choices=("both", "tesseract", "kana"), default="both")
    ap.add_argument("--model", type=Path, help="another kana .onnx (its .json beside it)")
    args = ap.parse_args()
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
    django.setup()
    from lab.synthetic.hand_styles import HELD_OUT

    started = time.monotonic()
    report: dict[str, object] = {"held_out_family": HELD_OUT}
    if args.lines:
        report["lines"] = eval_lines(args.lines, args.seed, args.model)
    if args.forms and args.writing in ("new", "both"):
        report["forms"] = eval_forms(args.forms, args.seed, True, args.model, engines=args.engines)
    if args.forms and args.writing in ("old", "both"):
        report["forms_old_writing"] = eval_forms(
            args.forms, args.seed, False, args.model, engines=args.engines
        )
    report["seconds"] = round(time.monotonic() - started)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", "utf-8")
    print_table(report)


def print_table(report: dict) -> None:
    rows = []
    if "lines" in report:
        for engine in ("kana-crnn", "tesseract"):
            s = report["lines"][engine]
            rows.append((f"katakana lines / {engine}", s))
    for key, label in (("forms", "forms"), ("forms_old_writing", "forms, old font writing")):
        for name, s in report.get(key, {}).items():
            if name != "forms":
                rows.append((f"{label}: {name}", s))
    print(f"\nheld-out family: {report['held_out_family']}")
    print(f"{'set / engine':48} {'per char':>9} {'per field':>9} {'fields':>7}")
    for label, s in rows:
        print(f"{label:48} {s['char_accuracy']:9.1%} {s['field_exact']:9.1%} {s['fields']:7d}")


if __name__ == "__main__":
    main()
