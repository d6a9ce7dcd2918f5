"""The clerk's day in the verification queue, by clicks and keys in Debian's Chromium.

Documents are built without OCR (``tests.ocr.documents.read_document`` gives a clean aligned
page whose readings equal the truth); the test then makes some readings wrong or uncertain,
so the clerk's keys have a known right answer. Past the login page no URL is typed.
Screenshots go to ``$YOMITORU_SCREENSHOTS`` when set (``docs/screenshots`` was made that way).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ocr.models import Document, ExtractedField, ReviewSession
from ocr.pipeline.validate import describe
from tests.ocr.documents import read_document
from tests.personas import department_clerks, make_user
from tests.test_journeys import (
    PASSWORD,
    assert_japanese_only,
    mynumber_field,
    region_is_black,
    shoot,
)
from yomitoru.lib.mynumber import MASK

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A valid My Number that is not the truth of any generated form (check digit 8).
OTHER_NUMBER = "123456789018"


def waiting_document(form_type, seed: int, *, wrong: dict[str, str], uncertain: tuple[str, ...]):
    """A read document whose ``wrong`` fields hold a wrong reading and whose ``uncertain``
    fields read right but with low confidence: all of them wait for a person."""
    document, truth = read_document(form_type, seed)
    for field in document.fields.select_related("definition"):
        key = field.definition.key
        if key in wrong or key in uncertain:
            field.ocr_value = wrong.get(key, field.ocr_value)
            field.final_value = ""
            field.status = ExtractedField.Status.NEEDS_REVIEW
            field.review_reason = ExtractedField.Reason.LOW_CONFIDENCE
            field.confidence = 0.4
        else:
            field.status = ExtractedField.Status.AUTO_ACCEPTED
        field.save()
    Document.objects.filter(pk=document.pk).update(status=Document.Status.NEEDS_REVIEW)
    return document, truth


def people(form_type) -> dict[str, User]:
    clerks = department_clerks(form_type)
    handlers = clerks["owner"].groups.exclude(pk=form_type.department_id).get()
    second = make_user("clerk_second", form_type.department)
    second.user_permissions.add(*clerks["no_mynumber"].user_permissions.all())
    second_handler = make_user("handler_second", form_type.department)
    second_handler.groups.add(handlers)
    second_handler.user_permissions.add(*clerks["no_mynumber"].user_permissions.all())
    everyone = {**clerks, "second": second, "second_handler": second_handler}
    for user in everyone.values():
        user.set_password(PASSWORD)
        user.first_name = f"担当{user.pk}"
        user.save()
    return everyone


def sign_in(page, base: str, user: User) -> None:
    """Sign in; a My Number handler also types the code of their authenticator."""
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    if page.locator("#two-factor-form").count():
        device = TOTPDevice.objects.get(user=user)
        page.fill("#id_token", f"{totp(device.bin_key):06d}")
        page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#home-work")


def with_authenticator(user: User) -> None:
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def open_next(page) -> int:
    """From the home page: the queue, then 次へ. Returns the document's id."""
    page.click("#home-work-queue")
    page.click("#review-next button")
    page.wait_for_selector("#review-form")
    page.wait_for_load_state("networkidle")
    return int(page.url.rstrip("/").split("/")[-2])


def field_input(page, document: Document, key: str):
    field = document.fields.get(definition__key=key)
    return page.locator(f"#field-{field.pk}")


@pytest.fixture
def furusato(catalog):
    return catalog["furusato-onestop"]


