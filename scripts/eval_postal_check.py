"""Address accuracy before and after the postal-dictionary check, on the evaluation split.

    DATA_DIR=var python scripts/eval_postal_check.py --samples 20 --seed 11

Generates the forms whose address names its postal-code field (the ふるさと納税 one-stop
application) with handwriting of the **eval** split, reads each page once the whole way, and
judges the same readings twice: without the check (``judge(..., postal_lookup=None)``) and
with it (the production path). Prints, for the address and the postal code: accuracy,
straight-through and wrong among auto-accepted, both ways; and what the check decided, with
how often a flag fell on a reading that was really wrong.

Needs the dictionary in the database (``manage.py load_postal_codes``); the generator draws
real postal codes with their real areas from the same package.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")

import django

django.setup()

from forms_catalog.catalog import load_standard_catalog  # noqa: E402
from forms_catalog.models import FormType  # noqa: E402
from lab.evaluation import generate_corpus  # noqa: E402
from ocr.intake import configured_limits  # noqa: E402
from ocr.models import PostalArea  # noqa: E402
from ocr.pipeline.ingest import inspect, iter_pages  # noqa: E402
from ocr.pipeline.postal import ERROR_CODES  # noqa: E402
from ocr.pipeline.validate import normalize  # noqa: E402
from ocr.postal_data import all_areas  # noqa: E402
from ocr.reading import default_engine, judge, read_scan  # noqa: E402
from ocr.routing import current_thresholds, load_thresholds  # noqa: E402
from ocr.storage import decode_image, encode_page  # noqa: E402
from yomitoru.lib.edit_distance import levenshtein  # noqa: E402

FORM = "furusato-onestop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if not PostalArea.objects.exists():
        sys.exit("no postal dictionary: run manage.py load_postal_codes first")
    load_standard_catalog()
    load_thresholds()
    thresholds = current_thresholds()
    form_type = FormType.objects.get(code=FORM, is_current=True)
    definitions = list(form_type.fields.all())
    linked = [d for d in definitions if d.postal_code_field]
    keys = [k for d in linked for k in (d.key, d.postal_code_field)]
    kinds = {d.key: d.kind for d in definitions}
    rows: dict[str, Counter[str]] = {
        f"{k} {w}": Counter() for k in keys for w in ("before", "after")
    }
    outcomes: Counter[str] = Counter()
    engine, limits = default_engine(), configured_limits()
    with tempfile.TemporaryDirectory() as folder:
        corpus = generate_corpus(
            [FORM], args.samples, split="eval", seed=args.seed, folder=Path(folder)
        )
        for sample in corpus:
            data = sample.path.read_bytes()
            images = [
                decode_image(encode_page(page))
                for page in iter_pages(data, inspect(data, limits), limits)
            ]
            scan = read_scan(form_type, images, engine, definitions)
            before = judge(
                definitions, scan.readings, scan.unaligned, thresholds, postal_lookup=None
            )
            after = judge(definitions, scan.readings, scan.unaligned, thresholds)
            truth = {k: normalize(kinds[k], sample.truth.get(k, "")) for k in keys}
            for key in keys:
                area = _true_area(truth, key, linked)
                for way, judged in (("before", before), ("after", after)):
                    _count(rows[f"{key} {way}"], judged[key], truth[key], area)
            for d in linked:
                flags = set(after[d.key].errors) & set(ERROR_CODES.values())
                outcome = next(iter(flags), "")
                if not outcome:
                    outcome = "corrected" if after[d.key].value != before[d.key].value else "kept"
                both_right = all(before[k].value == truth[k] for k in (d.key, d.postal_code_field))
                outcomes[f"{outcome} ({'read right' if both_right else 'misread'})"] += 1
    print(f"{FORM}, eval split, {args.samples} forms, seed {args.seed}")
    print(
        "| field | check | accuracy (whole field) | characters right | area spelt right "
        "| straight-through | wrong among auto-accepted |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, c in rows.items():
        key, way = name.split()
        n, accepted = c["fields"], c["accepted"]
        chars = 1 - c["char_errors"] / max(c["chars"], 1)
        areas = c["areas"]
        area = f"{c['area_right'] / areas:.1%} ({c['area_right']}/{areas})" if areas else ""
        print(
            f"| {key} | {way} | {c['right'] / n:.1%} ({c['right']}/{n}) | {chars:.1%} "
            f"| {area} | {accepted / n:.1%} "
            f"| {c['wrong_accepted']} of {accepted} |"
        )
    print()
    print("what the check did (before it, were both fields read right?):")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome}: {count}")


def _true_area(truth: dict[str, str], key: str, linked: list) -> str:
    """The area the true address begins with (Japan Post's spelling); "" for other fields."""
    for d in linked:
        if d.key == key:
            code = truth[d.postal_code_field]
            areas = [a.prefecture + a.city + a.town for a in all_areas() if a.code == code]
            return max((a for a in areas if truth[key].startswith(a)), key=len, default="")
    return ""


def _count(counter: Counter[str], judged: object, truth: str, area: str) -> None:
    value, status = judged.value, judged.status  # type: ignore[attr-defined]
    counter["fields"] += 1
    counter["right"] += value == truth
    # Characters right: 1 - edit distance / length of the truth, summed over fields.
    counter["chars"] += len(truth)
    counter["char_errors"] += min(levenshtein(truth, value), len(truth))
    if area:
        counter["areas"] += 1
        counter["area_right"] += value.startswith(area)
    if status == "auto_accepted":
        counter["accepted"] += 1
        counter["wrong_accepted"] += value != truth


if __name__ == "__main__":
    main()
