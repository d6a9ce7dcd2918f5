"""給与所得控除後の金額 by the 令和2年分以降 table (所得税法 別表第五 and the formula)."""

import pytest

from yomitoru.lib import salary_income

# (支払金額, 給与所得控除後の金額): the table's boundaries and a point inside each row, worked
# by hand from the published rows (B = salary / 4 rounded down to thousands).
POINTS = [
    (0, 0),
    (550_999, 0),
    (551_000, 1_000),
    (1_000_000, 450_000),
    (1_618_999, 1_068_999),
    (1_619_000, 1_069_000),
    (1_619_999, 1_069_000),
    (1_620_000, 1_070_000),
    (1_621_999, 1_070_000),
    (1_622_000, 1_072_000),
    (1_624_000, 1_074_000),
    (1_627_999, 1_074_000),
    (1_628_000, 1_076_800),  # B 407,000 × 2.4 + 100,000
    (1_799_999, 1_177_600),  # B 449,000 × 2.4 + 100,000
    (1_800_000, 1_180_000),  # B 450,000 × 2.8 − 80,000
    (1_803_999, 1_180_000),  # same B: the table steps by 4,000 yen
    (1_804_000, 1_182_800),
    (3_599_999, 2_437_200),  # B 899,000 × 2.8 − 80,000
    (3_600_000, 2_440_000),  # B 900,000 × 3.2 − 440,000
    (5_000_000, 3_560_000),
    (6_599_999, 4_836_800),  # B 1,649,000 × 3.2 − 440,000
    (6_600_000, 4_840_000),  # × 0.9 − 1,100,000
    (7_777_777, 5_899_999),  # 1円未満切捨て
    (8_499_999, 6_549_999),
    (8_500_000, 6_550_000),  # − 1,950,000 from here
    (12_000_000, 10_050_000),
]


@pytest.mark.parametrize(("salary", "income"), POINTS)
def test_employment_income_follows_the_table(salary: int, income: int) -> None:
    assert salary_income.employment_income(salary) == income


def test_the_table_and_the_formula_meet_at_6_6_million() -> None:
    # Below 6.6 million the table rounds to 4,000 yen; above, the formula takes over
    # continuously (no jump at the boundary).
    below = salary_income.employment_income(6_596_000)
    at = salary_income.employment_income(6_600_000)
    assert at - below == 3_200


def test_income_never_exceeds_the_salary_and_grows_with_it() -> None:
    previous = 0
    for salary in range(0, 13_000_000, 997):
        income = salary_income.employment_income(salary)
        assert 0 <= income <= salary
        assert income >= previous
        previous = income


def test_the_adjustment_deduction_is_allowed_only_above_8_5_million() -> None:
    assert salary_income.possible_employment_incomes(5_000_000) == {3_560_000}
    # (9,000,000 − 8,500,000) × 10 % = 50,000 yen
    assert salary_income.possible_employment_incomes(9_000_000) == {7_050_000, 7_000_000}
    # capped at 10 million: at most 150,000 yen
    assert salary_income.adjustment_deduction(12_000_000) == 150_000
    assert salary_income.adjustment_deduction(8_500_001) == 1  # rounded up


def test_a_negative_salary_is_refused() -> None:
    with pytest.raises(ValueError):
        salary_income.employment_income(-1)
