"""Free text that may carry a My Number: one normaliser, one detector, one redaction.

Whatever a person types or uploads that can reach the audit log, a list or a log file
(reveal reasons, file names, user names) passes through here. A My Number hides in such text
in many shapes: ``0069－6736－2709``, ``0069.6736.2709``, full-width digits, double spaces,
inside a longer run of digits, in kanji numerals, with the IME's ー for a hyphen.

The detector reads the text as a person would. Each character is normalised on its own (NFKC:
full-width, mathematical, superscript and circled digits become ASCII; ㎜ becomes the letters
"mm", ︙ three dots) and what that gives is read character by character: the decimal digits of
any script and the kanji numerals 〇一二…九 are digits; spaces, punctuation, symbols, control
characters and ー are separators; invisible characters (format characters such as zero-width
spaces, combining marks such as an underline) are read through, neither ending a run nor
counting towards the gap; anything else (a letter) ends a run. Digits with at most MAX_GAP
separators between them form one run, and a run is a number when any 12 consecutive digits of
it are a valid My Number or any 13 are a valid corporate number. The whole run is then
redacted. Reading the NFKC form gives the same answer on a text and on its NFKC form, which is
what Django stores of some fields (user names).

Positions are kept in the original text, so only the run is replaced and the rest of the text
stays as typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from yomitoru.lib import corporate_number, mynumber

REDACTED = "［番号削除］"
# Separator characters allowed between two digits of one run (a person writes "0069 - 6736").
MAX_GAP = 3
_SEPARATOR_CATEGORIES = ("Z", "P", "S", "Cc")
# Not seen, or drawn on the character before: never a gap a reader would notice.
_INVISIBLE_CATEGORIES = ("Cf", "Mn", "Me")
# The katakana prolonged sound mark (and its half-width form) is what a Japanese input method
# types for "-": letters by category, separators here.
_EXTRA_SEPARATORS = frozenset("ーｰ")
# A colon ends a run: nobody writes a number with colons, and clock times (12:34:56) next to a
# date would otherwise join into a long run that may hold a valid check digit by chance.
_BREAKERS = frozenset(":")
_KANJI_DIGITS = {kanji: str(value) for value, kanji in enumerate("〇一二三四五六七八九")}


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _digit(part: str) -> str | None:
    """The ASCII digit a normalised character stands for, if any."""
    if part in _KANJI_DIGITS:
        return _KANJI_DIGITS[part]
    value = unicodedata.decimal(part, None)
    return None if value is None else str(value)


def _separates(part: str) -> bool:
    if part in _BREAKERS:
        return False
    return part in _EXTRA_SEPARATORS or unicodedata.category(part).startswith(_SEPARATOR_CATEGORIES)


def _is_invisible(part: str) -> bool:
    return unicodedata.category(part) in _INVISIBLE_CATEGORIES


def _parts(text: str) -> Iterator[tuple[int, str]]:
    """The text's NFKC form, character by character, each with its position in ``text``.

    Read this way the detector gives the same answer on a text and on its NFKC form (what
    Django's user name field stores): ㎜ is read "mm", letters; ︙ is read "...", three
    separators; ⑩ is read "10", two digits.
    """
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKC", char):
            yield index, part


def _runs(text: str) -> list[list[tuple[str, int]]]:
    """Runs of digits (with their positions) that separators alone keep apart."""
    runs: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    gap = 0
    for index, part in _parts(text):
        digit = _digit(part)
        if digit is not None:
            if current and gap > MAX_GAP:
                runs.append(current)
                current = []
            current.append((digit, index))
            gap = 0
        elif current and _is_invisible(part):
            continue
        elif current and _separates(part):
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
