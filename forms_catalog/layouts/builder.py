"""A small vocabulary for describing a form as rows of table cells.

A form is a column of rows, optionally grouped into sections with a title band on the left.
Each row is a sequence of cells (see ``cells``) placed left to right; the last cell stretches
to the right margin. The builder only computes coordinates: the result is a plain
``FormLayout``. Layout modules import the cell constructors from here too.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from forms_catalog.layouts.base import A4_300DPI, BLACK, Box, FieldSpec, FormLayout, Label, Rect
from forms_catalog.layouts.cells import (
    BAND_W,
    LABEL_SIZE,
    MARGIN,
    MARK,
    MARK_INSET,
    SMALL,
    Cell,
    amount,
    caption,
    checks,
    choice,
    comb,
    head,
    kana,
    mynumber,
    text,
    tint,
    wareki,
)

__all__ = [
    "FormBuilder",
    "amount",
    "caption",
    "checks",
    "choice",
    "comb",
    "head",
    "kana",
    "mynumber",
    "text",
    "wareki",
]


@dataclass
class FormBuilder:
    code: str
    name: str
    department: str
    retention_years: int
    rule_color: tuple[int, int, int] = BLACK
    width: int = A4_300DPI[0]
    height: int = A4_300DPI[1]
    fields: list[FieldSpec] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    row_pad: int = 0  # extra height for every row, to spread a short form over the page
    y: int = MARGIN
    _indent: int = 0

    @property
    def x0(self) -> int:
        return MARGIN

    @property
    def x1(self) -> int:
        return self.width - MARGIN

    @property
    def head_fill(self) -> tuple[int, int, int]:
        return tint(self.rule_color)

    def label(
        self, x: int, y: int, text: str, size: int = LABEL_SIZE, *, anchor: str = "la",
        bold: bool = False,
    ) -> None:  # fmt: skip
        self.labels.append(Label(x, y, text, size, anchor=anchor, bold=bold))

    def gap(self, px: int) -> None:
        self.y += px

    def title(self, text: str, subtitle: str = "", form_no: str = "") -> None:
        if form_no:
            self.label(self.x0, self.y, form_no, SMALL)
        self.label(self.width // 2, self.y + 70, text, 60, anchor="mm", bold=True)
        self.y += 120
        if subtitle:
            self.label(self.width // 2, self.y + 10, subtitle, 30, anchor="mm")
            self.y += 50
        self.y += 20

    def note(self, text: str, size: int = SMALL, indent: int = 0) -> None:
        self.label(self.x0 + indent, self.y, text, size)
        self.y += int(size * 1.5)

    def row(self, *cells: Cell, height: int | None = None) -> None:
        h = height or max(c.height for c in cells) + self.row_pad
        x = self.x0 + self._indent
        fixed = sum(c.width or 0 for c in cells)
        stretch = [c for c in cells if c.width is None]
        spare = self.x1 - x - fixed
        if spare < 0 or (stretch and spare < 120):
            raise ValueError(f"{self.code}: row at y={self.y} is {-spare}px too wide")
        for i, cell in enumerate(cells):
            last = i == len(cells) - 1
            w = cell.width if cell.width is not None else spare // len(stretch)
            if last:
                w = self.x1 - x
            r = Rect(x, self.y, w, h)
            cell.emit(self, r)
            if x > self.x0 + self._indent:
                self.boxes.append(Box(Rect(x, self.y, 0, h), line=2))
            x += w
        self.boxes.append(
            Box(Rect(self.x0 + self._indent, self.y, self.x1 - self.x0 - self._indent, h), line=2)
        )
        self.y += h

    @contextmanager
    def section(self, title: str, gap: int = 36) -> Iterator[None]:
        y0 = self.y
        self._indent = BAND_W
        try:
            yield
        finally:
            self._indent = 0
        band = Rect(self.x0, y0, BAND_W, self.y - y0)
        self.boxes.append(Box(band, line=0, fill=self.head_fill))
        self._vertical_text(band, title)
        self.boxes.append(Box(Rect(self.x0 + BAND_W, y0, 0, band.h), line=3))
        self.boxes.append(Box(Rect(self.x0, y0, self.x1 - self.x0, band.h), line=5))
        self.y += gap

    def _vertical_text(self, band: Rect, text: str) -> None:
        n = len(text)
        size = 34
        columns = 1
        while math.ceil(n / columns) * size * 1.15 > band.h - 20:
            if columns == 1 and size > 28:
                size -= 2
            elif columns == 1:
                columns, size = 2, 30
            else:
                size -= 2
        per_col = math.ceil(n / columns)
        step = int(size * 1.15)
        col_step = size + 4
        for i, ch in enumerate(text):
            c, k = divmod(i, per_col)
            # Columns run right to left, as vertical Japanese does.
            cx = band.x + band.w // 2 + int(((columns - 1) / 2 - c) * col_step)
            cy = band.y + band.h // 2 - step * (per_col - 1) // 2 + k * step
            self.label(cx, cy, ch, size, anchor="mm")

    def office_box(self, titles: Sequence[str], height: int = 220) -> None:
        """The 'for office use' stamp boxes, at the bottom right margin (printed, not read)."""
        if self.y > self.height - MARGIN - height:
            raise ValueError(f"{self.code}: no room for the office-use boxes at y={self.y}")
        self.y = self.height - MARGIN - height
        w = 230
        x = self.x1 - w * len(titles)
        self.label(x - 16, self.y + 24, "※市区町村使用欄", SMALL, anchor="ra")
        for i, t in enumerate(titles):
            r = Rect(x + i * w, self.y, w, 50)
            self.boxes.append(Box(r, line=0, fill=self.head_fill))
            self.label(r.x + w // 2, r.y + 25, t, SMALL, anchor="mm")
            self.boxes.append(Box(Rect(r.x, r.y, w, height), line=2))
        self.boxes.append(Box(Rect(x, self.y + 50, w * len(titles), 0), line=2))
        self.y += height

    def _marks(self) -> None:
        """Black registration marks and the form-code strip, for feature-based alignment."""
        black = BLACK
        w, h, m, s = self.width, self.height, MARK_INSET, MARK
        for x, y in ((m, m), (w - m - s, m), (m, h - m - s), (w - m - s, h - m - s)):
            self.boxes.append(Box(Rect(x, y, s, s), line=0, fill=black, color=black))
        # Corner brackets of different orientation make each corner distinct.
        arm, t = 120, 8
        self.boxes.append(Box(Rect(m + s + 16, m, arm, t), line=0, fill=black, color=black))
        self.boxes.append(Box(Rect(m, h - m - s - 16 - arm, t, arm), line=0, fill=black))
        # A short bar code derived from the code: distinctive, not a repetitive texture.
        digest = hashlib.sha256(self.code.encode()).digest()
        x = w - m - s - 30
        for byte in digest[:14]:
            bw = 4 + byte % 4 * 3
            x -= bw + 6 + (byte >> 4) % 3 * 3
            self.boxes.append(Box(Rect(x, m + 4, bw, 34), line=0, fill=black, color=black))
        self.label(w - m - s - 30, m + 44, self.code, 24, anchor="ra")

    def build(self, pages: int = 1, version: int = 1) -> FormLayout:
        if self.y > self.height - MARGIN:
            raise ValueError(f"{self.code}: content ends at y={self.y}, below the bottom margin")
        self._marks()
        return FormLayout(
            code=self.code,
            name=self.name,
            department=self.department,
            retention_years=self.retention_years,
            fields=tuple(self.fields),
            labels=tuple(self.labels),
            boxes=tuple(self.boxes),
            rule_color=self.rule_color,
            width=self.width,
            height=self.height,
            pages=pages,
            version=version,
        )
