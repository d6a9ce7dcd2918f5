"""The address check: does a read address begin with an area of its read postal code?

Japan Post's dictionary (``PostalArea``, loaded by ``load_postal_codes``) lists, for each
postal code, the areas it serves: prefecture, city (市区町村) and town (町域). An address
written on a form begins with one of them, so the dictionary can both correct the part the
OCR got wrong and catch a postal code or address that cannot be right:

- **match**: the read address begins, give or take a few OCR errors, with the prefecture, city
  and town of a candidate (or with city and town, when the writer left out the prefecture).
  That beginning is replaced by the dictionary's spelling, and the confidence rises (below).
- **mismatch**: the code has areas, but the address begins with none of them: both fields
  are flagged ``postal_address_mismatch``; the review screen offers the candidates.
- **unknown_code**: a well-formed code that names no area: both fields are flagged
  ``postal_code_unknown``.
- **skipped**: nothing to compare (no dictionary loaded, an empty address, or a postal code
  that is not 7 digits, which validation has flagged already).

"Give or take": the Levenshtein distance between the candidate's spelling and the address's
beginning (of a length within two characters of it, whichever is closest) is at most one
edit in five characters, after NFKC and with spaces ignored (Tesseract puts spaces between
Japanese characters) and ヶ/ヵ read as ケ/カ. Of several candidates the closest wins, the
longer (more specific) one on a tie.

Confidence after a match: the calibrated confidence ``c`` of a text field is the probability
that the whole reading is right. Taking characters as equally and independently likely to be
misread, the ``n - m`` characters now fixed by the dictionary no longer count, and the
probability for the ``m`` left is ``c ** (m / n)``. When nothing is left after the area the
confidence stays as it was: an address is more than its area, so the OCR probably lost the
rest, which the dictionary cannot vouch for.

Pure: no database, no logging (an address is personal data). ``ocr.postal_codes`` does the
lookups; ``ocr.reading.judge`` applies the decision.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from yomitoru.lib.edit_distance import levenshtein

MATCH = "match"
MISMATCH = "mismatch"
UNKNOWN_CODE = "unknown_code"
SKIPPED = "skipped"

# Error codes (ocr.pipeline.validate.MESSAGES) set on both the address and its postal code.
ERROR_CODES = {MISMATCH: "postal_address_mismatch", UNKNOWN_CODE: "postal_code_unknown"}

_POSTAL = re.compile(r"[0-9]{7}")
# Small and large ke/ka are written both ways (霞ヶ関, 霞ケ関); spaces carry no meaning.
_SAME = str.maketrans({"ヶ": "ケ", "ヵ": "カ"})
# Length slack when looking for the end of the area in the address, in characters.
_SLACK = 2


@dataclass(frozen=True)
class PostalCandidate:
    """One area a postal code serves, spelt as Japan Post spells it."""

    code: str
    prefecture: str
    city: str
    town: str

    @property
    def area(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}"


@dataclass(frozen=True)
class AddressCheck:
    outcome: str
    address: str
    confidence: float
    candidates: tuple[PostalCandidate, ...] = ()
    matched: PostalCandidate | None = None

    @property
    def error(self) -> str:
        """The error code for both fields ("" on a match or when skipped)."""
        return ERROR_CODES.get(self.outcome, "")


def is_postal_code(value: str) -> bool:
    """A canonical postal code (7 digits): the only kind the dictionary is asked about."""
    return bool(_POSTAL.fullmatch(value))


def allowed_edits(length: int) -> int:
    """OCR errors tolerated in an area name of ``length`` characters: one in five."""
    return length // 5


def check_address(
    postal_code: str,
    address: str,
    confidence: float,
    candidates: tuple[PostalCandidate, ...] | None,
) -> AddressCheck:
    """Judge a read address against the dictionary's areas for its read postal code.

    ``postal_code`` and ``address`` are canonical (``validate.normalize``); ``candidates`` is
    what the dictionary holds for the code, or None when no dictionary is loaded.
    """
    unchanged = AddressCheck(SKIPPED, address, confidence)
    if candidates is None or not address.strip() or not is_postal_code(postal_code):
        return unchanged
    if not candidates:
        return AddressCheck(UNKNOWN_CODE, address, confidence)
    best = _best_match(address, candidates)
    if best is None:
        return AddressCheck(MISMATCH, address, confidence, candidates)
    spelling, end, candidate = best
    rest = address[end:]
    corrected = spelling + rest
    return AddressCheck(
        MATCH, corrected, raised_confidence(confidence, corrected, rest), candidates, candidate
    )


def suggestion(address: str, candidate: PostalCandidate) -> str:
    """The address with its beginning replaced by the candidate's area (the review screen).

    The beginning is the stretch closest to the area, however far: the clerk picked this
    area, so it replaces what the OCR made of it, and the rest is kept for the clerk to check.
    The prefecture is left out only when the address clearly begins with city and town.
    """
    compact, ends = _compact(address)
    spelling = candidate.area
    distance, length = _closest_prefix(_compact(spelling)[0], compact)
    local = f"{candidate.city}{candidate.town}"
    local_distance, local_length = _closest_prefix(_compact(local)[0], compact)
    if local_distance < distance and local_distance <= allowed_edits(len(_compact(local)[0])):
        spelling, length = local, local_length
    return spelling + address[ends[length - 1] if length else 0 :]


def raised_confidence(confidence: float, corrected: str, rest: str) -> float:
    """``c ** (m / n)``: only the ``m`` characters after the area can still be misread."""
    left, total = _length(rest), _length(corrected)
    if left == 0 or total == 0:
        return confidence
    return float(confidence ** (left / total))


def _best_match(
    address: str, candidates: tuple[PostalCandidate, ...]
) -> tuple[str, int, PostalCandidate] | None:
    """(dictionary spelling, end of the area in ``address``, candidate) of the closest."""
    compact, ends = _compact(address)
    found: tuple[int, int, str, int, PostalCandidate] | None = None
    for candidate in candidates:
        # With the prefecture, and without it (many write only the city).
        for spelling in (candidate.area, f"{candidate.city}{candidate.town}"):
            target = _compact(spelling)[0]
            if not target:
                continue
            distance, length = _closest_prefix(target, compact)
            if distance > allowed_edits(len(target)):
                continue
            key = (distance, -len(target), spelling, ends[length - 1] if length else 0, candidate)
            if found is None or key[:2] < found[:2]:
                found = key
    if found is None:
        return None
    return found[2], found[3], found[4]


def _closest_prefix(target: str, text: str) -> tuple[int, int]:
    """(edit distance, length) of the beginning of ``text`` closest to ``target``."""
    lengths = range(max(1, len(target) - _SLACK), min(len(text), len(target) + _SLACK) + 1)
    best = (len(target) + 1, 0)
    for length in lengths:
        distance = levenshtein(target, text[:length])
        if (distance, abs(length - len(target))) < (best[0], abs(best[1] - len(target))):
            best = (distance, length)
    return best


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without spaces, ヶ as ケ; and where each kept character ends in ``text``."""
    kept, ends = [], []
    for index, char in enumerate(text):
        for normal in unicodedata.normalize("NFKC", char).translate(_SAME):
            if not normal.isspace():
                kept.append(normal)
                ends.append(index + 1)
    return "".join(kept), ends


def _length(text: str) -> int:
    return len(_compact(text)[0])
