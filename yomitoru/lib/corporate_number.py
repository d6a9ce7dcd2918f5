"""The corporate number (法人番号): 13 ASCII digits whose FIRST digit is a check digit.

Check digit = 9 - (sum of Pn * Qn mod 9), where Pn is the n-th of the 12 base digits counted
from the right (n = 1 is the last digit) and Qn is 1 for odd n and 2 for even n.
Example: 7000012050002 (a published government number) is valid.

Corporate numbers are public, so unlike the My Number they are not masked.
"""

from __future__ import annotations

import random
import re
import unicodedata

LENGTH = 13

_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")
_HYPHENS = frozenset("-‐‑‒–—―−ー")


def normalize(value: str) -> str:
    """NFKC, then drop every whitespace and hyphen-like character. Does not validate."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if not ch.isspace() and ch not in _HYPHENS)


def check_digit(base12: str) -> int:
    """The check digit for the 12 ASCII base digits. Raises ValueError on anything else."""
    if not _TWELVE_DIGITS.fullmatch(base12):
        raise ValueError("base must be 12 ASCII digits")
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def has_valid_format(value: str) -> bool:
    """13 ASCII digits after NFKC (full-width digits are accepted, separators are not)."""
    return _THIRTEEN_DIGITS.fullmatch(unicodedata.normalize("NFKC", value)) is not None


def is_valid(value: str) -> bool:
    """13 digits after NFKC whose first digit is the check digit of the other 12."""
    if not has_valid_format(value):
        return False
    digits = unicodedata.normalize("NFKC", value)
    return check_digit(digits[1:]) == int(digits[0])


def synthetic(rng: random.Random) -> str:
    """A random valid corporate number (12 random base digits, check digit in front)."""
    base = "".join(rng.choice("0123456789") for _ in range(LENGTH - 1))
    return str(check_digit(base)) + base
