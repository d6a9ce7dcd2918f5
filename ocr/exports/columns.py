"""The columns of an export for a core system: where each value comes from and how it is
written, as the receiving system (基幹系, an RPA script) wants it.

A column takes its value from a field of the form (by key; the decided value, already in the
field kind's canonical form), from the document or batch number, or is a fixed value; then
its transforms run in order. Every transform is a small pure function of text; the names are
what an export mapping stores. Width and kana conversion use ``jaconv``, not tables of ours.
"""

from __future__ import annotations

import datetime
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jaconv
from django.utils.translation import gettext

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition
from yomitoru.lib import wareki

DOCUMENT_ID = "document_id"
BATCH_ID = "batch_id"
FIXED = "fixed"
# The default columns' headers for the ids: words of the file (the core system's), in Japanese
# like the fields' export names beside them, and not translated (a file does not change with
# the language of the screen).
DOCUMENT_HEADER = "帳票番号"
BATCH_HEADER = "バッチ番号"
# Sources that are not a field of the form.
SOURCES = (DOCUMENT_ID, BATCH_ID, FIXED)

# Hyphens and dashes people and OCR write between digit groups (not the katakana ー).
_HYPHENS = re.compile("[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\ufe63]")
_AMOUNT_SEPARATORS = re.compile(r"[,\s，、円¥￥]")


class ColumnError(ValueError):
    """A value the column cannot write (an unreadable date, say); the message names why."""


@dataclass(frozen=True)
class Column:
    header: str
    source: str  # a field key, DOCUMENT_ID, BATCH_ID or FIXED
    transforms: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    value: str = ""  # the text of a FIXED column
    sensitive: bool = False  # holds a My Number (decided by the mapping from the field)

    def render(self, values: Mapping[str, str], document_id: int, batch_id: int) -> str:
        if self.source == DOCUMENT_ID:
            text = str(document_id)
        elif self.source == BATCH_ID:
            text = str(batch_id)
        elif self.source == FIXED:
            text = self.value
        else:
            text = values.get(self.source, "")
        for name, params in self.transforms:
            text = TRANSFORMS[name](text, **params)
        return text


# --------------------------------------------------------------------------- transforms


def _date_of(text: str) -> datetime.date | None:
    """A decided date in either canonical form: "2025-12-01" or era "R07.12.01"."""
    if not text:
        return None
    try:
        if text[:1].isalpha():
            parsed = wareki.parse(text)
            return wareki.to_gregorian(parsed.era, parsed.year, parsed.month, parsed.day)
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        # Not the reason's text: it may repeat the value (a birthday is personal data too).
        raise ColumnError(gettext("not a date")) from exc


DATE_FORMATS: dict[str, Callable[[datetime.date], str]] = {
    "iso": lambda d: d.isoformat(),  # 2025-12-01
    "yyyymmdd": lambda d: d.strftime("%Y%m%d"),  # 20251201
    "wareki": wareki.from_gregorian,  # R07.12.01
    "wareki_ja": lambda d: wareki.format_ja(wareki.from_gregorian(d)),  # 令和7年12月1日
}


def date(text: str, *, format: str) -> str:
    day = _date_of(text)
    return DATE_FORMATS[format](day) if day else ""


def zero_pad(text: str, *, width: int) -> str:
    return text.zfill(width) if text else ""


def half_width(text: str) -> str:
    """全角 → 半角: letters, digits, punctuation, spaces and katakana (ｶﾀｶﾅ)."""
    return jaconv.z2h(text, kana=True, ascii=True, digit=True)


def full_width(text: str) -> str:
    """半角 → 全角: letters, digits, punctuation, spaces and katakana."""
    return jaconv.h2z(text, kana=True, ascii=True, digit=True)


def katakana(text: str) -> str:
    """Hiragana and half-width katakana as full-width katakana; the rest unchanged."""
    return jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))


def no_hyphens(text: str) -> str:
    return _HYPHENS.sub("", text)


def amount(text: str) -> str:
    """An amount as bare digits: no thousands separators, spaces or yen signs."""
    return _AMOUNT_SEPARATORS.sub("", text)


def checkbox(text: str, *, checked: str = "1", unchecked: str = "0") -> str:
    return checked if text == "1" else unchecked


def choice(text: str, *, codes: Mapping[str, str]) -> str:
    """A choice's value as the receiving system's code; an unknown value is an error."""
    if not text:
        return ""
    if text not in codes:
        raise ColumnError(gettext("no code for this choice in the mapping"))
    return codes[text]


