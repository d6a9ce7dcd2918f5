"""寄附金税額控除に係る申告特例申請書 (the ふるさと納税 one-stop application)."""

from __future__ import annotations

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import DROPOUT_RED, FormLayout
from forms_catalog.layouts.builder import (
    FormBuilder,
    amount,
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

BIRTH_ERAS = ("M", "T", "S", "H", "R")


def build() -> FormLayout:
    b = FormBuilder(
        code="furusato-onestop",
        name="寄附金税額控除に係る申告特例申請書",
        department="税務課",
        retention_years=5,
        rule_color=DROPOUT_RED,
        row_pad=44,
    )
    b.title("寄附金税額控除に係る申告特例申請書", form_no="様式第５５号の５（附則第２条の４関係）")
    b.row(
        head("宛先", 160),
        text("addressee", "宛先の市区町村長", 560, required=True),
        caption("市区町村長　殿", 280),
        head("申請日", 220),
        wareki("application_date", "申請日", required=True),
    )
    b.gap(36)
    with b.section("申請者"):
        b.row(
            head("郵便番号"),
            comb("postal_code", "郵便番号", FieldKind.POSTAL_CODE, prefix="〒"),
            head("電話番号", 220),
            comb("phone", "電話番号", FieldKind.PHONE),
        )
        b.row(
            head("住所"),
            text("address", "住所", required=True, height=150, postal_code_field="postal_code"),
        )
        b.row(head("フリガナ"), kana("name_kana", "フリガナ"))
        b.row(head("氏名"), text("name", "氏名", required=True, height=140))
        b.row(
            head("個人番号"),
            mynumber("mynumber", "個人番号", required=True),
            head("性別", 180),
            choice("sex", "性別", ("男", "女")),
        )
        b.row(head("生年月日"), wareki("birth_date", "生年月日", BIRTH_ERAS, required=True))
    with b.section("寄附内容"):
        b.row(
            head("寄附年月日"),
            wareki("donation_date", "寄附年月日", required=True),
            head("寄附金額", 220),
            amount("donation_amount", "寄附金額", required=True),
        )
    with b.section("要件"):
        b.row(
            head("申告特例の\n要件に関する\n事項"),
            checks(
                [
                    (
                        "req_no_tax_return",
                        "住民税の申告が不要な者である",
                        "１　地方税法附則第7条第1項（第8項）に規定する申告特例対象寄附者"
                        "（住民税の申告が不要な者）である",
                    ),
                    (
                        "req_five_or_fewer",
                        "寄附先が5団体以内である",
                        "２　同条第2項（第9項）に規定する要件に該当する者"
                        "（寄附先が5団体以内）である",
                    ),
                ],
                size=28,
            ),
        )
    b.note("上記の要件に該当する場合は、□にチェックしてください。", indent=20)
    b.gap(16)
    with b.section("同意"):
        b.row(
            head("同意事項"),
            checks(
                [
                    (
                        "consent",
                        "同意",
                        "申告特例の適用を受けるため、上記の要件に該当することを申し立て、"
                        "寄附金の情報を通知することに同意します。",
                    )
                ],
                size=28,
            ),
        )
    b.gap(24)
    for line in (
        "（注意）",
        "１　個人番号の記載に当たっては、左端を空欄とせず、右詰めではなく左から記載してください。",
        "２　提出後に住所等が変わった場合は、翌年1月10日までに変更届出書を提出してください。",
        "３　この申請書は、寄附をした翌年の1月10日までに寄附先の地方団体に提出してください。",
        "４　寄附先が6団体以上となった場合や確定申告を行った場合は、申告特例は受けられません。",
        "５　本人確認書類（個人番号確認書類及び身元確認書類）の写しを添付してください。",
        "６　太枠内は申請者が記入し、枠外には記入しないでください。",
    ):
        b.note(line, size=28, indent=20)
    b.gap(40)
    b.office_box(("受付印", "確認", "入力"))
    return b.build()


LAYOUT = build()
