"""Free text that may carry a My Number: one normaliser, one detector, one redaction.

Whatever a person types or uploads that can reach the audit log, a list or a log file
(reveal reasons, file names, user names) passes through here. A My Number hides in such text
in many shapes: ``0069－6736－2709``, ``0069.6736.2709``, full-width digits, double spaces,
inside a longer run of digits. The detector reads the text as a person would: each character
is normalised on its own (NFKC, so full-width digits become ASCII), digits separated by at most
a few separator characters (any space, dash, dot, slash, underscore, comma or other punctuation
or symbol) form one run, and a run is a number when any 12 consecutive digits of it are a valid
My Number or any 13 are a valid corporate number. The whole run is then redacted.

Positions are kept in the original text, so only the run is replaced and the rest of the text
stays as typed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from yomitoru.lib import corporate_number, mynumber

REDACTED = "［番号削除］"
# Separator characters allowed between two digits of one run (a person writes "0069 - 6736").
MAX_GAP = 3
_SEPARATOR_CATEGORIES = ("Z", "P", "S", "Cc", "Cf")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _digit(char: str) -> str | None:
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 and "0" <= normal <= "9" else None


def _is_separator(char: str) -> bool:
    return unicodedata.category(char).startswith(_SEPARATOR_CATEGORIES)


def _runs(text: str) -> list[list[tuple[str, int]]]:
    """Runs of digits (with their positions) that separators alone keep apart."""
    runs: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    gap = 0
    for index, char in enumerate(text):
        digit = _digit(char)
        if digit is not None:
            if current and gap > MAX_GAP:
                runs.append(current)
                current = []
            current.append((digit, index))
            gap = 0
        elif current and _is_separator(char):
            gap += 1
        elif current:
            runs.append(current)
            current, gap = [], 0
    if current:
        runs.append(current)
    return runs


def _holds_a_number(digits: str) -> bool:
    for start in range(len(digits) - mynumber.LENGTH + 1):
        if mynumber.is_valid(digits[start : start + mynumber.LENGTH]):
            return True
    for start in range(len(digits) - corporate_number.LENGTH + 1):
        if corporate_number.is_valid(digits[start : start + corporate_number.LENGTH]):
            return True
    return False


def number_spans(text: str, *, check_digits: bool = True) -> list[Span]:
    """Where the text holds a My Number or a corporate number.

    With ``check_digits=False`` every run of 12 or more digits counts (for logs, where a
    mistyped number must not slip through either).
    """
    spans = []
    for run in _runs(text):
        digits = "".join(digit for digit, _ in run)
        if len(digits) < mynumber.LENGTH:
            continue
        if check_digits and not _holds_a_number(digits):
            continue
        spans.append(Span(run[0][1], run[-1][1] + 1))
    return spans


def contains_number(text: str) -> bool:
    return bool(number_spans(text))


def redact(text: str, *, check_digits: bool = True, marker: str = REDACTED) -> str:
    """The text with every run holding a number replaced by ``marker``."""
    out, last = [], 0
    for span in number_spans(text, check_digits=check_digits):
        out.append(text[last : span.start])
        out.append(marker)
        last = span.end
    out.append(text[last:])
    return "".join(out)
