"""The structure of each kind, in validation and in the reading's confidence (issue 13).

Era dates in their era and in the field's window, phone lengths by prefix, the 支払金額 /
給与所得控除後の金額 pair, and the rule that an impossible reading is never auto-accepted.
"""

import datetime
from dataclasses import dataclass

import pytest

from ocr.pipeline import read
from ocr.pipeline.engines.base import FieldGeometry, Reading
from ocr.pipeline.validate import employment_income_confirms, validate, validate_cross_fields
from ocr.reading import judge
from ocr.routing import route
from tests.ocr.digit_cells import Cell, cells_of
from yomitoru.lib import salary_income

TODAY = datetime.date(2026, 12, 7)


def codes(kind: str, value: str, **kw: object) -> list[str]:
    return [e.code for e in validate(kind, value, required=False, today=TODAY, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R07.02.28", []),
        ("R07.02.30", ["date_invalid"]),  # no such day
        ("R06.02.29", []),  # 2024 is a leap year
        ("R07.02.29", ["date_invalid"]),
        ("H31.04.30", []),  # the last day of 平成
        ("H31.05.01", ["date_invalid"]),  # already 令和
        ("R01.04.30", ["date_invalid"]),  # not yet 令和
        ("S64.01.07", []),
        ("S64.01.08", ["date_invalid"]),
        ("H35.01.01", ["date_invalid"]),  # 平成 never reached 35
        ("M05.12.31", ["date_invalid"]),  # lunisolar: refused by wareki
        ("T15.12.24", []),
        ("R08.12.07", []),  # today
        ("R09.12.08", []),  # 366 days ahead: still in the window
        ("R09.12.09", ["date_too_far_ahead"]),
        ("R67.07.23", ["date_too_far_ahead"]),  # 令和67 = 2085: a misreading
    ],
)
def test_wareki_calendar_era_and_window(value: str, expected: list[str]) -> None:
    assert codes("wareki_date", value) == expected


def test_a_field_may_declare_a_wider_window() -> None:
    # e.g. an admission date (入所希望日) that legitimately lies two years ahead
    assert codes("wareki_date", "R10.04.01") == ["date_too_far_ahead"]
    assert codes("wareki_date", "R10.04.01", days_ahead=800) == []
    assert codes("wareki_date", "R10.04.01", days_ahead=0) == ["date_too_far_ahead"]


def test_western_dates_have_the_same_window() -> None:
    assert codes("date", "2027-12-07") == []
    assert codes("date", "2085-07-23") == ["date_too_far_ahead"]
    assert codes("date", "1872-12-31") == ["date_too_early"]
    assert codes("date", "2025-02-30") == ["date_invalid"]


def test_the_window_defaults_to_today() -> None:
    assert not validate("wareki_date", "R01.05.01", required=True)
    assert validate("wareki_date", "R67.07.23", required=True)[0].code == "date_too_far_ahead"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0312345678", []),
        ("090-1234-5678", []),
        ("03123456789", ["phone_length"]),
        ("0901234567", ["phone_length"]),
        ("0101234567", ["phone_length"]),
        ("312345678", ["phone_format"]),
    ],
)
def test_phone_lengths(value: str, expected: list[str]) -> None:
    assert codes("phone", value) == expected


SALARY = 4_321_000
INCOME = salary_income.employment_income(SALARY)
PAIR = {"income_after_deduction": "payment_amount"}
KINDS = {"payment_amount": "amount", "income_after_deduction": "amount"}


def test_an_employment_income_that_follows_from_the_salary_passes() -> None:
    values = {"payment_amount": str(SALARY), "income_after_deduction": str(INCOME)}
    assert validate_cross_fields(values, KINDS, PAIR) == {}


def test_an_employment_income_that_does_not_follow_flags_both_fields() -> None:
    values = {"payment_amount": str(SALARY), "income_after_deduction": str(INCOME + 1000)}
    errors = validate_cross_fields(values, KINDS, PAIR)
    assert {k: [e.code for e in v] for k, v in errors.items()} == {
        "payment_amount": ["employment_income_mismatch"],
        "income_after_deduction": ["employment_income_mismatch"],
    }
    # Undeclared: no rule; one of the two blank: nothing to compare.
    assert validate_cross_fields(values, KINDS) == {}
    assert validate_cross_fields({**values, "income_after_deduction": ""}, KINDS, PAIR) == {}


# --- confidence: readings of the cells -----------------------------------------------------


def geometry(kind: str, cells: int, key: str = "", days_ahead: int | None = None) -> FieldGeometry:
    return FieldGeometry(key=key or kind, kind=kind, x=0, y=0, w=59 * cells, h=95, cells=cells,
                         days_ahead=days_ahead)  # fmt: skip


ERA_R = read.marks_module.MarkDecision("R", 0.98, 0.5, (0.1, 1.0))


def test_an_impossible_era_date_is_repaired_from_a_runner_up_cell() -> None:
    cells = cells_of("070230")  # R07.02.30 does not exist
    probs = [0.01] * 10
    probs[3], probs[2] = 0.6, 0.3  # the day's tens cell: "3" read, "2" runner-up
    cells[4] = Cell("3", 0.6, tuple(probs))
    r = read.assemble_comb(geometry("wareki_date", 6), cells, ERA_R)
    assert r.value == "R07.02.20" and "repaired" in r.notes
    assert r.confidence <= read.REPAIR_CAP
    assert r.cell_values == ("0", "7", "0", "2", "2", "0")


def test_an_impossible_era_date_without_a_plausible_alternative_is_capped() -> None:
    r = read.assemble_comb(geometry("wareki_date", 6), cells_of("670723"), ERA_R)
    assert r.value == "R67.07.23" and "invalid" in r.notes
    assert r.confidence <= read.CHECK_FAIL_CAP