TRANSFORMS: dict[str, Callable[..., str]] = {
    "date": date,
    "zero_pad": zero_pad,
    "half_width": half_width,
    "full_width": full_width,
    "katakana": katakana,
    "no_hyphens": no_hyphens,
    "amount": amount,
    "checkbox": checkbox,
    "choice": choice,
}


def parse_transforms(data: Any) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """The transforms of a stored mapping column, checked: a list of objects such as
    ``{"transform": "date", "format": "wareki"}``; raises ColumnError naming the problem."""
    if not isinstance(data, list):
        raise ColumnError(gettext("The transforms are a list: [ ... ]."))
    parsed = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("transform"), str):
            raise ColumnError(gettext('Each transform is written {"transform": NAME, ...}.'))
        name = item["transform"]
        if name not in TRANSFORMS:
            raise ColumnError(gettext("No transform is called %(name)s.") % {"name": name})
        params = {key: value for key, value in item.items() if key != "transform"}
        signature = inspect.signature(TRANSFORMS[name])
        try:
            signature.bind("", **params)
        except TypeError:
            accepted = [p for p in signature.parameters.values() if p.kind == p.KEYWORD_ONLY]
            raise ColumnError(
                gettext("%(name)s takes the parameters: %(parameters)s.")
                % {"name": name, "parameters": ", ".join(p.name for p in accepted) or "-"}
            ) from None
        _check_params(name, params)
        parsed.append((name, params))
    return tuple(parsed)


def _check_params(name: str, params: Mapping[str, Any]) -> None:
    if name == "date" and params["format"] not in DATE_FORMATS:
        formats = ", ".join(DATE_FORMATS)
        raise ColumnError(gettext("date: the format is one of %(formats)s.") % {"formats": formats})
    if name == "zero_pad" and not (isinstance(params["width"], int) and 0 < params["width"] <= 64):
        raise ColumnError(gettext("zero_pad: the width is a whole number from 1 to 64."))
    if name == "choice" and not (
        isinstance(params["codes"], dict)
        and all(isinstance(v, str) for v in params["codes"].values())
    ):
        raise ColumnError(gettext("choice: the codes give a text for each choice."))
    if name == "checkbox" and not all(isinstance(v, str) for v in params.values()):
        raise ColumnError(gettext("checkbox: checked and unchecked are texts."))


# --------------------------------------------------------------------------- mappings


def default_columns(definitions: Iterable[FieldDefinition]) -> list[Column]:
    """The columns of a form type without a mapping of its own: the document and batch
    numbers, then every field in form order under its export name (or key), as decided."""
    columns = [Column(DOCUMENT_HEADER, DOCUMENT_ID), Column(BATCH_HEADER, BATCH_ID)]
    for definition in definitions:
        transforms: tuple[tuple[str, Mapping[str, Any]], ...] = ()
        if definition.kind == FieldKind.CHECKBOX:
            transforms = (("checkbox", {}),)
        columns.append(
            Column(
                definition.export_column or definition.key,
                definition.key,
                transforms,
                sensitive=definition.sensitive,
            )
        )
    return columns


def column_of(row: Any, sensitive_keys: set[str]) -> Column:
    """The column of a stored mapping row (``ocr.models.ExportColumn``); it is sensitive when
    its source is a sensitive field (a My Number)."""
    return Column(
        row.header,
        row.source,
        parse_transforms(row.transforms),
        row.value,
        sensitive=row.source in sensitive_keys,
    )


@dataclass(frozen=True)
class CellProblem:
    """A value one column could not write, by document and column (no value in it)."""

    document_id: int
    column: str
    reason: str


def render_rows(
    columns: list[Column], documents: Iterable[tuple[int, int, Mapping[str, str]]]
) -> tuple[list[tuple[int, list[str]]], list[CellProblem]]:
    """(document id, cells) per document of (document id, batch id, values by key), and the
    cells that could not be written; a document with a problem is left out of the rows."""
    rows: list[tuple[int, list[str]]] = []
    problems: list[CellProblem] = []
    for document_id, batch_id, values in documents:
        cells = []
        for column in columns:
            try:
                cells.append(column.render(values, document_id, batch_id))
            except ColumnError as error:
                problems.append(CellProblem(document_id, column.header, str(error)))
        if len(cells) == len(columns):
            rows.append((document_id, cells))
    return rows, problems
