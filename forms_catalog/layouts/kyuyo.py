"""給与支払報告書（個人別明細書）: the employer's annual salary report to the municipality."""

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
DEPENDENTS = 4


def build() -> FormLayout:
    b = FormBuilder(
        code="kyuyo-shiharai",
        name="給与支払報告書（個人別明細書）",
        department="税務課",
        retention_years=7,
        rule_color=BLACK,
        row_pad=10,
    )
    b.title("給与支払報告書（個人別明細書）", subtitle="（令和　　年分）", form_no="第１７号様式")
    with b.section("支払を受ける者"):
        b.row(head("住所又は居所"), text("address", "受給者の住所", required=True, height=150))
        b.row(head("フリガナ"), kana("name_kana", "受給者のフリガナ"))
        b.row(head("氏名"), text("name", "受給者の氏名", required=True))
        b.row(
            head("個人番号"),
            mynumber("mynumber", "受給者の個人番号", required=True),
            head("生年月日", 220),
            wareki("birth_date", "受給者の生年月日", BIRTH_ERAS),
        )
    with b.section("支払金額等"):
        b.row(
            head("支払金額"),
            amount("payment_amount", "支払金額", required=True),
            head("給与所得控除後\nの金額"),
            amount("income_after_deduction", "給与所得控除後の金額", salary_field="payment_amount"),
        )
        b.row(
            head("所得控除の額\nの合計額"),
            amount("total_deductions", "所得控除の額の合計額"),
            head("源泉徴収税額"),
            amount("withholding_tax", "源泉徴収税額"),
        )
        b.row(
            head("社会保険料等\nの金額"),
            amount("social_insurance", "社会保険料等の金額"),
            head("生命保険料の\n控除額"),
            amount("life_insurance_deduction", "生命保険料の控除額"),
        )
    with b.section("配偶者"):
        b.row(
            head("控除対象配偶者\nの氏名"),
            text("spouse_name", "控除対象配偶者の氏名"),
            head("個人番号", 220),
            mynumber("spouse_mynumber", "控除対象配偶者の個人番号"),
        )
    with b.section("控除対象扶養親族"):
        for i in range(1, DEPENDENTS + 1):
            b.row(
                head(f"（{i}）氏名"),
                text(f"dependent{i}_name", f"控除対象扶養親族{i}の氏名"),
                head("個人番号", 220),
                mynumber(f"dependent{i}_mynumber", f"控除対象扶養親族{i}の個人番号"),
            )
    with b.section("支払者"):
        b.row(
            head("個人番号又は\n法人番号"),
            comb("payer_corporate_number", "支払者の法人番号", FieldKind.CORPORATE_NUMBER),
            head("電話", 160),
            comb("payer_phone", "支払者の電話番号", FieldKind.PHONE),
        )
        b.row(head("氏名又は名称"), text("payer_name", "支払者の名称", required=True))
        b.row(
            head("住所（居所）\n又は所在地"),
            text("payer_address", "支払者の所在地", height=150),
        )
    b.gap(10)
    for line in (
        "（注意）",
        "１　金額は右詰めで記入してください。個人番号・法人番号は左詰めで記入してください。",
        "２　控除対象扶養親族が５人以上いる場合は、５人目以降を別紙に記入してください。",
    ):
        b.note(line, indent=20)
    b.gap(30)
    b.office_box(("受付印", "整理番号", "入力"), height=200)
    return b.build()


LAYOUT = build()
