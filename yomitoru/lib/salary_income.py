"""給与所得控除後の金額: the employment income that follows from a salary (支払金額).

A 給与支払報告書 / 源泉徴収票 shows both 支払金額 and 給与所得控除後の金額; the second is not
written freely but follows from the first by law, so a form on which they disagree holds a
misread (or miswritten) amount.

Source (令和2年分以降; the 令和2年度税制改正 lowered the deduction by 100,000 yen and set the
cap at 1,950,000 yen): 所得税法 第28条 and, for salaries under 6,600,000 yen, 所得税法 別表第五
(年末調整等のための給与所得控除後の給与等の金額の表), whose rows the national tax agency's
publication 「令和2年分以降 給与所得控除後の給与等の金額の計算」 gives in closed form:

    収入金額 (A)                    給与所得控除後の金額
    ~ 550,999                       0
    551,000 ~ 1,618,999             A − 550,000
    1,619,000 ~ 1,619,999           1,069,000
    1,620,000 ~ 1,621,999           1,070,000
    1,622,000 ~ 1,623,999           1,072,000
    1,624,000 ~ 1,627,999           1,074,000
    1,628,000 ~ 1,799,999           B × 2.4 + 100,000    (B = A ÷ 4, 千円未満切捨て)
    1,800,000 ~ 3,599,999           B × 2.8 − 80,000
    3,600,000 ~ 6,599,999           B × 3.2 − 440,000
    6,600,000 ~ 8,499,999           A × 0.9 − 1,100,000  (1円未満切捨て)
    8,500,000 ~                     A − 1,950,000

Since 令和2年分 the form's box reads 給与所得控除後の金額（調整控除後）: for a salary over
8,500,000 yen, 所得金額調整控除 (租税特別措置法 第41条の3の3 第1項: (min(A, 10,000,000) −
8,500,000) × 10 %, 1円未満切上げ) is also subtracted when the earner or a family member
qualifies (a dependant under 23, a special disability). Both values are therefore possible.
"""

from __future__ import annotations

LOW_INCOME_ROWS: tuple[tuple[int, int], ...] = (
    # (salary from, employment income) for the fixed rows of 別表第五.
    (1_619_000, 1_069_000),
    (1_620_000, 1_070_000),
    (1_622_000, 1_072_000),
    (1_624_000, 1_074_000),
)


def _quarter_thousands(salary: int) -> int:
    """B of the table: the salary divided by 4, rounded down to whole thousand yen."""
    return salary // 4 // 1000 * 1000


def employment_income(salary: int) -> int:
    """給与所得控除後の金額 for a salary (支払金額), 令和2年分以降, before 所得金額調整控除."""
    if salary < 0:
        raise ValueError("salary must not be negative")
    if salary < 551_000:
        return 0
    if salary < 1_619_000:
        return salary - 550_000
    if salary < 1_628_000:
        return next(income for start, income in reversed(LOW_INCOME_ROWS) if salary >= start)
    b = _quarter_thousands(salary)
    if salary < 1_800_000:
        return b * 24 // 10 + 100_000
    if salary < 3_600_000:
        return b * 28 // 10 - 80_000
    if salary < 6_600_000:
        return b * 32 // 10 - 440_000
    if salary < 8_500_000:
        return salary * 9 // 10 - 1_100_000
    return salary - 1_950_000


def adjustment_deduction(salary: int) -> int:
    """所得金額調整控除 (the 子ども・特別障害者等 case) for a salary; 0 up to 8,500,000 yen."""
    over = min(salary, 10_000_000) - 8_500_000
    return max(0, -(-over // 10))  # 10 %, rounded up to whole yen


def possible_employment_incomes(salary: int) -> frozenset[int]:
    """Every value the box may lawfully hold for this salary (with or without the adjustment)."""
    income = employment_income(salary)
    return frozenset({income, max(0, income - adjustment_deduction(salary))})
