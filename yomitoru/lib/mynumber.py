"""The My Number (個人番号): normalisation, check digit, masking and synthetic test numbers.

A My Number is 12 ASCII digits; the last one is a check digit over the first 11
(施行規則 第五条): 11 - (sum of Pn * Qn mod 11), or 0 when that remainder is 0 or 1,
where the weights read left to right over the 11 base digits are 6,5,4,3,2,7,6,5,4,3,2.

Test data convention of this project: every synthetic number starts with "00". Tests,
fixtures, generated forms and the demo data use only such numbers (or the published
example 123456789018), so a number without that prefix in a dataset or a log is a red flag.

Nothing in this module logs, prints or puts a value into an exception message.
"""

from __future__ import annotations

import random
import re
import unicodedata

LENGTH = 12
SYNTHETIC_PREFIX = "00"
MASK = "**** **** ****"

_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")
# Hyphen-like characters left after NFKC (which already maps full-width ones to ASCII).
_HYPHENS = frozenset("-‐‑‒–—―−ー")


def normalize(value: str) -> str:
    """NFKC, then drop every whitespace and hyphen-like character. Does not validate."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if not ch.isspace() and ch not in _HYPHENS)


def check_digit(first11: str) -> int:
    """The check digit for 11 ASCII base digits. Raises ValueError on anything else."""
    if not _ELEVEN_DIGITS.fullmatch(first11):
        raise ValueError("base must be 11 ASCII digits")
    remainder = sum(int(d) * w for d, w in zip(first11, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def has_valid_format(value: str) -> bool:
    """12 ASCII digits after NFKC (full-width digits are accepted, separators are not)."""
    return _TWELVE_DIGITS.fullmatch(unicodedata.normalize("NFKC", value)) is not None


def is_all_zero(value: str) -> bool:
    return unicodedata.normalize("NFKC", value) == "0" * LENGTH


def is_valid(value: str) -> bool:
    """12 digits after NFKC, not all zeros, with a correct check digit."""
    if not has_valid_format(value) or is_all_zero(value):
        return False
    digits = unicodedata.normalize("NFKC", value)
    return check_digit(digits[:11]) == int(digits[11])


def synthetic(rng: random.Random) -> str:
    """A valid number that is obviously test data: "00" + 9 random digits + check digit."""
    while True:
        middle = "".join(rng.choice("0123456789") for _ in range(LENGTH - 3))
        if middle.strip("0"):
            break
    base = SYNTHETIC_PREFIX + middle
    return base + str(check_digit(base))


def is_synthetic(value: str) -> bool:
    """A valid number carrying this project's test-data prefix."""
    return is_valid(value) and unicodedata.normalize("NFKC", value).startswith(SYNTHETIC_PREFIX)


def mask(value: str) -> str:
    """Always the same mask, with no digit at all: not even the length or the last digits leak."""
    del value
    return MASK
