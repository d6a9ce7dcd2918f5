"""Corporate number helpers (7000012050002 is a published government number)."""

import random

import pytest

from yomitoru.lib import corporate_number

EXAMPLE = "7000012050002"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EXAMPLE, True),
        ("７００００１２０５０００２", True),  # full-width digits
        ("8000012050002", False),  # wrong check digit
        ("700001205000", False),  # 12 digits
        ("70000120500020", False),  # 14 digits
        ("7000-0120-50002", False),  # separators are normalize()'s job
        ("700001205000A", False),
        ("0000000000000", False),  # check digit of all zeros is 9
        ("", False),
        (EXAMPLE + "\n", False),
    ],
)
def test_is_valid(value: str, expected: bool) -> None:
    assert corporate_number.is_valid(value) is expected


def test_check_digit_of_example() -> None:
    assert corporate_number.check_digit(EXAMPLE[1:]) == 7


@pytest.mark.parametrize("wrong", [d for d in range(10) if d != 7])
def test_every_wrong_check_digit_is_rejected(wrong: int) -> None:
    assert not corporate_number.is_valid(str(wrong) + EXAMPLE[1:])


@pytest.mark.parametrize(
    ("base12", "expected"),
    [
        ("000000000000", 9),  # 9 - 0
        ("000000000001", 8),  # n = 1 (odd): weight 1
        ("000000000010", 7),  # n = 2 (even): weight 2
        ("100000000000", 7),  # n = 12 (even): weight 2
        ("000000000009", 9),  # 9 mod 9 = 0 -> 9
    ],
)
def test_check_digit_weights(base12: str, expected: int) -> None:
    assert corporate_number.check_digit(base12) == expected


@pytest.mark.parametrize("bad", ["", "00001205000", "0000120500020", "00001205000X"])
def test_check_digit_rejects_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        corporate_number.check_digit(bad)


@pytest.mark.parametrize(
    "value", ["7000-0120-50002", "７ ０００ ０１２０ ５０００２", "7000‐0120‐50002"]
)
def test_normalize(value: str) -> None:
    assert corporate_number.normalize(value) == EXAMPLE


def test_synthetic_numbers_are_valid() -> None:
    rng = random.Random(13)
    for _ in range(2000):
        number = corporate_number.synthetic(rng)
        assert len(number) == 13
        assert number.isascii() and number.isdigit()
        assert corporate_number.is_valid(number)
