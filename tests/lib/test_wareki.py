"""Era dates: canonical parsing, era boundaries, conversion both ways."""

import datetime

import pytest

from yomitoru.lib import wareki

D = datetime.date


def test_eras_table() -> None:
    assert [(e.letter, e.name) for e in wareki.ERAS] == [
        ("M", "明治"),
        ("T", "大正"),
        ("S", "昭和"),
        ("H", "平成"),
        ("R", "令和"),
    ]
    assert [e.start for e in wareki.ERAS] == [
        D(1868, 1, 25),
        D(1912, 7, 30),
        D(1926, 12, 25),
        D(1989, 1, 8),
        D(2019, 5, 1),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R07.12.01", D(2025, 12, 1)),
        ("R01.05.01", D(2019, 5, 1)),  # first day of 令和
        ("H31.04.30", D(2019, 4, 30)),  # last day of 平成
        ("H01.01.08", D(1989, 1, 8)),  # first day of 平成
        ("S64.01.07", D(1989, 1, 7)),  # last day of 昭和
        ("S01.12.25", D(1926, 12, 25)),  # first day of 昭和
        ("T15.12.24", D(1926, 12, 24)),  # last day of 大正
        ("T01.07.30", D(1912, 7, 30)),  # first day of 大正
        ("M45.07.29", D(1912, 7, 29)),  # last day of 明治
        ("M06.01.01", D(1873, 1, 1)),  # first Gregorian day in Japan
        ("R06.02.29", D(2024, 2, 29)),  # leap day
        ("H12.02.29", D(2000, 2, 29)),  # 2000 is a leap year
        ("R99.12.31", D(2117, 12, 31)),  # the current era has no end
    ],
)
def test_parse_valid(value: str, expected: D) -> None:
    parsed = wareki.parse(value)
    assert parsed.to_date() == expected
    assert parsed.canonical() == value


@pytest.mark.parametrize(
    "value",
    [
        "H31.05.01",  # 平成 ended on 31.04.30
        "S64.01.08",  # 昭和 ended on 64.01.07
        "T15.12.25",
        "M45.07.30",
        "R01.04.30",  # 令和 began on 01.05.01
        "H01.01.07",
        "S01.12.24",
        "T01.07.29",
        "H32.01.01",
        "R00.05.01",  # year 0
        "R07.13.01",  # month 13
        "R07.00.01",  # month 0
        "R07.02.30",  # Feb 30
        "R07.02.29",  # 2025 is not a leap year
        "H11.02.29",  # 1999 is not a leap year
        "R07.04.31",
        "R07.12.00",
        "M05.12.31",  # lunisolar calendar
        "M01.01.25",
    ],
)
def test_parse_rejects_nonexistent_dates(value: str) -> None:
    with pytest.raises(ValueError):
        wareki.parse(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "R7.12.1",
        "R07/12/01",
        "令和07.12.01",
        "X07.12.01",
        "r07.12.01",
        "R07.12.01 ",
        "R007.12.01",
    ],
)
def test_parse_requires_canonical_form(value: str) -> None:
    with pytest.raises(ValueError):
        wareki.parse(value)


def test_errors_give_reasons_without_the_value() -> None:
    with pytest.raises(ValueError, match="平成31年4月30日まで"):
        wareki.parse("H31.05.01")
    with pytest.raises(ValueError, match="昭和64年1月7日まで"):
        wareki.to_gregorian("昭和", 64, 1, 8)
    with pytest.raises(ValueError, match="令和元年5月1日から"):
        wareki.to_gregorian("R", 1, 4, 30)
    with pytest.raises(ValueError, match="月は1〜12"):
        wareki.to_gregorian("R", 7, 13, 1)
    with pytest.raises(ValueError, match="年は1"):
        wareki.to_gregorian("R", 0, 5, 1)
    with pytest.raises(ValueError, match="旧暦"):
        wareki.to_gregorian("M", 1, 10, 23)


def test_to_gregorian_accepts_letter_name_or_era() -> None:
    heisei = wareki.era_of("H")
    assert wareki.to_gregorian("H", 31, 4, 30) == D(2019, 4, 30)
    assert wareki.to_gregorian("平成", 31, 4, 30) == D(2019, 4, 30)
    assert wareki.to_gregorian(heisei, 31, 4, 30) == D(2019, 4, 30)
    with pytest.raises(ValueError):
        wareki.to_gregorian("X", 1, 1, 1)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (D(2025, 12, 1), "R07.12.01"),
        (D(2019, 5, 1), "R01.05.01"),
        (D(2019, 4, 30), "H31.04.30"),
        (D(1989, 1, 8), "H01.01.08"),
        (D(1989, 1, 7), "S64.01.07"),
        (D(1926, 12, 25), "S01.12.25"),
        (D(1926, 12, 24), "T15.12.24"),
        (D(1912, 7, 30), "T01.07.30"),
        (D(1912, 7, 29), "M45.07.29"),
        (D(1873, 1, 1), "M06.01.01"),
    ],
)
def test_from_gregorian(date: D, expected: str) -> None:
    assert wareki.from_gregorian(date) == expected


def test_from_gregorian_refuses_lunisolar_dates() -> None:
    with pytest.raises(ValueError):
        wareki.from_gregorian(D(1872, 12, 31))


def test_round_trip_every_day_across_boundaries() -> None:
    day = D(1873, 1, 1)
    while day < D(2030, 1, 1):
        assert wareki.parse(wareki.from_gregorian(day)).to_date() == day
        day += datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R07.12.01", "令和7年12月1日"),
        ("R01.05.01", "令和元年5月1日"),
        ("H31.04.30", "平成31年4月30日"),
        ("S64.01.07", "昭和64年1月7日"),
    ],
)
def test_format_ja(value: str, expected: str) -> None:
    assert wareki.format_ja(value) == expected


def test_format_ja_without_gannen() -> None:
    assert wareki.format_ja("R01.05.01", gannen=False) == "令和1年5月1日"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R07.12.01", "R07.12.01"),
        ("R7.12.1", "R07.12.01"),
        ("r07/12/01", "R07.12.01"),
        ("Ｒ０７．１２．０１", "R07.12.01"),  # full-width
        ("令和7年12月1日", "R07.12.01"),
        ("令和元年5月1日", "R01.05.01"),
        ("平成 31-4-30", "H31.04.30"),
        (" S64.1.7 ", "S64.01.07"),
        ("H31.05.01", "H31.05.01"),  # normalize does not check existence
        ("2025-12-01", "2025-12-01"),  # not an era date: returned as is
        ("", ""),
    ],
)
def test_normalize(value: str, expected: str) -> None:
    assert wareki.normalize(value) == expected
