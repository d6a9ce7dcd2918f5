"""The geometry of a standard form, shared by the renderer and the field definitions.

A layout is plain data: the renderer draws exactly these shapes, and the catalog turns the
same ``FieldSpec`` objects into ``FieldDefinition`` rows, so what is drawn and what is read
can never drift apart. All coordinates are pixels at the layout's ``dpi`` (300 for the
standard forms), origin top-left, on page ``page`` (1-based).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forms_catalog.kinds import FieldKind

A4_300DPI = (2480, 3508)

# Rule colours. Dropout red is removed by the scanner or by our own colour filter, so a comb
# printed in it leaves only the handwriting after cleaning.
BLACK = (0, 0, 0)
DROPOUT_RED = (235, 110, 110)


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


@dataclass(frozen=True)
class Option:
    """One printed option inside a field: a word to circle (choice), or an era (wareki_date)."""

    value: str
    label: str
    rect: Rect


@dataclass(frozen=True)
class FieldSpec:
    """One field as drawn on the blank form.

    ``rect`` is the writing area: for comb kinds it is split into ``cells`` equal cells whose
    borders the renderer draws at ``rect.x + round(i * rect.w / cells)``; for a checkbox it is
    the box; for text kinds it is the box the text is written in; for ``choice`` it encloses
    all the options. ``options`` carries the printed words to circle (choice) or the era names
    (wareki_date, placed left of the comb ``rect``).
    """

    key: str
    label: str
    kind: FieldKind
    rect: Rect
    page: int = 1
    cells: int = 0
    sensitive: bool = False
    required: bool = False
    options: tuple[Option, ...] = ()
    export_column: str = ""
    # An address's postal-code field (its key), checked against Japan Post's dictionary.
    postal_code_field: str = ""
    # A date's window: at most this many days after today (None: about a year).
    days_ahead: int | None = None
    # 給与所得控除後の金額: the key of the 支払金額 field it follows from by the national table.
    salary_field: str = ""

    def cell_rects(self) -> list[Rect]:
        """The comb cells, left to right, exactly where the renderer draws them."""
        if self.cells <= 0:
            return []
        r = self.rect
        edges = [r.x + round(i * r.w / self.cells) for i in range(self.cells + 1)]
        return [Rect(edges[i], r.y, edges[i + 1] - edges[i], r.h) for i in range(self.cells)]

    def to_dict(self) -> dict[str, object]:
        """The field in the export JSON shape (also what ``draw_field_overlay`` takes)."""
        r = self.rect
        return {
            "key": self.key,
            "label": self.label,
            "kind": str(self.kind),
            "page": self.page,
            "x": r.x,
            "y": r.y,
            "w": r.w,
            "h": r.h,
            "cells": self.cells,
            "sensitive": self.sensitive,
            "required": self.required,
            "options": [
                {
                    "value": o.value,
                    "label": o.label,
                    "x": o.rect.x,
                    "y": o.rect.y,
                    "w": o.rect.w,
                    "h": o.rect.h,
                }
                for o in self.options
            ],
            "export_column": self.export_column or self.label,
            "postal_code_field": self.postal_code_field,
            "days_ahead": self.days_ahead,
            "salary_field": self.salary_field,
        }


@dataclass(frozen=True)
class Label:
    """Printed text that is not a field: titles, captions, notes."""

    x: int
    y: int
    text: str
    size: int = 36  # font size in pixels
    page: int = 1
    # PIL text anchor of (x, y): "la" = left/ascender (top-left), "mm" = centred, "rm" = right.
    anchor: str = "la"
    bold: bool = False


@dataclass(frozen=True)
class Box:
    """A printed frame or rule (width/height 0 with ``line`` > 0 draws a line)."""

    rect: Rect
    line: int = 3
    page: int = 1
    fill: tuple[int, int, int] | None = None
    # Line colour; None = the layout's ``rule_color``. Registration marks are always black.
    color: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class FormLayout:
    code: str
    name: str
    department: str
    retention_years: int
    fields: tuple[FieldSpec, ...]
    labels: tuple[Label, ...] = ()
    boxes: tuple[Box, ...] = ()
    rule_color: tuple[int, int, int] = BLACK
    dpi: int = 300
    width: int = A4_300DPI[0]
    height: int = A4_300DPI[1]
    pages: int = 1
    version: int = 1
    extra: dict[str, object] = field(default_factory=dict)

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)