def test_a_wide_window_keeps_a_future_date_as_read() -> None:
    ahead = datetime.date.today() + datetime.timedelta(days=500)
    year = f"{ahead.year - 2018:02d}"  # 令和 year = Western year − 2018
    field = geometry("wareki_date", 6, days_ahead=800)
    r = read.assemble_comb(field, cells_of(f"{year}0401"), ERA_R)
    assert r.value == f"R{year}.04.01" and "invalid" not in r.notes
    assert r.confidence > 0.5


def test_a_phone_of_the_wrong_length_is_capped() -> None:
    r = read.assemble_comb(geometry("phone", 11), cells_of("03123456789"), None)
    assert r.value == "03123456789" and "invalid" in r.notes
    assert r.confidence <= read.CHECK_FAIL_CAP
    ok = read.assemble_comb(geometry("phone", 11), cells_of("09012345678"), None)
    assert "invalid" not in ok.notes and ok.confidence > 0.8


# --- routing: an impossible reading is never auto-accepted ---------------------------------


@dataclass
class Definition:
    """The parts of a FieldDefinition that ``judge`` reads."""

    key: str
    kind: str
    page: int = 1
    required: bool = False
    options: tuple = ()
    days_ahead: int | None = None
    salary_field: str = ""
    postal_code_field: str = ""


ALL_ACCEPTED = {"wareki_date": 0.0, "phone": 0.0, "amount": 0.0, "postal_code": 0.0}


def judged(definitions: list[Definition], readings: dict[str, Reading]) -> dict:
    return judge(definitions, readings, set(), ALL_ACCEPTED, postal_lookup=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("wareki_date", "R67.07.23"),
        ("wareki_date", "R07.02.30"),
        ("wareki_date", "H35.01.01"),
        ("phone", "03123456789"),
        ("phone", "0901234567"),
        ("postal_code", "123456"),
    ],
)
def test_an_impossible_reading_is_never_auto_accepted(kind: str, value: str) -> None:
    # Even at full confidence and a threshold of 0.
    out = judged([Definition("f", kind)], {"f": Reading(value, 1.0)})
    assert out["f"].errors and out["f"].status == "needs_review"
    assert route(kind, 1.0, list(out["f"].errors), ALL_ACCEPTED) == "needs_review"


PAIR_DEFINITIONS = [
    Definition("payment_amount", "amount"),
    Definition("income_after_deduction", "amount", salary_field="payment_amount"),
]


def pair_readings(salary: int, income: int) -> dict[str, Reading]:
    return {
        "payment_amount": Reading(str(salary), 0.7),
        "income_after_deduction": Reading(str(income), 0.6),
    }


def test_a_salary_pair_that_agrees_confirms_both_readings_where_the_table_is_exact() -> None:
    # 551,000-1,618,999 yen: income = salary − 550,000, one yen for one yen.
    readings = pair_readings(1_000_000, 450_000)
    out = judged(PAIR_DEFINITIONS, readings)
    alone = judged([Definition(d.key, d.kind) for d in PAIR_DEFINITIONS], readings)
    # Both raw scores become 1 − 0.3 × 0.4 = 0.88 before the (increasing) calibration map.
    for key in readings:
        assert not out[key].errors
        assert out[key].confidence > alone[key].confidence
    assert out["payment_amount"].confidence == out["income_after_deduction"].confidence
    # The evaluation fits the calibration on the score judge calibrated.
    assert out["payment_amount"].raw_confidence == pytest.approx(1 - 0.3 * 0.4)
    assert alone["payment_amount"].raw_confidence == 0.7


def test_a_salary_in_a_stepped_band_is_not_confirmed_by_its_income() -> None:
    # 3,600,000-6,599,999 yen: the table steps by 4,000 yen, so a misread last digit of the
    # salary (4,042,008 for 4,042,000) still agrees: only the income is confirmed.
    assert validate_confirms("4042000", "4042008") == {"income"}
    out = judged(PAIR_DEFINITIONS, pair_readings(SALARY, INCOME))
    assert out["payment_amount"].raw_confidence == 0.7
    assert out["income_after_deduction"].raw_confidence == pytest.approx(1 - 0.3 * 0.4)


def validate_confirms(salary: str, misread: str) -> frozenset[str]:
    income = str(salary_income.employment_income(int(salary)))
    assert employment_income_confirms(misread, income) == employment_income_confirms(salary, income)
    return employment_income_confirms(misread, income)


def test_which_side_of_a_pair_is_confirmed() -> None:
    assert employment_income_confirms("1000000", "450000") == {"salary", "income"}
    assert employment_income_confirms("7000000", "5200000") == {"income"}  # 0.9 truncates
    # Over 8.5 million the box may hold the income with or without the 50,000 yen adjustment
    # (7,050,000 / 7,000,000): one cell apart, so the income is not confirmed.
    assert employment_income_confirms("9000000", "7050000") == {"salary"}
    assert employment_income_confirms("1000000", "450001") == frozenset()  # disagrees
    assert employment_income_confirms("", "450000") == frozenset()


def test_a_salary_pair_that_disagrees_sends_both_to_review() -> None:
    definitions = PAIR_DEFINITIONS
    readings = {
        "payment_amount": Reading(str(SALARY), 0.99),
        "income_after_deduction": Reading(str(INCOME - 4000), 0.99),
    }
    out = judged(definitions, readings)
    for key in readings:
        assert out[key].errors == ("employment_income_mismatch",)
        assert out[key].status == "needs_review"
