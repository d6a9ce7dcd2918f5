"""The cells a form row is made of: the vocabulary the layout modules use.

A form is a column of rows, optionally grouped into sections with a title band on the left.
Each row is a sequence of cells placed left to right; the last cell without a fixed width
stretches to the right margin. Cells are either printed (``head``, ``caption``) or fields
(``text``, ``comb``, ``amount``, ``wareki``, ``choice``, ``checks``). The builder only computes
coordinates: the result is a plain ``FormLayout``.

Text widths are estimated (a CJK glyph is one em wide, Latin about half) so that building a
layout does not need a font installed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import Box, FieldSpec, Option, Rect

if TYPE_CHECKING:
    from forms_catalog.layouts.builder import FormBuilder

MARGIN = 150
CELL_W = 59  # ~5 mm
CELL_H = 95  # ~8 mm
PAD = 22  # inner padding of a table cell around a field
TEXT_H = 120
KANA_H = 100
HEAD_W = 300
BAND_W = 80
LABEL_SIZE = 34
SMALL = 26
MARK = 56  # registration mark side
MARK_INSET = 78

ERAS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}


def text_width(text: str, size: int) -> int:
    """Estimated rendered width of ``text`` at ``size`` px (full-width = 1 em)."""
    return math.ceil(sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text))


def tint(color: tuple[int, int, int], amount: float = 0.1) -> tuple[int, int, int]:
    """A pale version of ``color`` for cell backgrounds."""
    r, g, b = (255 - round(amount * (255 - c)) for c in color)
    return (r, g, b)


@dataclass
class Cell:
    """One table cell of a row. ``width`` None = stretch to the right margin."""

    width: int | None
    height: int

    def emit(self, b: FormBuilder, r: Rect) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class Head(Cell):
    text: str = ""
    size: int = LABEL_SIZE

    def emit(self, b: FormBuilder, r: Rect) -> None:
        b.boxes.append(Box(r, line=0, fill=b.head_fill))
        lines = self.text.split("\n")
        widest = max(text_width(line, self.size) for line in lines)
        size = min(self.size, int(self.size * (r.w - 24) / max(widest, 1)))
        step = int(size * 1.25)
        y0 = r.y + r.h // 2 - step * (len(lines) - 1) // 2
        for i, line in enumerate(lines):
            b.label(r.x + r.w // 2, y0 + i * step, line, size, anchor="mm")


@dataclass
class Caption(Cell):
    text: str = ""
    size: int = LABEL_SIZE

    def emit(self, b: FormBuilder, r: Rect) -> None:
        b.label(r.x + PAD, r.y + r.h // 2, self.text, self.size, anchor="lm")


@dataclass
class FieldCell(Cell):
    key: str = ""
    label: str = ""
    kind: FieldKind = FieldKind.TEXT_JA
    required: bool = False
    sensitive: bool = False
    export_column: str = ""
    postal_code_field: str = ""
    days_ahead: int | None = None
    salary_field: str = ""

    def spec(self, rect: Rect, **kw: object) -> FieldSpec:
        return FieldSpec(
            key=self.key,
            label=self.label,
            kind=self.kind,
            rect=rect,
            required=self.required,
            sensitive=self.sensitive,
            export_column=self.export_column or self.label,
            postal_code_field=self.postal_code_field,
            days_ahead=self.days_ahead,
            salary_field=self.salary_field,
            **kw,  # type: ignore[arg-type]
        )


@dataclass
class TextCell(FieldCell):
    """The table cell itself is the writing box."""

    def emit(self, b: FormBuilder, r: Rect) -> None:
        b.fields.append(self.spec(r))


@dataclass
class CombCell(FieldCell):
    cells: int = 0
    prefix: str = ""
    suffix: str = ""

    def emit(self, b: FormBuilder, r: Rect) -> None:
        x = r.x + PAD
        cy = r.y + r.h // 2
        if self.prefix:
            b.label(x, cy, self.prefix, LABEL_SIZE, anchor="lm")
            x += text_width(self.prefix, LABEL_SIZE) + 10
        comb = Rect(x, cy - CELL_H // 2, self.cells * CELL_W, CELL_H)
        b.fields.append(self.spec(comb, cells=self.cells))
        if self.suffix:
            b.label(comb.right + 10, comb.bottom - 4, self.suffix, LABEL_SIZE, anchor="ld")


@dataclass
class WarekiCell(FieldCell):
    eras: tuple[str, ...] = ("R",)

    def emit(self, b: FormBuilder, r: Rect) -> None:
        rows = 1 if len(self.eras) == 1 else 2
        cols = math.ceil(len(self.eras) / rows)
        ow, oh = 80, 46
        comb_y = r.y + (r.h - CELL_H - 36) // 2
        oy0 = comb_y + (CELL_H - rows * oh) // 2
        options = []
        for i, era in enumerate(self.eras):
            ox = r.x + PAD + (i % cols) * ow
            options.append(Option(era, ERAS[era], Rect(ox, oy0 + (i // cols) * oh, ow, oh)))
        comb = Rect(r.x + PAD + cols * ow + 14, comb_y, 6 * CELL_W, CELL_H)
        b.fields.append(self.spec(comb, cells=6, options=tuple(options)))
        for i, unit in enumerate("年月日"):
            b.label(comb.x + (2 * i + 1) * CELL_W, comb.bottom + 8, unit, SMALL, anchor="ma")


@dataclass
class ChoiceCell(FieldCell):
    options: tuple[str, ...] = ()
    note: str = ""

    def emit(self, b: FormBuilder, r: Rect) -> None:
        size, oh, sep = 38, 64, 44
        x = r.x + PAD
        y = r.y + (r.h - oh) // 2
        opts = []
        for i, word in enumerate(self.options):
            if i:
                b.label(x + sep // 2, y + oh // 2, "・", size, anchor="mm")
                x += sep
            ow = text_width(word, size) + 28
            opts.append(Option(word, word, Rect(x, y, ow, oh)))
            x += ow
        b.fields.append(self.spec(Rect(r.x + PAD, y, x - r.x - PAD, oh), options=tuple(opts)))
        if self.note:
            b.label(x + 30, r.y + r.h // 2, self.note, SMALL, anchor="lm")


@dataclass
class ChecksCell(Cell):
    """Checkboxes in a grid inside one cell, each with its caption on the right."""

    items: Sequence[tuple[str, str, str]] = ()  # (key, field label, printed caption)
    cols: int = 1
    size: int = 32
    required: bool = False

    def emit(self, b: FormBuilder, r: Rect) -> None:
        box, row_h = 46, 72
        rows = math.ceil(len(self.items) / self.cols)
        col_w = (r.w - PAD) // self.cols
        y0 = r.y + (r.h - rows * row_h) // 2
        for i, (key, label, caption) in enumerate(self.items):
            x = r.x + PAD + (i % self.cols) * col_w
            y = y0 + (i // self.cols) * row_h + (row_h - box) // 2
            b.fields.append(
                FieldSpec(
                    key=key,
                    label=label,
                    kind=FieldKind.CHECKBOX,
                    rect=Rect(x, y, box, box),
                    required=self.required,
                    export_column=label,
                )
            )
            b.label(x + box + 16, y + box // 2, caption, self.size, anchor="lm")


# --- cell constructors: the vocabulary the layout modules use -------------------------------


def head(text: str, width: int = HEAD_W, size: int = LABEL_SIZE) -> Head:
    return Head(width, 0, text=text, size=size)


def caption(text: str, width: int | None = None, size: int = LABEL_SIZE) -> Caption:
    return Caption(width or text_width(text, size) + 2 * PAD, 0, text=text, size=size)


def text(
    key: str, label: str, width: int | None = None, *, kind: FieldKind = FieldKind.TEXT_JA,
    required: bool = False, height: int | None = None, postal_code_field: str = "",
) -> TextCell:  # fmt: skip
    h = height or (KANA_H if kind == FieldKind.KATAKANA else TEXT_H)
    return TextCell(
        width, h, key=key, label=label, kind=kind, required=required,
        postal_code_field=postal_code_field,
    )  # fmt: skip


def kana(key: str, label: str, width: int | None = None, required: bool = False) -> TextCell:
    return text(key, label, width, kind=FieldKind.KATAKANA, required=required)


_COMB_CELLS = {
    FieldKind.MYNUMBER: 12,
    FieldKind.CORPORATE_NUMBER: 13,
    FieldKind.POSTAL_CODE: 7,
    FieldKind.PHONE: 11,
}


def comb(
    key: str, label: str, kind: FieldKind, cells: int | None = None, *,
    prefix: str = "", suffix: str = "", required: bool = False,
) -> CombCell:  # fmt: skip
    n = cells or _COMB_CELLS[kind]
    width = 2 * PAD + n * CELL_W
    width += text_width(prefix, LABEL_SIZE) + 10 if prefix else 0
    width += text_width(suffix, LABEL_SIZE) + 10 if suffix else 0
    return CombCell(
        width, CELL_H + 2 * PAD, key=key, label=label, kind=kind, cells=n, prefix=prefix,
        suffix=suffix, required=required, sensitive=kind == FieldKind.MYNUMBER,
    )  # fmt: skip


def mynumber(key: str, label: str, required: bool = False) -> CombCell:
    return comb(key, label, FieldKind.MYNUMBER, required=required)


def amount(
    key: str, label: str, cells: int = 10, required: bool = False, *, salary_field: str = ""
) -> CombCell:
    """An amount; ``salary_field`` makes it the 給与所得控除後の金額 of that 支払金額 field."""
    cell = comb(key, label, FieldKind.AMOUNT, cells, suffix="円", required=required)
    cell.salary_field = salary_field
    return cell


def wareki(
    key: str, label: str, eras: Sequence[str] = ("R",), required: bool = False, *,
    days_ahead: int | None = None,
) -> WarekiCell:  # fmt: skip
    """An era date; ``days_ahead`` widens its window (default: about a year from today)."""
    rows = 1 if len(eras) == 1 else 2
    width = 2 * PAD + math.ceil(len(eras) / rows) * 80 + 14 + 6 * CELL_W
    return WarekiCell(
        width, CELL_H + 36 + 2 * PAD, key=key, label=label, kind=FieldKind.WAREKI_DATE,
        eras=tuple(eras), required=required, days_ahead=days_ahead,
    )  # fmt: skip


def choice(
    key: str, label: str, options: Sequence[str], note: str = "", width: int | None = None
) -> ChoiceCell:
    natural = 2 * PAD + sum(text_width(o, 38) + 28 for o in options) + 44 * (len(options) - 1)
    natural += text_width(note, SMALL) + 30 if note else 0
    return ChoiceCell(
        width or natural, 100, key=key, label=label, kind=FieldKind.CHOICE,
        options=tuple(options), note=note,
    )  # fmt: skip


def checks(
    items: Sequence[tuple[str, str, str]], cols: int = 1, width: int | None = None,
    size: int = 32,
) -> ChecksCell:  # fmt: skip
    rows = math.ceil(len(items) / cols)
    return ChecksCell(width, rows * 72 + 2 * PAD - 10, items=items, cols=cols, size=size)
