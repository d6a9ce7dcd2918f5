"""Field validation: codes per kind, normalisation, value-free messages, cross-field rules."""

import random
import re

import pytest

from ocr.pipeline.validate import (
    MESSAGES,
    ValidationError,
    as_date,
    normalize,
    validate,
    validate_cross_fields,
)
from yomitoru.lib import mynumber

EXAMPLE = "123456789018"
SYNTHETIC = [mynumber.synthetic(random.Random(seed)) for seed in range(5)]


def codes(kind: str, value: str, *, required: bool = False, options: list[str] | None = None):
    return [e.code for e in validate(kind, value, required=required, options=options)]


CASES = [
    # (kind, value, expected codes)
    ("mynumber", EXAMPLE, []),
    ("mynumber", "１２３４５６７８９０１８", []),
    ("mynumber", "1234 5678 9018", []),
    ("mynumber", "1234-5678-9018", []),
    ("mynumber", "１２３４－５６７８－９０１８", []),
    ("mynumber", "123456789017", ["mynumber_check_digit"]),
    ("mynumber", "12345678901", ["mynumber_format"]),
    ("mynumber", "1234567890123", ["mynumber_format"]),
    ("mynumber", "12345678901A", ["mynumber_format"]),
    ("mynumber", "000000000000", ["mynumber_all_zero"]),
    ("mynumber", "0000 0000 0000", ["mynumber_all_zero"]),
    *[("mynumber", number, []) for number in SYNTHETIC],
    ("corporate_number", "7000012050002", []),
    ("corporate_number", "7000-0120-50002", []),
    ("corporate_number", "8000012050002", ["corporate_check_digit"]),
    ("corporate_number", "700001205000", ["corporate_format"]),
    ("corporate_number", "70000120500A2", ["corporate_format"]),
    ("digits", "0012", []),
    ("digits", "００１２", []),
    ("digits", "12a", ["digits_format"]),
    ("digits", "1.5", ["digits_format"]),
    ("amount", "0", []),
    ("amount", "1200000", []),
    ("amount", "1,200,000", []),
    ("amount", "¥1,200,000", []),
    ("amount", "１２００円", []),
    ("amount", "0120", ["amount_format"]),
    ("amount", "00", ["amount_format"]),
    ("amount", "-5", ["amount_format"]),
    ("amount", "12.5", ["amount_format"]),
    ("postal_code", "1000001", []),
    ("postal_code", "100-0001", []),
    ("postal_code", "〒１００－０００１", []),
    ("postal_code", "100001", ["postal_format"]),
    ("postal_code", "10000011", ["postal_format"]),
    ("postal_code", "100-000A", ["postal_format"]),
    ("phone", "0312345678", []),
    ("phone", "09012345678", []),
    ("phone", "03-1234-5678", []),
    ("phone", "03(1234)5678", []),
    ("phone", "０９０－１２３４－５６７８", []),
    ("phone", "312345678", ["phone_format"]),
    ("phone", "1312345678", ["phone_format"]),
    ("phone", "031234567", ["phone_format"]),
    ("phone", "090123456789", ["phone_format"]),
    ("phone", "+81312345678", ["phone_format"]),
    ("date", "2025-12-01", []),
    ("date", "2025/12/1", []),
    ("date", "２０２５年１２月１日", []),
    ("date", "2024-02-29", []),
    ("date", "2025-02-29", ["date_invalid"]),
    ("date", "2025-13-01", ["date_invalid"]),
    ("date", "2025-12-32", ["date_invalid"]),
    ("date", "20251201", ["date_format"]),
    ("date", "R07.12.01", ["date_format"]),
    ("wareki_date", "R07.12.01", []),
    ("wareki_date", "令和7年12月1日", []),
    ("wareki_date", "R7.12.1", []),
    ("wareki_date", "H31.04.30", []),
    ("wareki_date", "H31.05.01", ["date_invalid"]),
    ("wareki_date", "S64.01.08", ["date_invalid"]),
    ("wareki_date", "R00.05.01", ["date_invalid"]),
    ("wareki_date", "R07.13.01", ["date_invalid"]),
    ("wareki_date", "R07.02.30", ["date_invalid"]),
    ("wareki_date", "2025-12-01", ["date_format"]),
    ("wareki_date", "X07.12.01", ["date_format"]),
    ("katakana", "ヤマダ タロウ", []),
    ("katakana", "やまだ たろう", []),  # hiragana is converted
    ("katakana", "ﾔﾏﾀﾞ ﾀﾛｳ", []),  # half-width is widened by NFKC
    ("katakana", "ヤマダ　　タロウ", []),  # spaces collapsed
    ("katakana", "スミス・ジョン", []),
    ("katakana", "ヴィーナス", []),
    ("katakana", "山田 タロウ", ["katakana_format"]),
    ("katakana", "YAMADA", ["katakana_format"]),
    ("katakana", "タロウ1", ["katakana_format"]),
    ("text_ja", "山田 太郎", []),
    ("text_ja", "何でも 123 ABC", []),
    ("checkbox", "1", []),
    ("checkbox", "0", []),
    ("checkbox", "１", []),
    ("checkbox", "2", ["checkbox_format"]),
    ("checkbox", "yes", ["checkbox_format"]),
]


