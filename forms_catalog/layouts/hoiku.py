"""子どものための教育・保育給付認定申請書: the nursery / kindergarten certification request."""

from __future__ import annotations

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import DROPOUT_RED, FormLayout
from forms_catalog.layouts.builder import (
    FormBuilder,
    caption,
    checks,
    choice,
    comb,
    head,
    kana,
    mynumber,
    text,
    wareki,
)

REASONS = (
    ("employment", "就労"),
    ("pregnancy", "妊娠・出産"),
    ("illness", "疾病・障害"),
    ("caregiving", "介護・看護"),
    ("disaster", "災害復旧"),
    ("job_seeking", "求職活動"),
    ("schooling", "就学"),
    ("other", "その他"),
)


def build() -> FormLayout:
    b = FormBuilder(
        code="hoiku-nintei",
        name="子どものための教育・保育給付認定申請書",
        department="保育課",
        retention_years=5,
        rule_color=DROPOUT_RED,
        row_pad=24,
    )
    b.title("子どものための教育・保育給付認定申請書", form_no="様式第１号（第３条関係）")
    b.row(
        caption("（宛先）　　　　　市長", 700),
        head("申請日", 220),
        wareki("application_date", "申請日", required=True),
    )
    b.gap(36)
    with b.section("保護者"):
        b.row(head("フリガナ"), kana("guardian_kana", "保護者のフリガナ"))
        b.row(head("氏名"), text("guardian_name", "保護者の氏名", required=True))
        b.row(
            head("生年月日"),
            wareki("guardian_birth_date", "保護者の生年月日", ("S", "H", "R")),
            head("個人番号", 220),
            mynumber("guardian_mynumber", "保護者の個人番号", required=True),
        )
        b.row(head("住所"), text("address", "住所", required=True, height=150))
        b.row(head("電話番号"), comb("phone", "電話番号", FieldKind.PHONE))
    with b.section("児童"):
        b.row(head("フリガナ"), kana("child_kana", "児童のフリガナ"))
        b.row(
            head("氏名"),
            text("child_name", "児童の氏名", required=True),
            head("性別", 180),
            choice("child_sex", "児童の性別", ("男", "女")),
        )
        b.row(
            head("生年月日"),
            wareki("child_birth_date", "児童の生年月日", ("H", "R"), required=True),
            head("個人番号", 220),
            mynumber("child_mynumber", "児童の個人番号", required=True),
        )
    with b.section("認定"):
        b.row(
            head("認定区分"),
            choice(
                "certification_type",
                "認定区分",
                ("1号", "2号", "3号"),
                note="1号：満3歳以上・教育標準時間　2号：満3歳以上・保育　3号：満3歳未満・保育",
            ),
        )
        b.row(
            head("保育を必要と\nする事由"),
            checks(
                [(f"reason_{key}", f"保育を必要とする事由 {word}", word) for key, word in REASONS],
                cols=4,
            ),
        )
    with b.section("勤務先"):
        b.row(head("勤務先名"), text("employer_name", "勤務先名"))
        b.row(head("勤務先電話"), comb("employer_phone", "勤務先電話番号", FieldKind.PHONE))
    b.gap(10)
    for line in (
        "（注意）",
        "１　2号・3号認定の申請には、保育を必要とする事由を確認できる書類を添付してください。",
        "２　個人番号は左詰めで記入してください。太枠内のみ記入してください。",
    ):
        b.note(line, indent=20)
    b.gap(30)
    b.office_box(("受付印", "認定区分", "入力"))
    return b.build()


LAYOUT = build()
