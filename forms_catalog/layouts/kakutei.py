"""確定申告書 第一表 (simplified): the income tax return, first sheet."""

from __future__ import annotations

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import BLACK, FormLayout
from forms_catalog.layouts.builder import (
    FormBuilder,
    amount,
    comb,
    head,
    kana,
    mynumber,
    text,
    wareki,
)

BIRTH_ERAS = ("M", "T", "S", "H", "R")

# 所得金額等 給与 follows from 収入金額等 給与 by the national table (yomitoru.lib.salary_income).
SALARY_FIELDS = {"income_salary": "revenue_salary"}

# (section title, key prefix, [(key suffix, printed head, field label)]), two amounts per row.
AMOUNT_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "収入金額等",
        "revenue",
        (
            ("business", "事業（営業等）", "収入金額等 事業（営業等）"),
            ("real_estate", "不動産", "収入金額等 不動産"),
            ("dividend", "配当", "収入金額等 配当"),
            ("salary", "給与", "収入金額等 給与"),
            ("pension", "雑（公的年金等）", "収入金額等 雑（公的年金等）"),
            ("occasional", "一時", "収入金額等 一時"),
        ),
    ),
    (
        "所得金額等",
        "income",
        (
            ("business", "事業（営業等）", "所得金額等 事業（営業等）"),
            ("real_estate", "不動産", "所得金額等 不動産"),
            ("dividend", "配当", "所得金額等 配当"),
            ("salary", "給与", "所得金額等 給与"),
            ("misc", "雑", "所得金額等 雑"),
            ("total", "合計", "所得金額等 合計"),
        ),
    ),
    (
        "所得から差し引かれる金額",
        "deduction",
        (
            ("social_insurance", "社会保険料控除", "社会保険料控除"),
            ("life_insurance", "生命保険料控除", "生命保険料控除"),
            ("spouse", "配偶者控除", "配偶者控除"),
            ("dependents", "扶養控除", "扶養控除"),
            ("basic", "基礎控除", "基礎控除"),
            ("total", "合計", "所得から差し引かれる金額 合計"),
        ),
    ),
    (
        "税金の計算",
        "tax",
        (
            ("taxable_income", "課税される\n所得金額", "課税される所得金額"),
            ("on_taxable_income", "上の所得金額\nに対する税額", "課税される所得金額に対する税額"),
            ("withheld", "源泉徴収税額", "源泉徴収税額"),
            ("due", "申告納税額", "申告納税額"),
        ),
    ),
)


def build() -> FormLayout:
    b = FormBuilder(
        code="kakutei-shinkoku",
        name="確定申告書 第一表",
        department="税務課",
        retention_years=7,
        rule_color=BLACK,
        row_pad=6,
    )
    b.title(
        "確定申告書（第一表）",
        subtitle="令和　　年分の所得税及び復興特別所得税の申告書",
        form_no="FA0000",
    )
    with b.section("納税者"):
        b.row(head("住所"), text("address", "住所", required=True, height=140))
        b.row(head("フリガナ"), kana("name_kana", "フリガナ"))
        b.row(head("氏名"), text("name", "氏名", required=True))
        b.row(
            head("個人番号"),
            mynumber("mynumber", "個人番号", required=True),
            head("生年月日", 220),
            wareki("birth_date", "生年月日", BIRTH_ERAS),
        )
        b.row(
            head("電話番号"),
            comb("phone", "電話番号", FieldKind.PHONE),
            head("職業", 160),
            text("occupation", "職業"),
        )
    for title, prefix, items in AMOUNT_SECTIONS:
        with b.section(title, gap=24):
            for i in range(0, len(items), 2):
                cells = []
                for suffix, printed, label in items[i : i + 2]:
                    key = f"{prefix}_{suffix}"
                    salary = SALARY_FIELDS.get(key, "")
                    cells += [head(printed), amount(key, label, salary_field=salary)]
                b.row(*cells)
    b.note("（注意）金額は右詰めで記入し、単位未満の端数は切り捨ててください。", indent=20)
    b.gap(20)
    b.office_box(("受付印", "整理番号", "確認"), height=190)
    return b.build()


LAYOUT = build()
