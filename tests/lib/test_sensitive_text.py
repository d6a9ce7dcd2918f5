"""The detector of numbers in free text, and the generator of the ways a person writes one.

The generator (``written``) is shared with tests/test_free_text_doors.py: it writes a synthetic
My Number or corporate number with digits of every width and script a person or a keyboard
produces, split by separators drawn at random (fixed seed) from every Unicode class the
detector accepts, optionally inside a longer run of digits or surrounded by Japanese text.
Nothing here is a hand-made list of variants except the Japanese context words.
"""

from __future__ import annotations

import datetime
import functools
import random
import unicodedata

import pytest

from yomitoru.lib import corporate_number, mynumber
from yomitoru.lib.sensitive_text import (
    REDACTED,
    contains_number,
    number_spans,
    redact,
)

SEED = 20240610
CASES = 3000

# Ways to write one digit: ASCII, full-width, mathematical styles, superscript, subscript,
# circled, other scripts' decimal digits, kanji numerals.
_DIGIT_FORMS: dict[str, tuple[str, ...]] = {
    "ascii": tuple("0123456789"),
    "fullwidth": tuple(chr(0xFF10 + d) for d in range(10)),
    "math_bold": tuple(chr(0x1D7CE + d) for d in range(10)),
    "math_double": tuple(chr(0x1D7D8 + d) for d in range(10)),
    "math_mono": tuple(chr(0x1D7F6 + d) for d in range(10)),
    "superscript": tuple("⁰¹²³⁴⁵⁶⁷⁸⁹"),
    "subscript": tuple("₀₁₂₃₄₅₆₇₈₉"),
    "circled": tuple("⓪①②③④⑤⑥⑦⑧⑨"),
    "arabic_indic": tuple(chr(0x0660 + d) for d in range(10)),
    "devanagari": tuple(chr(0x0966 + d) for d in range(10)),
    "kanji": tuple("〇一二三四五六七八九"),
}
# Typed as a hyphen by a Japanese input method (katakana prolonged sound mark, half-width too).
_IME_HYPHENS = ("ー", "ｰ")
_CONTEXT_BEFORE = ("", "確認 ", "個人番号は", "申請者：", "（", "番号＝", "理由：本人確認のため ")
_CONTEXT_AFTER = ("", " です。", "）", "の件", "　照会", "を確認しました")


def _separator_class(char: str) -> bool:
    return unicodedata.category(char).startswith(("Z", "P", "S", "Cc"))


@functools.cache
def separator_pool() -> tuple[str, ...]:
    """Every BMP character that is a space, punctuation, symbol or control once NFKC-normalised,
    but a colon.

    (A symbol NFKC turns into letters, such as ㎜, is letters to the detector.)
    """
    pool = []
    for code in range(0x10000):
        char = chr(code)
        if unicodedata.category(char) == "Cs" or not _separator_class(char):
            continue
        normal = unicodedata.normalize("NFKC", char)
        # A colon ends a run (clock times): see sensitive_text._BREAKERS.
        if normal and ":" not in normal and all(_separator_class(part) for part in normal):
            pool.append(char)
    return (*pool, *_IME_HYPHENS)


@functools.cache
def invisible_pool() -> tuple[str, ...]:
    """Invisible or combining characters (format characters, marks): never a visible gap."""
    return tuple(
        chr(code)
        for code in range(0x10000)
        if all(
            unicodedata.category(part) in ("Cf", "Mn", "Me")
            for part in unicodedata.normalize("NFKC", chr(code)) or "x"
        )
    )


