"""Text written into CSV files that people open in a spreadsheet.

Excel, LibreOffice and others run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula: an OCR reading, a correction, a user name
or a reason could then fetch a URL or run a command on the reader's machine. Such a cell is
written with a leading apostrophe, which spreadsheets take as "this is text".
"""

from __future__ import annotations

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text``, quoted with an apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text
