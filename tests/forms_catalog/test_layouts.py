"""The four standard layouts: geometry rules, field lists, and the printed combs to the pixel."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pytest
from PIL import Image

from forms_catalog.kinds import COMB_KINDS, FieldKind
from forms_catalog.layouts import STANDARD_LAYOUTS, get_layout
from forms_catalog.layouts.base import BLACK, DROPOUT_RED, FieldSpec, FormLayout, Rect
from forms_catalog.render import draw_field_overlay, render_page, render_pdf
from yomitoru.lib.fonts import japanese_font_path, load_font

MARGIN = 150
INK_THRESHOLD = 200  # "non-white": any channel below this

EXPECTED_KEYS: dict[str, set[str]] = {
    "furusato-onestop": {
        "application_date", "addressee", "postal_code", "address", "phone", "name_kana", "name",
        "mynumber", "sex", "birth_date", "donation_date", "donation_amount",
        "req_no_tax_return", "req_five_or_fewer", "consent",
    },
    "kyuyo-shiharai": {
        "address", "name_kana", "name", "mynumber", "birth_date", "payment_amount",
        "income_after_deduction", "total_deductions", "withholding_tax", "social_insurance",
        "life_insurance_deduction", "spouse_name", "spouse_mynumber",
        *(f"dependent{i}_{part}" for i in range(1, 5) for part in ("name", "mynumber")),
        "payer_corporate_number", "payer_name", "payer_address", "payer_phone",
    },
    "kakutei-shinkoku": {
        "address", "name_kana", "name", "mynumber", "birth_date", "phone", "occupation",
        *(f"revenue_{k}" for k in ("business", "real_estate", "dividend", "salary", "pension",
                                   "occasional")),
        *(f"income_{k}" for k in ("business", "real_estate", "dividend", "salary", "misc",
                                  "total")),
        *(f"deduction_{k}" for k in ("social_insurance", "life_insurance", "spouse",
                                     "dependents", "basic", "total")),
        "tax_taxable_income", "tax_on_taxable_income", "tax_withheld", "tax_due",
    },
    "hoiku-nintei": {
        "application_date", "guardian_kana", "guardian_name", "guardian_birth_date",
        "guardian_mynumber", "address", "phone", "child_kana", "child_name",
        "child_birth_date", "child_mynumber", "child_sex", "certification_type",
        *(f"reason_{k}" for k in ("employment", "pregnancy", "illness", "caregiving",
                                  "disaster", "job_seeking", "schooling", "other")),
        "employer_name", "employer_phone",
    },
}  # fmt: skip
MYNUMBER_COUNT = {"furusato-onestop": 1, "kyuyo-shiharai": 6, "kakutei-shinkoku": 1,
                  "hoiku-nintei": 2}  # fmt: skip
RULE_COLOR = {"furusato-onestop": DROPOUT_RED, "kyuyo-shiharai": BLACK,
              "kakutei-shinkoku": BLACK, "hoiku-nintei": DROPOUT_RED}  # fmt: skip
FIXED_CELLS = {FieldKind.MYNUMBER: 12, FieldKind.CORPORATE_NUMBER: 13,
               FieldKind.POSTAL_CODE: 7, FieldKind.PHONE: 11, FieldKind.WAREKI_DATE: 6}  # fmt: skip
CODES = sorted(STANDARD_LAYOUTS)


# --- reusable pixel check -------------------------------------------------------------------


def _comb_edges(x: int, w: int, cells: int) -> list[int]:
    # The formula of FieldSpec.cell_rects(); the right edge is included.
    return [x + round(i * w / cells) for i in range(cells + 1)]


def assert_comb_on_borders(
    image: Image.Image, field: Mapping[str, Any], *, coverage: float = 0.9, tolerance: int = 1
) -> None:
    """Fail unless ``image`` shows the comb of ``field`` (export-JSON dict) where it says.

    Every cell edge (and the right edge) must carry a drawn line over ``coverage`` of the rect
    height within +-``tolerance`` px of its column, the top and bottom borders likewise over
    the width, and no cell interior may hold a line of its own (a comb drawn with other cell
    positions). Works for black and dropout-red rules: ink = any channel < 200.
    """
    x0, y0, w, h, cells = (int(field[k]) for k in ("x", "y", "w", "h", "cells"))
    assert cells > 0, f"{field['key']} is not a comb field"
    t = tolerance
    # Work on a crop around the field (whole-page arrays are slow); x, y are crop coordinates.
    pad = t + 8
    crop = image.convert("RGB").crop((x0 - pad, y0 - pad, x0 + w + pad + 1, y0 + h + pad + 1))
    ink = (np.asarray(crop) < INK_THRESHOLD).any(axis=2)
    x, y = pad, pad
    problems: list[str] = []
    edges = _comb_edges(x, w, cells)
    for i, ex in enumerate(edges):
        share = ink[y : y + h + 1, ex - t : ex + t + 1].any(axis=1).mean()
        if share < coverage:
            problems.append(f"edge {i} at x={ex - pad + x0} inked over {share:.0%} of the height")
    for name, ey in (("top", y), ("bottom", y + h)):
        share = ink[ey - t : ey + t + 1, x : x + w + 1].any(axis=0).mean()
        if share < coverage:
            problems.append(
                f"{name} border at y={ey - pad + y0} inked over {share:.0%} of the width"
            )
    inner = ink[y + 4 : y + h - 4]
    for left, right in itertools.pairwise(edges):
        columns = inner[:, left + 4 : right - 3].mean(axis=0)
        if columns.size and columns.max() >= 0.5:
            problems.append(f"a line inside the cell at x={left - pad + x0}..{right - pad + x0}")
    assert not problems, f"{field['key']}: comb not drawn at its cell_rects(): " + "; ".join(
        problems
    )


# --- fixtures -------------------------------------------------------------------------------


@cache
def _blank(code: str) -> Image.Image:
    return render_page(get_layout(code))


def _overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _regions(layout: FormLayout, *, words: bool = False) -> list[tuple[str, Rect]]:
    """Every area a writer marks: field rects, plus era options left of a date comb.

    With ``words`` a choice is its option words rather than the rect enclosing them (the
    printed separators between the words sit inside that rect).
    """
    regions = []
    for spec in layout.fields:
        if not (words and spec.kind == FieldKind.CHOICE):
            regions.append((spec.key, spec.rect))
        if words or spec.kind != FieldKind.CHOICE:
            regions += [(f"{spec.key}:{o.value}", o.rect) for o in spec.options]
    return regions


def _label_box(label: Any) -> Rect:
    font = load_font(label.size, bold=label.bold)
    left, top, right, bottom = font.getbbox(label.text, anchor=label.anchor)
    return Rect(label.x + left, label.y + top, right - left, bottom - top)


# --- geometry -------------------------------------------------------------------------------


def test_registry() -> None:
    assert set(STANDARD_LAYOUTS) == set(EXPECTED_KEYS)
    with pytest.raises(KeyError, match="furusato-onestop"):
        get_layout("no-such-form")


@pytest.mark.parametrize("code", CODES)
def test_metadata(code: str) -> None:
    layout = get_layout(code)
    assert layout.code == code
    assert (layout.width, layout.height, layout.dpi, layout.pages) == (2480, 3508, 300, 1)
    assert layout.rule_color == RULE_COLOR[code]
    assert layout.department in {"税務課", "保育課"}
    assert layout.retention_years in {5, 7}


@pytest.mark.parametrize("code", CODES)
def test_fields_cover_the_form(code: str) -> None:
    layout = get_layout(code)
    keys = [f.key for f in layout.fields]
    assert len(keys) == len(set(keys)), "duplicate keys"
    assert set(keys) == EXPECTED_KEYS[code]
    mynumbers = [f for f in layout.fields if f.kind == FieldKind.MYNUMBER]
    assert len(mynumbers) == MYNUMBER_COUNT[code]
    columns = [f.export_column for f in layout.fields]
    assert all(columns) and len(columns) == len(set(columns))
    labels = [f.label for f in layout.fields]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("code", CODES)
def test_field_kinds_follow_conventions(code: str) -> None:
    for f in get_layout(code).fields:
        assert f.sensitive == (f.kind == FieldKind.MYNUMBER), f.key
        if f.kind in FIXED_CELLS:
            assert f.cells == FIXED_CELLS[f.kind], f.key
        if f.kind == FieldKind.AMOUNT:
            assert 9 <= f.cells <= 11, f.key
        if f.kind in COMB_KINDS:
            assert f.cells > 0, f.key
            for cell in f.cell_rects():
                assert 50 <= cell.w <= 66 and 85 <= cell.h <= 105, f.key
        else:
            assert f.cells == 0, f.key
        if f.kind in (FieldKind.TEXT_JA, FieldKind.KATAKANA):
            assert f.rect.h >= 90 and f.rect.w >= 400, f.key
        if f.kind == FieldKind.CHECKBOX:
            assert f.rect.w == f.rect.h and 36 <= f.rect.w <= 56, f.key
        if f.kind == FieldKind.CHOICE:
            assert len(f.options) >= 2
            for o in f.options:
                assert o.value == o.label
                inside = o.rect.x >= f.rect.x and o.rect.right <= f.rect.right
                assert inside and o.rect.y >= f.rect.y and o.rect.bottom <= f.rect.bottom
        if f.kind == FieldKind.WAREKI_DATE:
            assert f.options and {o.value for o in f.options} <= set("MTSHR")
            assert all(o.rect.right <= f.rect.x for o in f.options), "eras left of the comb"


@pytest.mark.parametrize("code", CODES)
def test_regions_inside_margins_and_disjoint(code: str) -> None:
    layout = get_layout(code)
    regions = _regions(layout)
    for key, r in regions:
        assert r.x >= MARGIN and r.y >= MARGIN, key
        assert r.right <= layout.width - MARGIN and r.bottom <= layout.height - MARGIN, key
    for (ka, a), (kb, b) in itertools.combinations(regions, 2):
        assert not _overlaps(a, b), f"{ka} overlaps {kb}"
    for f in layout.fields:
        for a, b in itertools.combinations(f.options, 2):
            assert not _overlaps(a.rect, b.rect), f"{f.key}: options overlap"


@pytest.mark.parametrize("code", CODES)
def test_printed_text_stays_out_of_writing_areas(code: str) -> None:
    layout = get_layout(code)
    boxes = [(lb.text, _label_box(lb)) for lb in layout.labels]
    for text, box in boxes:
        for key, r in _regions(layout, words=True):
            assert not _overlaps(box, r), f"label {text!r} intrudes into {key}"
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        assert not _overlaps(a, b), f"labels {ta!r} and {tb!r} overlap"


def test_to_dict_is_the_export_shape() -> None:
    spec = get_layout("furusato-onestop").field("birth_date")
    d = spec.to_dict()
    assert set(d) == {"key", "label", "kind", "page", "x", "y", "w", "h", "cells", "sensitive",
                      "required", "options", "export_column", "postal_code_field",
                      "days_ahead", "salary_field"}  # fmt: skip
    assert d["kind"] == "wareki_date" and d["cells"] == 6
    assert {"value", "label", "x", "y", "w", "h"} == set(d["options"][0])


# --- pixels ---------------------------------------------------------------------------------


def test_japanese_font_renders_glyphs() -> None:
    assert japanese_font_path().endswith((".ttf", ".otf", ".ttc"))
    font = load_font(48)
    masks = [np.asarray(font.getmask(ch)) for ch in "個人番号"]
    assert all(m.any() for m in masks)
    # A missing glyph renders as the same "tofu" box for every character.
    assert len({m.tobytes() for m in masks}) == 4


@pytest.mark.parametrize("code", CODES)
def test_combs_drawn_on_cell_borders(code: str) -> None:
    image = _blank(code)
    layout = get_layout(code)
    assert image.mode == "RGB" and image.size == (layout.width, layout.height)
    combs = [f for f in layout.fields if f.cells > 0]
    assert combs
    for spec in combs:
        assert_comb_on_borders(image, spec.to_dict())
    # The rules are printed in the form's colour: sample the left border of the first comb.
    first = combs[0].rect
    px = image.getpixel((first.x, first.y + first.h // 2))
    assert px == layout.rule_color


@pytest.mark.parametrize("code", CODES)
def test_boxes_drawn(code: str) -> None:
    ink = (np.asarray(_blank(code)) < INK_THRESHOLD).any(axis=2)
    for f in get_layout(code).fields:
        r = f.rect
        if f.kind == FieldKind.CHOICE:
            continue
        assert ink[r.y - 1 : r.y + 2, r.x : r.right].any(axis=0).mean() > 0.9, f.key
        assert ink[r.y : r.bottom, r.x - 1 : r.x + 2].any(axis=1).mean() > 0.9, f.key
        if f.cells == 0:
            # A writing box is blank inside.
            assert not ink[r.y + 4 : r.bottom - 4, r.x + 4 : r.right - 4].any(), f.key


@pytest.mark.parametrize("code", CODES)
def test_registration_marks_are_black(code: str) -> None:
    image = _blank(code)
    w, h = image.size
    for x, y in ((100, 100), (w - 100, 100), (100, h - 100), (w - 100, h - 100)):
        assert image.getpixel((x, y)) == BLACK


@pytest.mark.parametrize("change", ["shift_x", "shift_y", "cells"])
def test_comb_check_fails_for_a_misplaced_field(change: str) -> None:
    image = _blank("furusato-onestop")
    spec = get_layout("furusato-onestop").field("mynumber")
    moved = {
        "shift_x": dataclasses.replace(spec, rect=Rect(spec.rect.x + 20, *dataclasses.astuple(
            spec.rect)[1:])),
        "shift_y": dataclasses.replace(spec, rect=Rect(spec.rect.x, spec.rect.y + 12,
                                                       spec.rect.w, spec.rect.h)),
        "cells": dataclasses.replace(spec, cells=11),
    }[change]  # fmt: skip
    assert_comb_on_borders(image, spec.to_dict())
    with pytest.raises(AssertionError, match="mynumber"):
        assert_comb_on_borders(image, moved.to_dict())


def test_comb_check_fails_on_a_shifted_black_comb() -> None:
    image = _blank("kyuyo-shiharai")
    d = get_layout("kyuyo-shiharai").field("payment_amount").to_dict()
    assert_comb_on_borders(image, d)
    with pytest.raises(AssertionError):
        assert_comb_on_borders(image, {**d, "x": d["x"] - 25})


def test_overlay_marks_every_field() -> None:
    layout = get_layout("hoiku-nintei")
    fields: list[dict[str, Any]] = [f.to_dict() for f in layout.fields]
    overlaid = np.asarray(draw_field_overlay(_blank("hoiku-nintei"), fields))
    blank = np.asarray(_blank("hoiku-nintei"))
    assert overlaid.shape == blank.shape
    for f in fields:
        inside = (slice(f["y"] + 6, f["y"] + f["h"] - 6), slice(f["x"] + 6, f["x"] + f["w"] - 6))
        assert (overlaid[inside] != blank[inside]).any(), f["key"]


def test_render_pdf(tmp_path: Any) -> None:
    path = render_pdf(get_layout("kakutei-shinkoku"), tmp_path / "blank.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000


def test_fieldspec_cells_match_renderer_formula() -> None:
    spec = FieldSpec("x", "x", FieldKind.DIGITS, Rect(100, 100, 355, 95), cells=6)
    assert [c.x for c in spec.cell_rects()] + [spec.rect.right] == _comb_edges(100, 355, 6)