@pytest.mark.parametrize(("kind", "value", "expected"), CASES)
def test_validate(kind: str, value: str, expected: list[str]) -> None:
    assert codes(kind, value) == expected


KINDS = [
    "mynumber",
    "corporate_number",
    "digits",
    "amount",
    "postal_code",
    "phone",
    "date",
    "wareki_date",
    "katakana",
    "text_ja",
    "checkbox",
    "choice",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["", "   ", "　"])
def test_empty_is_valid_unless_required(kind: str, value: str) -> None:
    assert codes(kind, value, required=False, options=["男", "女"]) == []
    assert codes(kind, value, required=True, options=["男", "女"]) == ["required"]


def test_choice() -> None:
    assert codes("choice", "男", options=["男", "女"]) == []
    assert codes("choice", " 女 ", options=["男", "女"]) == []
    assert codes("choice", "他", options=["男", "女"]) == ["choice_unknown"]
    assert codes("choice", "他", options=[]) == ["choice_unknown"]
    assert codes("choice", "他", options=None) == []  # no list to check against


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate("nonsense", "1", required=False)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("mynumber", "１２３４－５６７８－９０１８", EXAMPLE),
        ("mynumber", " 1234 5678 9018 ", EXAMPLE),
        ("corporate_number", "７０００ー０１２０ー５０００２", "7000012050002"),
        ("digits", "１２ ３４", "1234"),
        ("amount", "¥1,200", "1200"),
        ("amount", "0120", "0120"),  # a leading zero is reported, not silently dropped
        ("postal_code", "〒100-0001", "1000001"),
        ("phone", "(03) 1234-5678", "0312345678"),
        ("date", "2025/12/1", "2025-12-01"),
        ("wareki_date", "令和元年5月1日", "R01.05.01"),
        ("katakana", " やまだ　たろう ", "ヤマダ タロウ"),
        ("katakana", "ゝゞ", "ヽヾ"),
        ("text_ja", "  ＡＢＣ山田  ", "ABC山田"),
        ("checkbox", " １ ", "1"),
        ("choice", " 男 ", "男"),
    ],
)
def test_normalize(kind: str, value: str, expected: str) -> None:
    assert normalize(kind, value) == expected
    assert normalize(kind, expected) == expected  # idempotent


def test_error_is_a_frozen_dataclass() -> None:
    err = validate("mynumber", "123456789017", required=True)[0]
    assert isinstance(err, ValidationError)
    with pytest.raises(AttributeError):
        err.code = "x"  # type: ignore[misc]


def test_every_code_has_a_message_without_long_digit_runs() -> None:
    # Lengths such as "12桁" are fine; nothing that could be part of a number.
    for code, message in MESSAGES.items():
        assert message, code
        assert re.search(r"[0-9]{3,}", message) is None, code