def test_a_clerk_corrects_two_fields_by_keyboard_and_gets_the_next_document(
    furusato, live_server, page, browser_context
):
    staff = people(furusato)
    first, truth = waiting_document(
        furusato,
        1,
        wrong={"postal_code": "1000000", "phone": "0300000000"},
        uncertain=("addressee",),
    )
    second, _ = waiting_document(furusato, 2, wrong={}, uncertain=("addressee",))

    sign_in(page, live_server.url, staff["no_mynumber"])
    assert open_next(page) == first.pk, "the oldest batch first"
    shoot(page, "review-screen")
    assert_japanese_only(page)
    # The first field to decide has the focus: keys only from here on.
    order = list(
        first.fields.filter(status=ExtractedField.Status.NEEDS_REVIEW)
        .order_by("definition__order")
        .values_list("definition__key", flat=True)
    )
    for key in order:
        if key in ("postal_code", "phone"):
            page.keyboard.press("Control+a")
            page.keyboard.type(truth[key])
        page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/{second.pk}/review/")

    first.refresh_from_db()
    assert first.status == Document.Status.VERIFIED
    assert first.verified_by == staff["no_mynumber"]
    fields = {f.definition.key: f for f in first.fields.select_related("definition")}
    assert fields["postal_code"].status == ExtractedField.Status.CORRECTED
    assert fields["postal_code"].final_value == truth["postal_code"]
    assert fields["phone"].final_value == truth["phone"]
    assert fields["addressee"].status == ExtractedField.Status.CONFIRMED
    session = ReviewSession.objects.get(document=first)
    assert session.outcome == ReviewSession.Outcome.SUBMITTED
    assert session.keystrokes >= len(truth["postal_code"]) + len(truth["phone"])
    assert session.fields_corrected == 2 and session.fields_confirmed == 1

    # Meanwhile a second clerk asks for work: never the document the first one holds.
    other = browser_context.new_page()
    sign_in(other, live_server.url, staff["second"])
    other.click("#home-work-queue")
    other.click("#review-next button")
    other.wait_for_load_state("networkidle")
    assert f"/{second.pk}/review/" not in other.url
    assert "確認待ちの帳票はありません" in other.locator(".messagelist").inner_text()

    # Esc gives the document back; the second clerk then gets it.
    page.keyboard.press("Escape")
    page.wait_for_selector("#review-next")
    other.click("#review-next button")
    other.wait_for_url(f"**/{second.pk}/review/")


def test_a_clerk_without_the_right_sees_masks_and_black_regions_on_the_review_screen(
    furusato, live_server, page
):
    staff = people(furusato)
    document, truth = waiting_document(furusato, 3, wrong={}, uncertain=("addressee", "address"))

    sign_in(page, live_server.url, staff["no_mynumber"])
    assert open_next(page) == document.pk
    page.click("#review-others summary")
    masked = page.locator("#review-field-mynumber .value.masked")
    assert masked.inner_text() == MASK
    assert truth["mynumber"] not in page.content()
    assert region_is_black(page, ".review-page img", mynumber_field(furusato), furusato.page_width)
    shoot(page, "review-screen-masked")


def test_blind_entry_confirms_a_match_and_hands_a_mismatch_to_another_clerk(
    furusato, live_server, page, browser_context
):
    staff = people(furusato)
    furusato.second_entry_by_other_clerk = True
    furusato.save(update_fields=["second_entry_by_other_clerk"])
    for key in ("owner", "second_handler"):
        with_authenticator(staff[key])
    matching, truth = waiting_document(furusato, 4, wrong={}, uncertain=("mynumber",))
    wrong, wrong_truth = waiting_document(
        furusato, 5, wrong={"mynumber": OTHER_NUMBER}, uncertain=()
    )

    sign_in(page, live_server.url, staff["owner"])
    assert open_next(page) == matching.pk
    number = field_input(page, matching, "mynumber")
    assert number.input_value() == "", "the reading is not shown"
    assert truth["mynumber"] not in page.content()
    # The crop of the number to key is shown in clear to a handler.
    crop = page.locator("#review-field-mynumber img.crop")
    assert crop.evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(page, "review-blind-entry")
    page.keyboard.type(truth["mynumber"])
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/{wrong.pk}/review/")
    field = matching.fields.get(definition__key="mynumber")
    assert field.status == ExtractedField.Status.CONFIRMED

    # The reading is wrong: the handler's entry does not match it, so another handler keys it.
    page.keyboard.type(wrong_truth["mynumber"])
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#review-next")
    assert "別の入力担当" in page.locator(".messagelist").inner_text()
    field = wrong.fields.get(definition__key="mynumber")
    assert field.status == ExtractedField.Status.NEEDS_REVIEW
    assert field.pending_entry == wrong_truth["mynumber"]
    # The first handler does not get it again.
    page.click("#review-next button")
    page.wait_for_load_state("networkidle")
    assert f"/{wrong.pk}/review/" not in page.url

    other = browser_context.new_page()
    sign_in(other, live_server.url, staff["second_handler"])
    assert open_next(other) == wrong.pk
    other.keyboard.type(wrong_truth["mynumber"])
    other.keyboard.press("Enter")
    other.keyboard.press("Control+Enter")
    other.wait_for_selector("#review-next")
    field.refresh_from_db()
    assert field.status == ExtractedField.Status.CORRECTED
    assert field.final_value == wrong_truth["mynumber"]
    wrong.refresh_from_db()
    assert wrong.status == Document.Status.VERIFIED


