"""Japanese telephone numbers: the total length follows from the leading digits."""

import pytest

from yomitoru.lib import phone_number


@pytest.mark.parametrize(
    "number",
    [
        "0312345678",  # Tokyo, 2-digit area code
        "0466123456",  # Fujisawa, 4-digit area code
        "0120123456",  # free dial
        "0570123456",  # navi-dial
        "09012345678",  # mobile
        "08012345678",
        "07012345678",
        "05012345678",  # IP phone
        "02012345678",  # M2M
        "08001234567",  # free dial 0800
    ],
)
def test_possible_numbers(number: str) -> None:
    assert phone_number.is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "03123456789",  # a fixed line has 10 digits, not 11
        "0901234567",  # a mobile has 11, not 10
        "0501234567",
        "0800123456",  # 0800 has 11
        "01012345678",  # the international prefix
        "0012345678",  # a carrier prefix
        "0301234567",  # no 市内局番 starts with 0
        "06012345678",  # not in service
        "3123456789",  # no leading 0
        "03-1234-5678",  # separators are dropped before (validate.normalize)
        "",
    ],
)
def test_impossible_numbers(number: str) -> None:
    assert not phone_number.is_valid(number)
