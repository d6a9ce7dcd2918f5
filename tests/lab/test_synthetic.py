"""The synthetic filled-form generator: truth, determinism, and ink where the truth says."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from PIL import Image

from forms_catalog.kinds import COMB_KINDS, FieldKind
from forms_catalog.layouts import STANDARD_LAYOUTS, get_layout
from forms_catalog.layouts.base import FormLayout, Rect
from forms_catalog.render import render_page
from lab.synthetic import handwriting
from lab.synthetic.generator import blank_array, generate_form, write_samples
from lab.synthetic.scan import scan
from lab.synthetic.values import form_values
from yomitoru.lib import mynumber, wareki

CODES = sorted(STANDARD_LAYOUTS)
SEEDS = range(30)


def _dates(layout: FormLayout, truth: dict[str, str]):
    for spec in layout.fields:
        value = truth[spec.key]
        if value and spec.kind == FieldKind.WAREKI_DATE:
            yield spec.key, wareki.parse(value).to_date()


@pytest.mark.parametrize("code", CODES)
def test_truth_covers_every_field_and_is_canonical(code: str) -> None:
    layout = get_layout(code)
    for seed in SEEDS:
        truth = form_values(layout, random.Random(seed))
        assert list(truth) == [spec.key for spec in layout.fields]
        for spec in layout.fields:
            value = truth[spec.key]
            if spec.required:
                assert value, (seed, spec.key)
            if not value:
                continue
            if spec.kind == FieldKind.MYNUMBER:
                assert mynumber.is_valid(value) and value.startswith("00")
            elif spec.kind == FieldKind.WAREKI_DATE:
                assert wareki.normalize(value) == value
            elif spec.kind in COMB_KINDS:
                assert value.isdigit() and len(value) <= spec.cells, (spec.key, value)
            elif spec.kind == FieldKind.CHECKBOX:
                assert value in ("0", "1")
            elif spec.kind == FieldKind.CHOICE:
                assert value in [o.value for o in spec.options]


@pytest.mark.parametrize("code", CODES)
def test_truth_is_consistent_within_a_form(code: str) -> None:
    layout = get_layout(code)
    for seed in SEEDS:
        truth = form_values(layout, random.Random(seed))
        dates = dict(_dates(layout, truth))
        applied = dates.get("application_date")
        for key, when in dates.items():
            if "birth" in key and applied is not None:
                assert when < applied, (seed, key)
        if truth.get("payment_amount") and truth.get("income_after_deduction"):
            assert int(truth["income_after_deduction"]) < int(truth["payment_amount"])
        surname = truth.get("name", truth.get("guardian_name", "")).split("\u3000")[0]
        for key, value in truth.items():
            if value and key.endswith("name") and not key.startswith(("payer", "employer")):
                assert value.split("\u3000")[0] == surname, (seed, key)


def test_same_seed_same_values_other_seed_other_values() -> None:
    layout = get_layout("kyuyo-shiharai")
    assert form_values(layout, random.Random(7)) == form_values(layout, random.Random(7))
    assert form_values(layout, random.Random(7)) != form_values(layout, random.Random(8))


class _Ink:
    """Where the filled page differs from its blank, measured only inside the asked rects."""

    def __init__(self, filled: Image.Image, blank: Image.Image) -> None:
        self.a = np.asarray(filled.convert("RGB"))
        self.b = np.asarray(blank.convert("RGB"))

    def inside(self, r: Rect, inset: int) -> int:
        ys = slice(max(r.y + inset, 0), r.bottom - inset)
        xs = slice(max(r.x + inset, 0), r.right - inset)
        diff = np.abs(self.a[ys, xs].astype(np.int16) - self.b[ys, xs].astype(np.int16))
        return int((diff.max(axis=2) > 60).sum())


@pytest.mark.parametrize("code", CODES)
def test_clean_ink_lands_in_the_right_cells(code: str, monkeypatch) -> None:
    # No careless digits here: each one must stay in its own cell.
    monkeypatch.setattr(handwriting, "CROSSING_RATE", 0.0)
    layout = get_layout(code)
    form = generate_form(layout, random.Random(3), artefacts=False)
    page = form.pages[0]
    assert page.size == (layout.width, layout.height)
    ink = _Ink(page, Image.fromarray(blank_array(layout, 1)))
    for spec in layout.fields:
        value = form.truth[spec.key]
        if spec.kind in COMB_KINDS:
            digits = value[1:].replace(".", "") if spec.kind == FieldKind.WAREKI_DATE else value
            cells = spec.cell_rects()
            start = len(cells) - len(digits) if spec.kind == FieldKind.AMOUNT else 0
            for i, cell in enumerate(cells):
                written = start <= i < start + len(digits)
                amount = ink.inside(cell, 8)
                assert (amount > 40) == written, (spec.key, i, amount)
        elif spec.kind == FieldKind.CHECKBOX:
            box = Rect(spec.rect.x - 4, spec.rect.y - 4, spec.rect.w + 8, spec.rect.h + 8)
            assert (ink.inside(box, 0) > 30) == (value == "1"), spec.key
        elif spec.kind == FieldKind.CHOICE:
            for option in spec.options:
                r = option.rect
                ring = Rect(r.x - 20, r.y - 20, r.w + 40, r.h + 40)
                chosen = ink.inside(ring, 0) > 60
                assert chosen == (option.value == value), (spec.key, option.value)
        elif value:
            assert ink.inside(spec.rect, 2) > 200, spec.key
        else:
            assert ink.inside(spec.rect, 10) == 0, spec.key


def test_samples_are_deterministic_and_keep_the_page_size(tmp_path) -> None:
    layout = get_layout("furusato-onestop")
    paths = write_samples(layout, 1, tmp_path, seed=11, artefacts=False)
    assert [p.name for p in paths] == ["sample-0001.png"]
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    assert truth["form"] == layout.code and truth["seed"] == 11 and truth["split"] == "train"
    assert truth["version"] == layout.version
    assert set(truth["samples"]["sample-0001.png"]) == {f.key for f in layout.fields}
    # The same seed gives the same sample again, pixel for pixel.
    again = generate_form(layout, random.Random(f"{layout.code}:11:1"), artefacts=False)
    assert again.truth == truth["samples"]["sample-0001.png"]
    with Image.open(paths[0]) as written:
        assert np.array_equal(np.asarray(written.convert("RGB")), np.asarray(again.pages[0]))

    scanned = generate_form(layout, random.Random(11)).pages[0]
    assert scanned.size == (layout.width, layout.height)
    assert scanned.mode in ("RGB", "L")


def test_scan_is_deterministic_and_changes_the_page() -> None:
    blank = render_page(get_layout("hoiku-nintei"), 1).resize((620, 877))
    one = scan(blank, np.random.default_rng(5))
    two = scan(blank, np.random.default_rng(5))
    assert one.size == blank.size
    assert np.array_equal(np.asarray(one), np.asarray(two))
    gray = np.asarray(one.convert("L"), np.float32)
    # Paper is no longer pure white and the page was moved or turned a little.
    assert gray.max() < 255 or gray.mean() < np.asarray(blank.convert("L")).mean()
    assert not np.array_equal(np.asarray(one.convert("L")), np.asarray(blank.convert("L")))