def a_number(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return mynumber.synthetic(rng)
    return corporate_number.synthetic(rng)


def _digit_chars(number: str, rng: random.Random) -> list[str]:
    forms = list(_DIGIT_FORMS)
    style = rng.choice(["ascii", "fullwidth", "mixed", "one", "one"])
    if style == "mixed":
        return [_DIGIT_FORMS[rng.choice(forms)][int(d)] for d in number]
    form = style if style != "one" else rng.choice(forms)
    return [_DIGIT_FORMS[form][int(d)] for d in number]


def _width(text: str) -> int:
    """How many separators a reader sees once the text is NFKC-normalised (︙ is three)."""
    return len(unicodedata.normalize("NFKC", text))


def _gap(rng: random.Random) -> str:
    """What a person puts between two groups: 1 to 3 visible separators, maybe invisibles."""
    pool = separator_pool()
    wanted = rng.randint(1, 3)
    if rng.random() < 0.3:
        # The same separator repeated (double spaces, "--").
        char = rng.choice([c for c in rng.sample(pool, 8) if _width(c) == 1] or [" "])
        visible = char * wanted
    else:
        visible = ""
        while not visible or _width(visible) < wanted:
            char = rng.choice(pool)
            if _width(visible + char) > 3:
                break
            visible += char
    if rng.random() < 0.2:
        invisible = "".join(rng.choice(invisible_pool()) for _ in range(rng.randint(1, 4)))
        position = rng.randint(0, len(visible))
        visible = visible[:position] + invisible + visible[position:]
    return visible


def _split_points(length: int, rng: random.Random) -> set[int]:
    mode = rng.choice(["none", "groups", "every", "random"])
    if mode == "none":
        return set()
    if mode == "every":
        return set(range(1, length))
    if mode == "groups":
        size = rng.choice([3, 4])
        offset = length % size
        return {i for i in range(1, length) if (i - offset) % size == 0}
    return {i for i in range(1, length) if rng.random() < 0.3}


def written(number: str, rng: random.Random) -> str:
    """``number`` as a person might write it: digit forms, separators, no context."""
    chars = _digit_chars(number, rng)
    points = _split_points(len(chars), rng)
    out = []
    for index, char in enumerate(chars):
        if index in points:
            out.append(_gap(rng))
        out.append(char)
    return "".join(out)


def in_context(written_number: str, rng: random.Random) -> tuple[str, bool]:
    """The written number in a sentence, or inside a longer run of digits.

    Returns the text and whether the text around the number is free of digits.
    """
    if rng.random() < 0.25:
        before = "".join(
            rng.choice("0123456789０１２３４５６７８９") for _ in range(rng.randint(0, 3))
        )
        after = "".join(rng.choice("0123456789") for _ in range(rng.randint(0 if before else 1, 3)))
        return rng.choice(_CONTEXT_BEFORE) + before + written_number + after, False
    return rng.choice(_CONTEXT_BEFORE) + written_number + rng.choice(_CONTEXT_AFTER), True


def variants(count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``count`` (number, text) pairs, always the same for the same seed."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        number = a_number(rng)
        cases.append((number, in_context(written(number, rng), rng)[0]))
    return cases


def digits_left(text: str) -> str:
    """Every digit a reader could still see in ``text``, in any width or script."""
    out: list[str] = []
    for char in text:
        normal = unicodedata.normalize("NFKC", char)
        out.extend(c for c in normal if unicodedata.decimal(c, None) is not None)
        if char in _DIGIT_FORMS["kanji"]:
            out.append(str(_DIGIT_FORMS["kanji"].index(char)))
    return "".join(out)


# --- The examples from the security test (issue 10, finding 2) -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "確認 0069－6736－2709",
        "確認 0069.6736.2709",
        "0069/6736/2709",
        "0069_6736_2709",
        "0069,6736,2709",
        "0069—6736—2709",
        "0069  6736  2709",
        "００６９６７３６２７０９",
        "0069６７３６2709",
        "12006967362709",  # inside a 14-digit run
        "0069ー6736ー2709",  # the IME's prolonged sound mark as a hyphen
        "〇〇六九六七三六二七〇九",  # kanji numerals
        "0\u03320\u03326\u03329\u03326\u03327\u03323\u03326\u03322\u03327\u03320\u03329",
        "0069\u200b\u200b\u200b\u200b6736 2709",  # invisible characters
        "7000012050002",  # corporate number
        "7-0000-1205-0002",
    ],
)
def test_the_reported_variants_are_found(text: str) -> None:
    assert contains_number(text)
    assert digits_left(redact(text)) == ""


# --- Property tests over generated variants --------------------------------------------------


def test_every_generated_variant_is_found_and_redacted() -> None:
    rng = random.Random(SEED)
    misses = []
    for _ in range(CASES):
        number = a_number(rng)
        text, clean_context = in_context(written(number, rng), rng)
        redacted = redact(text)
        if not contains_number(text) or digits_left(redacted):
            misses.append(text)
        elif clean_context:
            # Only the number is replaced: the sentence around it stays as typed.
            assert redacted.count(REDACTED) == 1
            before, after = redacted.split(REDACTED)
            assert text.startswith(before) and text.endswith(after)
    assert not misses, f"{len(misses)} of {CASES} missed, e.g. {misses[:3]!r}"


def test_without_check_digits_every_long_run_is_redacted() -> None:
    rng = random.Random(SEED + 1)
    for _ in range(CASES // 3):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(12, 16)))
        text = in_context(written(digits, rng), rng)[0]
        assert digits_left(redact(text, check_digits=False)) == ""


def test_a_wrong_check_digit_is_not_a_my_number() -> None:
    rng = random.Random(SEED + 2)
    for _ in range(CASES // 3):
        number = mynumber.synthetic(rng)
        wrong = number[:11] + str((int(number[11]) + rng.randint(1, 9)) % 10)
        text = written(wrong, rng)
        assert not contains_number(text)
        assert contains_number(text) is bool(number_spans(text))
        assert redact(text, check_digits=False) == REDACTED


def test_short_numbers_and_ordinary_text_are_left_alone() -> None:
    for text in (
        "document 42 page 3 took 1234 ms",
        "電話 03-1234-5678 まで",
        "〒100-0001 東京都千代田区千代田1-1",
        "令和6年4月1日 10:30",
        "第一二三号",
        "確認のため",
        "",
    ):
        assert not contains_number(text)
        assert redact(text) == text


def test_separated_by_more_than_a_few_characters_is_two_runs() -> None:
    assert not contains_number("0069    67362709")
    assert not contains_number("0069 確認 67362709")


def test_the_answer_is_the_same_on_the_nfkc_form() -> None:
    """Django's user name field stores the NFKC form: the detector must find the same there."""
    for number, text in variants(CASES // 3, seed=SEED + 4):
        normal = unicodedata.normalize("NFKC", text)
        assert contains_number(normal), (number, text)
        assert number not in digits_left(redact(normal))


def test_the_redaction_is_deterministic_and_idempotent() -> None:
    for _, text in variants(200, seed=SEED + 3):
        once = redact(text)
        assert redact(text) == once
        assert redact(once) == once


def test_date_and_time_stamps_are_not_taken_for_numbers() -> None:
    """Audit changes and object names carry timestamps: they must not be redacted by chance."""
    rng = random.Random(5)
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    stamps = [
        str(
            start
            + datetime.timedelta(seconds=rng.randrange(10**9), microseconds=rng.randrange(10**6))
        )
        for _ in range(2000)
    ]
    assert not [stamp for stamp in stamps if contains_number(stamp)]
