"""Japanese era dates (和暦): the canonical form "R07.12.01" and conversion to and from 西暦.

Canonical form: era letter (M 明治, T 大正, S 昭和, H 平成, R 令和), two-digit era year, ".",
two-digit month, ".", two-digit day. Year 1 (元年) is "01".

Era start dates are the first day of each era in the Gregorian calendar; an era ends the day
before the next one starts (so 昭和64年1月7日 exists and 昭和64年1月8日 does not).

Meiji: the era name was proclaimed on 1868-10-23 and applied to the whole year, i.e. from
慶応4年1月1日 = 1868-01-25, which is the start date used here. Japan kept the lunisolar
calendar until 明治5年12月2日 and adopted the Gregorian calendar on 明治6年1月1日 =
1873-01-01, so a month and day written before that are lunisolar and cannot be turned into
a Gregorian date by arithmetic. Both directions therefore refuse dates before 1873-01-01
instead of returning a silently wrong date. No living applicant is affected.

Error messages are Japanese, meant for staff, and never repeat the value that was checked.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    letter: str
    name: str
    start: datetime.date


ERAS: tuple[Era, ...] = (
    Era("M", "明治", datetime.date(1868, 1, 25)),
    Era("T", "大正", datetime.date(1912, 7, 30)),
    Era("S", "昭和", datetime.date(1926, 12, 25)),
    Era("H", "平成", datetime.date(1989, 1, 8)),
    Era("R", "令和", datetime.date(2019, 5, 1)),
)

# First Gregorian day in Japan (明治6年1月1日); earlier dates were lunisolar.
GREGORIAN_ADOPTION = datetime.date(1873, 1, 1)

_BY_KEY: dict[str, Era] = {era.letter: era for era in ERAS} | {era.name: era for era in ERAS}
_CANONICAL = re.compile(r"([MTSHR])([0-9]{2})\.([0-9]{2})\.([0-9]{2})")
# Lenient input: "R7.12.1", "r07/12/01", "令和7年12月1日", "令和元年5月1日", "H 31-4-30".
_LENIENT = re.compile(
    r"(?P<era>[MTSHR]|明治|大正|昭和|平成|令和)\s*(?P<year>[0-9]{1,2}|元)\s*[.\-/年]\s*"
    r"(?P<month>[0-9]{1,2})\s*[.\-/月]\s*(?P<day>[0-9]{1,2})\s*日?"
)


@dataclass(frozen=True)
class WarekiDate:
    era: Era
    year: int
    month: int
    day: int

    def to_date(self) -> datetime.date:
        return to_gregorian(self.era.letter, self.year, self.month, self.day)

    def canonical(self) -> str:
        return f"{self.era.letter}{self.year:02d}.{self.month:02d}.{self.day:02d}"

    def format_ja(self, *, gannen: bool = True) -> str:
        year = "元" if gannen and self.year == 1 else str(self.year)
        return f"{self.era.name}{year}年{self.month}月{self.day}日"


def era_of(key: str) -> Era:
    """The era for a letter ("R") or a kanji name ("令和"). Raises ValueError if unknown."""
    era = _BY_KEY.get(key)
    if era is None:
        raise ValueError("元号が不明です")
    return era


def era_end(era: Era) -> datetime.date | None:
    """The last day of an era, or None for the current one."""
    index = ERAS.index(era)
    if index + 1 == len(ERAS):
        return None
    return ERAS[index + 1].start - datetime.timedelta(days=1)


def to_gregorian(era: str | Era, year: int, month: int, day: int) -> datetime.date:
    """The Gregorian date, or ValueError with a Japanese reason if the date does not exist."""
    era_obj = era if isinstance(era, Era) else era_of(era)
    if year < 1:
        raise ValueError("年は1（元年）以上で指定してください")
    if not 1 <= month <= 12:
        raise ValueError("月は1〜12で指定してください")
    try:
        result = datetime.date(era_obj.start.year + year - 1, month, day)
    except ValueError:
        raise ValueError("存在しない日付です（その月にない日）") from None
    _check_in_era(era_obj, result)
    return result


def _check_in_era(era: Era, date: datetime.date) -> None:
    if date < GREGORIAN_ADOPTION:
        raise ValueError("明治5年以前の日付は旧暦のため変換できません")
    if date < era.start:
        raise ValueError(f"{era.name}は{_ja(era, era.start)}からです")
    end = era_end(era)
    if end is not None and date > end:
        raise ValueError(f"{era.name}は{_ja(era, end)}までです")


def _ja(era: Era, date: datetime.date) -> str:
    """An era boundary written in the era's own terms, e.g. 平成31年4月30日."""
    return WarekiDate(era, date.year - era.start.year + 1, date.month, date.day).format_ja()


def parse(value: str) -> WarekiDate:
    """Parse the canonical form ("R07.12.01"); ValueError if malformed or nonexistent."""
    match = _CANONICAL.fullmatch(value)
    if match is None:
        raise ValueError("和暦の日付の形式が正しくありません（例: R07.12.01）")
    letter, year, month, day = match.groups()
    wareki = WarekiDate(era_of(letter), int(year), int(month), int(day))
    wareki.to_date()
    return wareki


def from_gregorian_date(date: datetime.date) -> WarekiDate:
    """The era date for a Gregorian date (from 1873-01-01 on)."""
    if date < GREGORIAN_ADOPTION:
        raise ValueError("明治5年以前の日付は旧暦のため変換できません")
    era = next(e for e in reversed(ERAS) if e.start <= date)
    return WarekiDate(era, date.year - era.start.year + 1, date.month, date.day)


def from_gregorian(date: datetime.date) -> str:
    """The canonical form for a Gregorian date, e.g. date(2025, 12, 1) -> "R07.12.01"."""
    wareki = from_gregorian_date(date)
    if wareki.year > 99:
        raise ValueError("年が2桁に収まりません")
    return wareki.canonical()


def format_ja(value: str, *, gannen: bool = True) -> str:
    """ "R07.12.01" -> "令和7年12月1日"; year 1 is written 元年 unless gannen is False."""
    return parse(value).format_ja(gannen=gannen)


def normalize(value: str) -> str:
    """Bring a leniently written era date to the canonical form.

    Accepts NFKC variants, lower-case letters, kanji era names, 元年, and ".", "-", "/" or
    年月日 as separators. Returns the input (NFKC, stripped) unchanged when it does not look
    like an era date; it does not check that the date exists.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    match = _LENIENT.fullmatch(text.upper())
    if match is None:
        return text
    year = 1 if match["year"] == "元" else int(match["year"])
    letter = era_of(match["era"]).letter
    return f"{letter}{year:02d}.{int(match['month']):02d}.{int(match['day']):02d}"
