"""The bytes of an export file: CSV as core systems and RPA tools read it.

CRLF line ends, fields quoted where CSV needs it, every cell made safe for spreadsheets (a
leading ``=``, ``+``, ``-`` or ``@`` is not run as a formula), and one of two encodings:
UTF-8 with a BOM (Excel opens it as UTF-8) or CP932 (Shift_JIS as Windows writes it, what most
core systems import). A character CP932 cannot hold (𠮷, 鷗, 剝, the era sign ㋿, …) is never
replaced by ``?``: the file is refused and every such cell is reported by document and column,
so a clerk corrects the value or the mapping says what to write instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from yomitoru.lib.csvsafe import spreadsheet_safe

UTF8_BOM = "utf-8-sig"
CP932 = "cp932"
ENCODINGS = (UTF8_BOM, CP932)


@dataclass(frozen=True)
class Unencodable:
    """One cell CP932 cannot hold: where it is and which characters (as U+XXXX)."""

    document_id: int
    column: str
    characters: tuple[str, ...]


class EncodingRefused(Exception):
    """The file cannot be written in the encoding: ``problems`` says where and why."""

    def __init__(self, encoding: str, problems: list[Unencodable]) -> None:
        self.encoding = encoding
        self.problems = problems
        super().__init__(f"{len(problems)} cells cannot be written in {encoding}")


def _unencodable(text: str, encoding: str) -> tuple[str, ...]:
    bad = []
    for character in dict.fromkeys(text):
        try:
            character.encode(encoding)
        except UnicodeEncodeError:
            bad.append(f"U+{ord(character):04X}")
    return tuple(bad)


def write_csv(header: list[str], rows: Iterable[tuple[int, list[str]]], *, encoding: str) -> bytes:
    """The file's bytes. ``rows`` are (document id, cells); raises EncodingRefused."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([spreadsheet_safe(name) for name in header])
    problems: list[Unencodable] = []
    for document_id, cells in rows:
        safe = [spreadsheet_safe(cell) for cell in cells]
        if encoding == CP932:
            for column, cell in zip(header, safe, strict=True):
                if bad := _unencodable(cell, CP932):
                    problems.append(Unencodable(document_id, column, bad))
        writer.writerow(safe)
    if encoding == CP932:
        for name in header:
            if bad := _unencodable(name, CP932):
                problems.append(Unencodable(0, name, bad))
    if problems:
        raise EncodingRefused(encoding, problems)
    return buffer.getvalue().encode(encoding)
