"""Export columns and files: transforms as core systems want them, CSV bytes as they read them."""

from __future__ import annotations

import csv
import io

import pytest

from ocr.exports.columns import BATCH_ID, DOCUMENT_ID, FIXED, Column, ColumnError
from ocr.exports.csvfile import CP932, UTF8_BOM, EncodingRefused, Unencodable, write_csv


def render(transforms, value: str) -> str:
    column = Column(header="h", source="key", transforms=tuple(transforms))
    return column.render({"key": value}, document_id=7, batch_id=3)


@pytest.mark.parametrize(
    ("value", "format", "written"),
    [
        ("2025-12-01", "iso", "2025-12-01"),
        ("2025-12-01", "yyyymmdd", "20251201"),
        ("2025-12-01", "wareki", "R07.12.01"),
        ("2025-12-01", "wareki_ja", "令和7年12月1日"),
        ("R07.12.01", "iso", "2025-12-01"),
        ("R07.12.01", "yyyymmdd", "20251201"),
        ("H31.04.30", "wareki_ja", "平成31年4月30日"),
        ("R01.05.01", "wareki_ja", "令和元年5月1日"),
        ("", "iso", ""),
    ],
)
def test_dates_in_every_format(value: str, format: str, written: str) -> None:
    assert render([("date", {"format": format})], value) == written


def test_an_impossible_date_is_an_error_not_a_guess() -> None:
    with pytest.raises(ColumnError):
        render([("date", {"format": "iso"})], "R07.02.30")


def test_width_kana_hyphens_amounts_and_padding() -> None:
    assert render([("half_width", {})], "ヤマダ　タロウ０１２") == "ﾔﾏﾀﾞ ﾀﾛｳ012"
    assert render([("full_width", {})], "ﾔﾏﾀﾞ 12") == "ヤマダ　１２"
    assert render([("katakana", {})], "やまだ ﾀﾛｳ") == "ヤマダ タロウ"
    assert render([("no_hyphens", {})], "03-1234−5678") == "0312345678"
    # The katakana long vowel mark is not a hyphen.
    assert render([("no_hyphens", {})], "コーヒー") == "コーヒー"
    assert render([("amount", {})], "1,234,567円") == "1234567"
    assert render([("zero_pad", {"width": 7})], "12345") == "0012345"
    assert render([("zero_pad", {"width": 7})], "") == ""
    # Transforms run in order.
    assert render([("no_hyphens", {}), ("zero_pad", {"width": 8})], "1-23") == "00000123"


def test_checkboxes_choices_fixed_values_and_identifiers() -> None:
    assert render([("checkbox", {})], "1") == "1"
    assert render([("checkbox", {})], "") == "0"
    words = {"checked": "有", "unchecked": "無"}
    assert render([("checkbox", words)], "1") == "有"
    assert render([("choice", {"codes": {"male": "1", "female": "2"}})], "female") == "2"
    with pytest.raises(ColumnError):
        render([("choice", {"codes": {"male": "1"}})], "other")
    assert Column("区分", FIXED, value="A01").render({}, 7, 3) == "A01"
    assert Column("帳票", DOCUMENT_ID).render({}, 7, 3) == "7"
    assert Column("バッチ", BATCH_ID).render({}, 7, 3) == "3"


def test_utf8_with_bom_crlf_quoting_and_formula_escaping() -> None:
    data = write_csv(
        ["氏名", "住所"],
        [(1, ["山田 太郎", '本町1-2,"3"']), (2, ["=HYPERLINK(1)", "+81"])],
        encoding=UTF8_BOM,
    )
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[1] == '山田 太郎,"本町1-2,""3"""'
    assert "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["氏名", "住所"], ["山田 太郎", '本町1-2,"3"'], ["'=HYPERLINK(1)", "'+81"]]


def test_cp932_writes_shift_jis_and_reports_what_it_cannot_hold() -> None:
    # Windows' extensions are CP932: 髙 and ① are written; the wave dash as 0x8160.
    data = write_csv(["氏名"], [(1, ["髙橋 太郎①〜"])], encoding=CP932)
    assert data == b"\x8e\x81\x96\xbc\r\n\xee\xe0\x8b\xb4 \x91\xbe\x98Y\x87@\x81`\r\n"

    with pytest.raises(EncodingRefused) as refused:
        write_csv(
            ["氏名", "住所"],
            [(1, ["山田 太郎", "本町"]), (2, ["𠮷田 鷗子", "本町"]), (3, ["森 花子", "㋿7年"])],
            encoding=CP932,
        )
    assert refused.value.problems == [
        Unencodable(2, "氏名", ("U+20BB7", "U+9DD7")),
        Unencodable(3, "住所", ("U+32FF",)),
    ]


@pytest.mark.django_db
def test_default_columns_write_every_decided_field_and_report_what_they_cannot(catalog) -> None:
    from ocr.exports.columns import CellProblem, default_columns, render_rows

    furusato = catalog["furusato-onestop"]
    definitions = list(furusato.fields.order_by("order", "id"))
    columns = default_columns(definitions)
    assert [c.source for c in columns[:2]] == [DOCUMENT_ID, BATCH_ID]
    assert [c.source for c in columns[2:]] == [d.key for d in definitions]
    assert {c.source for c in columns if c.sensitive} == {d.key for d in definitions if d.sensitive}
    values = {d.key: f"v{n}" for n, d in enumerate(definitions) if d.kind != "checkbox"}
    dated = [*columns, Column("申請日（和暦）", "filed", (("date", {"format": "wareki_ja"}),))]

    rows, problems = render_rows(
        dated, [(11, 5, {**values, "filed": "2025-12-01"}), (12, 5, {"filed": "R07.02.30"})]
    )

    assert problems == [CellProblem(12, "申請日（和暦）", problems[0].reason)]
    assert [document_id for document_id, _cells in rows] == [11]
    text = write_csv([c.header for c in dated], rows, encoding=UTF8_BOM).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert row[:2] == ["11", "5"]
    assert row[-1] == "令和7年12月1日"
    by_header = dict(zip(header, row, strict=True))
    for definition in definitions:
        written = by_header[definition.export_column or definition.key]
        expected = "0" if definition.kind == "checkbox" else values[definition.key]
        assert written == expected, definition.key
