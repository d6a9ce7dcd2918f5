"""My Number helpers. Only the published example 123456789018 and synthetic() numbers are used."""

import random

import pytest

from yomitoru.lib import mynumber

EXAMPLE = "123456789018"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123456789018", True),
        ("１２３４５６７８９０１８", True),  # full-width digits
        ("12345678901８", True),  # mixed widths
        ("123456789017", False),  # wrong check digit
        ("12345678901", False),  # 11 digits
        ("1234567890180", False),  # 13 digits
        ("1234 5678 9018", False),  # separators are normalize()'s job, not is_valid's
        ("1234-5678-9018", False),
        ("12345678901A", False),  # letter
        ("abcdefghijkl", False),
        ("000000000000", False),  # all zeros (its check digit would be 0)
        ("０００００００００００", False),
        ("", False),
        ("123456789018\n", False),  # trailing newline must not slip through $
        ("١٢٣٤٥٦٧٨٩٠١٨", False),  # Arabic-Indic digits are not ASCII after NFKC
    ],
)
def test_is_valid(value: str, expected: bool) -> None:
    assert mynumber.is_valid(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234 5678 9018", EXAMPLE),
        ("1234-5678-9018", EXAMPLE),
        ("１２３４　５６７８　９０１８", EXAMPLE),  # full-width digits and ideographic spaces
        ("１２３４－５６７８－９０１８", EXAMPLE),  # full-width hyphen-minus
        ("1234‐5678−9018", EXAMPLE),  # U+2010 hyphen, U+2212 minus
        ("1234ー5678ー9018", EXAMPLE),  # katakana long-vowel mark read as a dash
        (" 123456789018 \t", EXAMPLE),
        ("", ""),
        ("12A", "12A"),  # normalize does not validate
    ],
)
def test_normalize(value: str, expected: str) -> None:
    assert mynumber.normalize(value) == expected


def test_normalized_example_is_valid() -> None:
    assert mynumber.is_valid(mynumber.normalize("１２３４－５６７８－９０１８"))


def test_check_digit_of_example() -> None:
    assert mynumber.check_digit(EXAMPLE[:11]) == 8


@pytest.mark.parametrize("wrong", [d for d in range(10) if d != 8])
def test_every_wrong_check_digit_is_rejected(wrong: int) -> None:
    assert not mynumber.is_valid(EXAMPLE[:11] + str(wrong))


@pytest.mark.parametrize(
    ("first11", "expected"),
    [
        # Weights 6,5,4,3,2,7,6,5,4,3,2: a single 1 in position i gives remainder = weight.
        ("10000000000", 5),  # 11 - 6
        ("00001000000", 9),  # 11 - 2
        ("00000100000", 4),  # 11 - 7
        ("00000000001", 9),  # 11 - 2
        ("00000000000", 0),  # remainder 0 -> 0
        ("00000000006", 0),  # 6 * 2 = 12, remainder 1 -> 0
    ],
)
def test_check_digit_weights_and_small_remainders(first11: str, expected: int) -> None:
    assert mynumber.check_digit(first11) == expected


@pytest.mark.parametrize(
    "bad", ["", "1234567890", "123456789012", "1234567890A", "１２３４５６７８９０１"]
)
def test_check_digit_rejects_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        mynumber.check_digit(bad)


def test_synthetic_numbers_are_valid_and_marked() -> None:
    rng = random.Random(20251201)
    seen = set()
    for _ in range(2000):
        number = mynumber.synthetic(rng)
        assert len(number) == 12
        assert number.isascii() and number.isdigit()
        assert number.startswith("00")
        assert number != "000000000000"
        assert mynumber.is_valid(number)
        assert mynumber.is_synthetic(number)
        seen.add(number)
    assert len(seen) > 1900  # random middle, not a constant


def test_synthetic_is_reproducible_from_the_seed() -> None:
    assert mynumber.synthetic(random.Random(7)) == mynumber.synthetic(random.Random(7))


def test_synthetic_never_all_zero_even_if_rng_says_so() -> None:
    class ZeroFirst(random.Random):
        calls = 0

        def choice(self, seq):  # type: ignore[no-untyped-def, override]
            self.calls += 1
            return "0" if self.calls <= 9 else "1"

    number = mynumber.synthetic(ZeroFirst())
    assert number != "000000000000"
    assert mynumber.is_valid(number)


def test_example_is_not_synthetic() -> None:
    assert not mynumber.is_synthetic(EXAMPLE)


@pytest.mark.parametrize(
    "value", [EXAMPLE, "1234 5678 9018", "", "1", "not a number", "１２３４５６７８９０１８"]
)
def test_mask_never_shows_a_digit(value: str) -> None:
    masked = mynumber.mask(value)
    assert masked == "**** **** ****"
    assert not any(ch.isdigit() for ch in masked)