@pytest.mark.parametrize(
    "value",
    [
        "123456789017",
        "12345678901",
        "1234567890123",
        "000000000000",
        "12345678901A",
        *[n[:11] + str((int(n[11]) + 1) % 10) for n in SYNTHETIC],
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_messages_never_contain_the_value(kind: str, value: str) -> None:
    errors = validate(kind, value, required=True, options=["男", "女"])
    for err in errors:
        # Neither the value nor any run of 4+ of its digits may appear.
        assert value not in err.message
        digits = mynumber.normalize(value)
        for i in range(len(digits) - 3):
            assert digits[i : i + 4] not in err.message
        assert value not in repr(err.code)


def test_wareki_invalid_message_gives_a_reason() -> None:
    (err,) = validate("wareki_date", "H31.05.01", required=True)
    assert err.code == "date_invalid"
    assert "平成31年4月30日まで" in err.message


# --- cross-field -----------------------------------------------------------------------------


def test_birth_after_application_is_reported_on_the_birth_field() -> None:
    values = {"birth_date": "R07.12.02", "application_date": "R07.12.01"}
    kinds = {"birth_date": "wareki_date", "application_date": "wareki_date"}
    result = validate_cross_fields(values, kinds)
    assert [e.code for e in result["birth_date"]] == ["birth_after_application"]
    assert "application_date" not in result


@pytest.mark.parametrize(
    ("birth", "birth_kind", "applied", "applied_kind", "expected"),
    [
        ("S60.04.01", "wareki_date", "R07.12.01", "wareki_date", {}),
        ("R07.12.01", "wareki_date", "R07.12.01", "wareki_date", {}),  # same day is fine
        ("R07.12.01", "wareki_date", "2025-12-01", "date", {}),  # mixed kinds
        ("R07.12.02", "wareki_date", "2025-12-01", "date", {"birth": ["birth_after_application"]}),
        ("2025-12-02", "date", "R07.12.01", "wareki_date", {"birth": ["birth_after_application"]}),
        (
            "令和7年12月2日",
            "wareki_date",
            "R07.12.01",
            "wareki_date",
            {"birth": ["birth_after_application"]},
        ),
        ("", "wareki_date", "R07.12.01", "wareki_date", {}),  # empty: required handles it
        (
            "H31.05.01",
            "wareki_date",
            "R07.12.01",
            "wareki_date",
            {},
        ),  # invalid: validate handles it
        ("R07.12.02", "wareki_date", "", "wareki_date", {}),
        ("R07.12.02", "text_ja", "R07.12.01", "wareki_date", {}),  # not a date kind
    ],
)
def test_birth_rule(birth, birth_kind, applied, applied_kind, expected) -> None:
    values = {"birth": birth, "application_date": applied}
    kinds = {"birth": birth_kind, "application_date": applied_kind}
    result = validate_cross_fields(values, kinds)
    assert {k: [e.code for e in v] for k, v in result.items()} == expected


def test_birth_rule_needs_application_date_key() -> None:
    values = {"birth_date": "R07.12.02", "receipt_date": "R07.12.01"}
    kinds = {"birth_date": "wareki_date", "receipt_date": "wareki_date"}
    assert validate_cross_fields(values, kinds) == {}


def test_birth_rule_checks_every_birth_field() -> None:
    values = {
        "birth_date": "R07.12.02",
        "birth_date_child": "R07.11.30",
        "birthdate_spouse": "R08.01.01",
        "application_date": "R07.12.01",
    }
    kinds = dict.fromkeys(values, "wareki_date")
    assert sorted(validate_cross_fields(values, kinds)) == ["birth_date", "birthdate_spouse"]


def test_as_date() -> None:
    assert str(as_date("wareki_date", "R07.12.01")) == "2025-12-01"
    assert str(as_date("date", "2025/12/1")) == "2025-12-01"
    assert as_date("wareki_date", "H31.05.01") is None
    assert as_date("text_ja", "2025-12-01") is None
    assert as_date("", "2025-12-01") is None
