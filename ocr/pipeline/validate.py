"""Field validation: normalise a read or typed value, then check it against its field kind.

``normalize(kind, value)`` gives the canonical form that is stored; ``validate(kind, value)``
judges ``normalize(kind, value)``, so it may be given raw OCR output or staff input.
Canonical forms:

- mynumber: 12 ASCII digits; corporate_number: 13; digits: one or more ASCII digits;
  postal_code: exactly 7 digits; phone: 10-11 digits starting with 0; amount: digits
  without separators and no leading zero except "0" itself;
- wareki_date: "R07.12.01"; date: "2025-12-01"; both must be real calendar days inside their
  era, from 1873-01-01 (the Gregorian calendar's adoption) and no later than ``days_ahead``
  days after today (default ``DEFAULT_DAYS_AHEAD``, about a year: a form is filled in now,
  so a date further ahead is a misreading, e.g. 令和67年; a field that legitimately looks
  further ahead declares its own window in the form definition);
- phone: also a possible Japanese number (``yomitoru.lib.phone_number``: 10 digits for a
  fixed line and 0120, 11 for 020/050/070/080/090/0800);
- checkbox: "1" / "0"; choice: one of the printed option values;
- katakana: full-width katakana, ー, ・ and single spaces; text_ja: any text;
- empty: "" (valid unless the field is required).

Error codes are stable (see ``MESSAGES``). Messages are Japanese and never contain the value:
they reach logs and screens, and a My Number must not leak through them.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import jaconv

from forms_catalog.kinds import FieldKind
from yomitoru.lib import corporate_number, mynumber, phone_number, salary_income, wareki

# A date may lie at most this many days after today unless its field declares otherwise.
DEFAULT_DAYS_AHEAD = 366


@dataclass(frozen=True)
class ValidationError:
    code: str
    message: str


MESSAGES: dict[str, str] = {
    "required": "必須項目です。",
    "mynumber_format": "個人番号は12桁の数字で入力してください。",
    "mynumber_all_zero": "個人番号がすべて0になっています。",
    "mynumber_check_digit": "個人番号のチェックデジットが一致しません。",
    "corporate_format": "法人番号は13桁の数字で入力してください。",
    "corporate_check_digit": "法人番号のチェックデジットが一致しません。",
    "digits_format": "数字のみで入力してください。",
    "amount_format": "金額は区切りなしの数字で入力してください（先頭に0は付けません）。",
    "postal_format": "郵便番号は7桁の数字で入力してください。",
    "phone_format": "電話番号は0から始まる10桁または11桁の数字で入力してください。",
    "phone_length": "電話番号の桁数が番号の種類と合いません（固定電話は10桁、携帯電話は11桁）。",
    "date_format": "日付の形式が正しくありません。",
    "date_invalid": "存在しない日付です。",
    "date_too_far_ahead": "日付が先すぎます（この項目に記入できる期間を超えています）。",
    "date_too_early": "明治6年より前の日付は受け付けません（旧暦の日付のため）。",
    "employment_income_mismatch": "給与所得控除後の金額が支払金額から求めた額と一致しません。",
    "katakana_format": "全角カタカナで入力してください。",
    "checkbox_format": "チェック欄の値が正しくありません。",
    "choice_unknown": "選択肢にない値です。",
    "birth_after_application": "生年月日が申請日より後になっています。",
    # Set on an address and its postal code by the dictionary check (ocr/pipeline/postal.py).
    "postal_address_mismatch": "住所が郵便番号の地域（日本郵便の郵便番号データ）と一致しません。",
    "postal_code_unknown": "郵便番号が日本郵便の郵便番号データにありません。",
    # Set by routing (ocr/reading.py), not by a check of the value.
    "page_not_aligned": "ページの位置合わせができなかったため、この項目は確認が必要です。",
}


def describe(code: str) -> str:
    """The message shown to staff for an error code stored on a reading."""
    return MESSAGES.get(code, code)


# Separator characters dropped from digit kinds (after NFKC, which maps full-width forms).
_HYPHENS = "-‐‑‒–—―−ー"
_SEPARATORS: dict[str, str] = {
    FieldKind.DIGITS: _HYPHENS,
    FieldKind.POSTAL_CODE: _HYPHENS + "〒",
    FieldKind.PHONE: _HYPHENS + "()",
    FieldKind.AMOUNT: ",¥\\円",
}

_DIGITS = re.compile(r"[0-9]+")
_AMOUNT = re.compile(r"0|[1-9][0-9]*")
_POSTAL = re.compile(r"[0-9]{7}")
_PHONE = re.compile(r"0[0-9]{9,10}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_LENIENT_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
# Full-width katakana (ァ..ヺ), the long-vowel mark, the middle dot, iteration marks, and
# single spaces between words.
_KATAKANA = re.compile(r"[ァ-ヺー・ヽヾ]+( [ァ-ヺー・ヽヾ]+)*")


def error(code: str, message: str | None = None) -> ValidationError:
    """An error with its standard message (or a more specific value-free one)."""
    return ValidationError(code, message or MESSAGES[code])


# --- normalisation ------------------------------------------------------------------------


def normalize(kind: str, value: str) -> str:
    """The canonical form of a value for its kind; ValueError only for an unknown kind."""
    if kind not in FieldKind.values:
        raise ValueError("unknown field kind")
    if kind == FieldKind.MYNUMBER:
        return mynumber.normalize(value)
    if kind == FieldKind.CORPORATE_NUMBER:
        return corporate_number.normalize(value)
    if kind in _SEPARATORS:
        return _drop(unicodedata.normalize("NFKC", value), _SEPARATORS[kind])
    if kind == FieldKind.WAREKI_DATE:
        return wareki.normalize(value)
    if kind == FieldKind.DATE:
        return _normalize_date(value)
    if kind == FieldKind.KATAKANA:
        return _normalize_katakana(value)
    return unicodedata.normalize("NFKC", value).strip()


def _drop(text: str, separators: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in separators)


def _normalize_date(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    match = _LENIENT_DATE.fullmatch(text)
    if match is None:
        return text
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _normalize_katakana(value: str) -> str:
    text = jaconv.hira2kata(unicodedata.normalize("NFKC", value))
    return " ".join(text.split())


# --- single-field validation --------------------------------------------------------------


def validate(
    kind: str,
    value: str,
    *,
    required: bool,
    options: list[str] | None = None,
    days_ahead: int | None = None,
    today: datetime.date | None = None,
) -> list[ValidationError]:
    """Errors for ``normalize(kind, value)``; empty list when it is valid.

    An empty value is valid unless ``required``. For ``choice``, ``options`` are the allowed
    option values; when it is None the value is not checked against a list. A date must lie
    no later than ``days_ahead`` (default ``DEFAULT_DAYS_AHEAD``) days after ``today``
    (default: today in the project's time zone).
    """
    canonical = normalize(kind, value)
    if canonical == "":
        return [error("required")] if required else []
    if kind == FieldKind.CHOICE:
        return _check_choice(canonical, options)
    errors = _CHECKS.get(kind, _no_check)(canonical)
    if not errors and kind in _DATE_KINDS:
        errors = _check_window(_parsed_date(kind, canonical), days_ahead, today)
    return errors


def _parsed_date(kind: str, canonical: str) -> datetime.date:
    """The date of a canonical value that passed its kind's check."""
    if kind == FieldKind.WAREKI_DATE:
        return wareki.parse(canonical).to_date()
    return datetime.date.fromisoformat(canonical)


def latest_plausible(days_ahead: int | None, today: datetime.date | None = None) -> datetime.date:
    """The last date a field may hold: ``days_ahead`` (default about a year) after today."""
    from django.utils import timezone

    start = today if today is not None else timezone.localdate()
    ahead = DEFAULT_DAYS_AHEAD if days_ahead is None else days_ahead
    return start + datetime.timedelta(days=ahead)


def _check_window(
    date: datetime.date, days_ahead: int | None, today: datetime.date | None
) -> list[ValidationError]:
    if date < wareki.GREGORIAN_ADOPTION:
        return [error("date_too_early")]
    if date > latest_plausible(days_ahead, today):
        return [error("date_too_far_ahead")]
    return []


def _no_check(value: str) -> list[ValidationError]:
    return []


def _check_mynumber(value: str) -> list[ValidationError]:
    if not mynumber.has_valid_format(value):
        return [error("mynumber_format")]
    if mynumber.is_all_zero(value):
        return [error("mynumber_all_zero")]
    if not mynumber.is_valid(value):
        return [error("mynumber_check_digit")]
    return []


def _check_corporate(value: str) -> list[ValidationError]:
    if not corporate_number.has_valid_format(value):
        return [error("corporate_format")]
    if not corporate_number.is_valid(value):
        return [error("corporate_check_digit")]
    return []


def _pattern_check(pattern: re.Pattern[str], code: str) -> Callable[[str], list[ValidationError]]:
    def check(value: str) -> list[ValidationError]:
        return [] if pattern.fullmatch(value) else [error(code)]

    return check


def _check_phone(value: str) -> list[ValidationError]:
    if not _PHONE.fullmatch(value):
        return [error("phone_format")]
    return [] if phone_number.is_valid(value) else [error("phone_length")]


def _check_date(value: str) -> list[ValidationError]:
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return [error("date_format", "日付の形式が正しくありません（例: 2025-12-01）。")]
    year, month, day = (int(part) for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return [error("date_invalid")]
    return []


def _check_wareki(value: str) -> list[ValidationError]:
    if not re.fullmatch(r"[MTSHR][0-9]{2}\.[0-9]{2}\.[0-9]{2}", value):
        return [error("date_format", "和暦の日付の形式が正しくありません（例: R07.12.01）。")]
    try:
        wareki.parse(value)
    except ValueError as exc:
        # wareki's reasons name era boundaries, never the value itself.
        return [error("date_invalid", f"存在しない日付です（{exc}）。")]
    return []


def _check_checkbox(value: str) -> list[ValidationError]:
    return [] if value in ("0", "1") else [error("checkbox_format")]


def _check_choice(value: str, options: list[str] | None) -> list[ValidationError]:
    if options is None:
        return []
    allowed = {normalize(FieldKind.CHOICE, option) for option in options}
    return [] if value in allowed else [error("choice_unknown")]


_CHECKS: dict[str, Callable[[str], list[ValidationError]]] = {
    FieldKind.MYNUMBER: _check_mynumber,
    FieldKind.CORPORATE_NUMBER: _check_corporate,
    FieldKind.DIGITS: _pattern_check(_DIGITS, "digits_format"),
    FieldKind.AMOUNT: _pattern_check(_AMOUNT, "amount_format"),
    FieldKind.POSTAL_CODE: _pattern_check(_POSTAL, "postal_format"),
    FieldKind.PHONE: _check_phone,
    FieldKind.DATE: _check_date,
    FieldKind.WAREKI_DATE: _check_wareki,
    FieldKind.KATAKANA: _pattern_check(_KATAKANA, "katakana_format"),
    FieldKind.TEXT_JA: _no_check,
    FieldKind.CHECKBOX: _check_checkbox,
}


# --- cross-field validation ---------------------------------------------------------------

APPLICATION_DATE_KEY = "application_date"
BIRTH_KEY_PREFIX = "birth"
_DATE_KINDS = frozenset({FieldKind.DATE, FieldKind.WAREKI_DATE})

CrossFieldRule = Callable[[dict[str, str], dict[str, str]], dict[str, list[ValidationError]]]


def as_date(kind: str, value: str) -> datetime.date | None:
    """The Gregorian date held by a date or wareki_date value, or None if empty or invalid."""
    if kind not in _DATE_KINDS:
        return None
    canonical = normalize(kind, value)
    if validate(kind, canonical, required=True):
        return None
    if kind == FieldKind.WAREKI_DATE:
        return wareki.parse(canonical).to_date()
    return datetime.date.fromisoformat(canonical)


def birth_not_after_application(
    values: dict[str, str], kinds: dict[str, str]
) -> dict[str, list[ValidationError]]:
    """Every date field whose key starts with "birth" must not be after "application_date".

    Applies only when the form has a field keyed exactly "application_date" and both dates
    are present and valid (an invalid date is already reported by ``validate``). Either may
    be ``date`` or ``wareki_date``. The error is attached to the birth field.
    """
    if APPLICATION_DATE_KEY not in values:
        return {}
    applied = as_date(kinds.get(APPLICATION_DATE_KEY, ""), values[APPLICATION_DATE_KEY])
    if applied is None:
        return {}
    errors: dict[str, list[ValidationError]] = {}
    for key, value in values.items():
        if not key.startswith(BIRTH_KEY_PREFIX):
            continue
        born = as_date(kinds.get(key, ""), value)
        if born is not None and born > applied:
            errors[key] = [error("birth_after_application")]
    return errors


CROSS_FIELD_RULES: list[CrossFieldRule] = [birth_not_after_application]


def employment_income_agrees(salary: str, income: str) -> bool | None:
    """Does 給与所得控除後の金額 ``income`` follow from 支払金額 ``salary`` by the national table?

    None when either is empty or not a valid amount (nothing to compare). A blank income box
    with a salary is not judged either: the form may leave it to the municipality.
    """
    pair = [normalize(FieldKind.AMOUNT, v) for v in (salary, income)]
    if any(v == "" or validate(FieldKind.AMOUNT, v, required=True) for v in pair):
        return None
    return int(pair[1]) in salary_income.possible_employment_incomes(int(pair[0]))


def _one_digit_misreads(amount: str) -> list[int]:
    """Every amount one misread cell away: one digit changed, or the leading digit lost."""
    out = [int(amount[1:])] if len(amount) > 1 else []
    for i, digit in enumerate(amount):
        for other in "0123456789":
            changed = amount[:i] + other + amount[i + 1 :]
            if other != digit and (changed[0] != "0" or len(changed) == 1):
                out.append(int(changed))
    return out


def employment_income_confirms(salary: str, income: str) -> frozenset[str]:
    """Which of an agreeing pair the other confirms: "salary", "income", both or neither.

    The relation confirms an amount only if no single misread cell of it would still agree:
    the income follows from the salary, so it is confirmed; but the table steps the salary in
    1,000-4,000 yen bands below 6,600,000 yen, so a misread last digits of the salary still
    agree and the salary is then not confirmed. Empty when the pair does not agree.
    """
    if not employment_income_agrees(salary, income):
        return frozenset()
    s, i = int(normalize(FieldKind.AMOUNT, salary)), int(normalize(FieldKind.AMOUNT, income))
    possible = salary_income.possible_employment_incomes
    confirmed = set()
    if not any(i in possible(other) for other in _one_digit_misreads(str(s))):
        confirmed.add("salary")
    if not any(other in possible(s) for other in _one_digit_misreads(str(i))):
        confirmed.add("income")
    return frozenset(confirmed)


def employment_income_pairs(
    values: dict[str, str], salary_fields: dict[str, str]
) -> dict[tuple[str, str], bool]:
    """(income key, salary key) -> whether they agree, for every declared pair both filled.

    ``salary_fields`` maps an income field's key to the key of the 支払金額 it follows from,
    as the form definition declares it (``FieldDefinition.salary_field``).
    """
    judged: dict[tuple[str, str], bool] = {}
    for income_key, salary_key in salary_fields.items():
        if income_key not in values or salary_key not in values:
            continue
        agrees = employment_income_agrees(values[salary_key], values[income_key])
        if agrees is not None:
            judged[(income_key, salary_key)] = agrees
    return judged


def validate_cross_fields(
    values: dict[str, str],
    kinds: dict[str, str],
    salary_fields: dict[str, str] | None = None,
) -> dict[str, list[ValidationError]]:
    """Errors from every rule in ``CROSS_FIELD_RULES`` and the declared pairs, keyed by field.

    A declared 支払金額 / 給与所得控除後の金額 pair that disagrees puts the error on both
    fields: either may be the one misread. Only keys with errors are returned.
    """
    merged: dict[str, list[ValidationError]] = {}
    for rule in CROSS_FIELD_RULES:
        for key, errors in rule(values, kinds).items():
            merged.setdefault(key, []).extend(errors)
    for pair, agrees in employment_income_pairs(values, salary_fields or {}).items():
        if not agrees:
            for key in pair:
                merged.setdefault(key, []).append(error("employment_income_mismatch"))
    return merged