def test_a_supervisor_rejects_an_unreadable_document_and_completes_the_batch(
    furusato, live_server, page
):
    """Batch list → select → action → 実行, twice: the failed document is rejected as
    illegible, and the batch, every document now decided, is complete."""
    from ocr.models import Batch
    from tests.ocr.waiting import new_batch, supervisor
    from tests.ocr.waiting import waiting_document as made_document

    staff = people(furusato)
    boss = supervisor(furusato, username="section_chief")
    boss.groups.add(furusato.department)
    boss.user_permissions.add(*staff["no_mynumber"].user_permissions.all())
    boss.set_password(PASSWORD)
    boss.first_name = "係長"
    boss.save()
    batch = new_batch(furusato)
    failed = made_document(furusato, batch=batch, review=(), status=Document.Status.FAILED)
    made_document(furusato, batch=batch, review=(), status=Document.Status.VERIFIED)

    sign_in(page, live_server.url, boss)
    page.click("#home-work-batches")

    def run(action: str) -> str:
        page.check(f"input.action-select[value='{batch.pk}']")
        page.select_option("select[name=action]", action)
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist")
        return page.locator(".messagelist").inner_text()

    # Not yet: the failed document is still open (the refusal names the batch).
    assert f"#{batch.pk}" in run("complete")
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE
    run("reject_failed")
    failed.refresh_from_db()
    assert (failed.status, failed.rejection) == (
        Document.Status.REJECTED,
        Document.Rejection.ILLEGIBLE,
    )
    run("complete")
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.COMPLETE
    assert_japanese_only(page)


def test_save_keeps_the_document_open_with_what_was_decided(furusato, live_server, page):
    """保存 (the button, not Ctrl+Enter) saves the decisions so far and stays on the document."""
    staff = people(furusato)
    document, truth = waiting_document(
        furusato, 3, wrong={"postal_code": "1000000"}, uncertain=("addressee",)
    )
    waiting_document(furusato, 4, wrong={}, uncertain=("addressee",))

    sign_in(page, live_server.url, staff["no_mynumber"])
    assert open_next(page) == document.pk
    postal = field_input(page, document, "postal_code")
    postal.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(truth["postal_code"])
    page.keyboard.press("Enter")
    page.click("#review-save")
    page.wait_for_selector(".messagelist")

    assert page.url.rstrip("/").endswith(f"/{document.pk}/review")
    reading = document.fields.get(definition__key="postal_code")
    assert (reading.status, reading.final_value) == (
        ExtractedField.Status.CORRECTED,
        truth["postal_code"],
    )
    document.refresh_from_db()
    assert (document.status, document.claimed_by) == (
        Document.Status.IN_REVIEW,
        staff["no_mynumber"],
    )
    # The field still waiting is still asked; the decided one shows its new value.
    assert field_input(page, document, "postal_code").input_value() == truth["postal_code"]


def test_the_screen_refuses_impossible_dates_and_phone_numbers_as_the_clerk_types(
    furusato, live_server, page
):
    staff = people(furusato)
    document, truth = waiting_document(furusato, 6, wrong={}, uncertain=("birth_date", "phone"))
    sign_in(page, live_server.url, staff["no_mynumber"])
    assert open_next(page) == document.pk

    def shows(key: str, typed: str, message: str) -> None:
        box = field_input(page, document, key)
        box.fill(typed)
        row = page.locator(f"#review-field-{key}")
        assert row.locator(".review-check").inner_text() == message, typed
        assert ("invalid" in row.get_attribute("class").split()) == (message != "✓"), typed
        if message != "✓":
            box.press("Enter")  # refused: the field keeps the focus and stays undecided
            assert box.evaluate("e => e === document.activeElement"), typed

    shows("birth_date", "R67.07.23", describe("date_too_far_ahead"))  # 令和67年 = 2085
    shows("birth_date", "R07.02.30", describe("date_invalid"))
    shows("birth_date", "H35.01.01", describe("date_invalid"))  # 平成 ended in its 31st year
    shows("birth_date", "S64.01.08", describe("date_invalid"))  # already 平成
    shows("birth_date", truth["birth_date"], "✓")
    shows("phone", "03123456789", describe("phone_length"))  # a fixed line has 10 digits
    shows("phone", "0901234567", describe("phone_length"))  # a mobile has 11
    shows("phone", "09012345678", "✓")
