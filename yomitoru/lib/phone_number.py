"""Japanese telephone numbers: which digit strings can be a number dialled in Japan.

The numbering plan (電気通信番号計画, 総務省) fixes a number's total length by its leading
digits; the area code's own length (0A to 0ABCDE) varies, but the total does not:

- 0A0 (a zero in third place) is the non-geographic block: 020 (M2M / pager), 050 (IP
  phone), 070 / 080 / 090 (mobile and PHS) and 0800 (free dial) have 11 digits; 010 is the
  international prefix and 030 / 040 / 060 are not in service;
- every other 0AB (A and B not 0) is 10 digits: fixed lines (固定電話, 0AB~J: 03-XXXX-XXXX,
  0466-XX-XXXX; no 市内局番 starts with 0, so no fixed number has a 0 in third place),
  free dial 0120 and navi-dial 0570;
- 00 starts a carrier prefix, never a number one writes on a form.

The structure of a fixed number beyond its length (which area codes exist) is not checked:
that needs the full table.
"""

from __future__ import annotations

import re

ELEVEN_DIGIT_PREFIXES = ("020", "050", "070", "080", "090")  # 0800 is within 080

_DIGITS = re.compile(r"[0-9]+")


def expected_length(number: str) -> int | None:
    """The length a number starting with these digits must have; None if none can start so.

    Needs the first three digits to decide.
    """
    if len(number) < 3 or not number.startswith("0") or number[1] == "0":
        return None
    if number[2] == "0":
        return 11 if number[:3] in ELEVEN_DIGIT_PREFIXES else None
    return 10


def is_valid(number: str) -> bool:
    """True when ``number`` (ASCII digits only) can be a Japanese telephone number."""
    if not _DIGITS.fullmatch(number):
        return False
    return expected_length(number) == len(number)
