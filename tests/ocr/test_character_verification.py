"""Character verification: uncertain digit cells of many documents, one digit at a time."""

from __future__ import annotations

import json
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from audit.models import AuditEntry
from forms_catalog.models import FormType
from ocr.disclosure import my_number_digest
from ocr.models import Batch, CellCheck, Document, ExtractedField, Page, ReviewSession
from ocr.review import cells
from ocr.review.services import Effort, ReviewRefused, claim_document
from tests.ocr.documents import read_document
from tests.personas import department_clerks, login

F = ExtractedField.Status
D = Document.Status
FORM = "furusato-onestop"
# The postal code the tests read (the generator draws real codes; this one is fixed here).
POSTAL = "9966984"


def cells_of(definition, value: str) -> str:  # type: ignore[no-untyped-def]
    """The comb as the reader fills it: amounts right-aligned, the others from the left."""
    if definition.kind == "amount":
        return value.rjust(definition.cells)
    return value.ljust(definition.cells)


def wait_on(
    document: Document,
    key: str,
    uncertain: list[int],
    *,
    value: str | None = None,
    reason: str = ExtractedField.Reason.LOW_CONFIDENCE,
) -> ExtractedField:
    """Route one field of a read document to review: its cells read (``value`` if given,
    else the truth), the ``uncertain`` cells below the line."""
    field = document.fields.select_related("definition").get(definition__key=key)
    read = field.ocr_value if value is None else value
    field.ocr_value = read
    field.final_value = ""
    field.ocr_cells = cells_of(field.definition, read)
    field.cell_confidences = [
        0.6 if i in uncertain else 0.999 for i in range(field.definition.cells)
    ]
    field.status = F.NEEDS_REVIEW
    field.review_reason = reason
    field.verified_by = None
    field.save()
    Document.objects.filter(pk=document.pk).update(status=D.NEEDS_REVIEW)
    return field


def copy_document(document: Document) -> Document:
    """Another document of the same batch, sharing the first one's stored page image."""
    page = document.pages.get()
    twin = Document.objects.create(
        batch=document.batch,
        source_file=document.source_file,
        form_type=document.form_type,
        status=D.NEEDS_REVIEW,
    )
    Page.objects.create(
        document=twin,
        number=page.number,
        image=page.image.name,
        aligned_image=page.aligned_image.name,
        width=page.width,
        height=page.height,
        alignment=Page.Alignment.ALIGNED,
    )
    for field in document.fields.all():
        field.pk = None
        field.document = twin
        field.save()
    return twin


@pytest.fixture
def form_type(catalog) -> FormType:
    return catalog[FORM]


@pytest.fixture
def people(form_type) -> dict[str, User]:
    return department_clerks(form_type)


@pytest.fixture
def read(form_type) -> tuple[Document, dict[str, str]]:
    return read_document(form_type)


def screen_of(user: User, batch: Batch, digit: str, seed: int = 1) -> tuple[list, str]:
    shown = cells.cell_screen(user, batch, digit, seed=seed)
    return shown, cells.screen_token(user, batch, shown)


def test_cells_are_grouped_by_the_digit_read_and_empty_cells_are_a_group(read, people):
    document, _truth = read
    postal = wait_on(document, "postal_code", [0, 1, 2, 3, 4, 5, 6], value=POSTAL)
    phone = wait_on(document, "phone", [9, 10])  # "0445551980": cell 10 is empty
    clerk = people["no_mynumber"]
    counts = cells.digit_counts(clerk, document.batch)
    expected = Counter(postal.ocr_cells) + Counter(phone.ocr_cells[9:11])
    assert counts == {d: expected[d] for d in cells.GROUPS if expected[d]}
    assert counts[cells.EMPTY] == 1
    for digit in counts:
        shown = cells.cell_screen(clerk, document.batch, digit, size=100, seed=3)
        assert {c.read for c in shown} == {digit}
    # The postal code's "9" is read twice and "6" twice: two cells per document at most.
    assert len(cells.cell_screen(clerk, document.batch, "9", seed=1)) == 2


def test_a_screen_is_shuffled_and_holds_at_most_two_cells_of_one_document(read, people):
    document, _truth = read
    # Every cell of the postal code "9966984" waits; 24 documents, four "9"/"6" cells each.
    wait_on(document, "postal_code", list(range(7)), value=POSTAL)
    twins = [copy_document(document) for _ in range(23)]
    clerk = people["no_mynumber"]
    assert cells.digit_counts(clerk, document.batch)["9"] == 24 * 2 + 24  # "99" + "9"
    one = cells.cell_screen(clerk, document.batch, "9", seed=1)
    again = cells.cell_screen(clerk, document.batch, "9", seed=1)
    other = cells.cell_screen(clerk, document.batch, "9", seed=2)
    assert len(one) == cells.SCREEN_SIZE == 30
    assert one == again
    assert [(c.field_id, c.cell) for c in one] != [(c.field_id, c.cell) for c in other]
    per_document = Counter(c.document_id for c in one)
    assert max(per_document.values()) <= cells.PER_DOCUMENT == 2
    assert len(per_document) >= 15
    # Not in document order: the shuffle mixes the documents.
    order = [c.document_id for c in one]
    assert order != sorted(order)
    assert {c.document_id for c in one} <= {document.pk, *(t.pk for t in twins)}


def test_my_number_cells_reach_only_a_clerk_with_the_right(read, people):
    document, _truth = read
    wait_on(document, "mynumber", [0, 5])  # "007776317068": cells read "0" and "6"
    with_right = people["owner"]
    without = people["no_mynumber"]
    assert cells.digit_counts(without, document.batch) == {}
    assert cells.cell_screen(without, document.batch, "0", seed=1) == []
    shown = cells.cell_screen(with_right, document.batch, "0", seed=1)
    assert [(c.cell, c.sensitive) for c in shown] == [(0, True)]
    assert cells.digit_counts(people["outsider"], document.batch) == {}


def test_a_claimed_or_auto_accepted_document_offers_no_cells(read, people):
    document, _truth = read
    wait_on(document, "postal_code", [0], value=POSTAL)
    clerk = people["no_mynumber"]
    claim_document(document, acting_user=people["owner"])
    assert cells.digit_counts(clerk, document.batch) == {}


def test_confirming_every_cell_confirms_the_field_and_verifies_the_document(
    read, people, monkeypatch
):
    document, _truth = read
    postal = wait_on(document, "postal_code", [1, 2], value=POSTAL)  # "9" and "6"
    clerk = people["no_mynumber"]
    # The screens opened a minute ago: the effort they report fits in that time.
    opened = time.time() - 60
    monkeypatch.setattr(cells, "time", SimpleNamespace(time=lambda: opened))
    decisions = []
    tokens = []
    for digit in ("9", "6"):
        shown, token = screen_of(clerk, document.batch, digit)
        decisions.append([(c.field_id, c.cell, "") for c in shown])
        tokens.append(token)
    first = cells.check_cells(decisions[0], token=tokens[0], acting_user=clerk, effort=Effort())
    assert (first.checked, first.fields_settled) == (1, 0)
    postal.refresh_from_db()
    assert postal.status == F.NEEDS_REVIEW
    second = cells.check_cells(
        decisions[1], token=tokens[1], acting_user=clerk, effort=Effort(3.0, 4)
    )
    assert (second.checked, second.fields_settled, second.documents_verified) == (1, 1, 1)
    postal.refresh_from_db()
    assert postal.status == F.CONFIRMED
    assert postal.final_value == POSTAL == postal.ocr_value
    assert postal.verified_by == clerk
    document.refresh_from_db()
    assert document.status == D.VERIFIED
    assert document.verified_by == clerk
    assert CellCheck.objects.filter(field=postal).count() == 2
    sessions = ReviewSession.objects.filter(user=clerk, kind=ReviewSession.Kind.CHARACTERS)
    assert sessions.count() == 2
    last = sessions.order_by("-ended_at").first()
    assert last.document is None
    assert last.cells_checked == 1
    assert last.outcome == ReviewSession.Outcome.SUBMITTED
    assert last.keystrokes == 4
    assert last.active_seconds == 3.0
    assert last.fields_confirmed == 1


def test_a_corrected_cell_makes_the_field_corrected_with_a_valid_check_digit(read, people):
    document, truth = read
    number = truth["mynumber"]  # "007776317068"
    misread = number[:3] + "1" + number[4:]  # the "7" of cell 3 read as "1"
    field = wait_on(
        document, "mynumber", [3], value=misread, reason=ExtractedField.Reason.VALIDATION
    )
    handler = people["owner"]
    shown, token = screen_of(handler, document.batch, "1")
    assert [(c.field_id, c.cell) for c in shown] == [(field.pk, 3)]
    outcome = cells.check_cells(
        [(field.pk, 3, "7")], token=token, acting_user=handler, effort=Effort()
    )
    assert (outcome.corrected, outcome.fields_settled, outcome.documents_verified) == (1, 1, 1)
    field.refresh_from_db()
    assert field.status == F.CORRECTED
    assert field.final_value == number
    assert field.ocr_value == misread
    assert field.ocr_cells == number
    assert field.value_digest == my_number_digest(number)
    check = CellCheck.objects.get(field=field)
    assert (check.cell, check.decision, check.checked_by) == (3, "corrected", handler)


def test_cells_that_do_not_validate_leave_the_field_waiting(read, people):
    document, truth = read
    number = truth["mynumber"]
    misread = number[:3] + "1" + number[4:]
    field = wait_on(
        document, "mynumber", [3], value=misread, reason=ExtractedField.Reason.VALIDATION
    )
    handler = people["owner"]
    _shown, token = screen_of(handler, document.batch, "1")
    outcome = cells.check_cells(
        [(field.pk, 3, "")], token=token, acting_user=handler, effort=Effort()
    )
    assert (outcome.checked, outcome.fields_settled, outcome.fields_invalid) == (1, 0, 1)
    field.refresh_from_db()
    assert field.status == F.NEEDS_REVIEW
    assert field.final_value == ""
    document.refresh_from_db()
    assert document.status == D.NEEDS_REVIEW
    # Decided cells are not offered again.
    assert cells.digit_counts(handler, document.batch) == {}


def test_a_document_with_another_field_waiting_stays_in_the_queue(read, people):
    document, _truth = read
    postal = wait_on(document, "postal_code", [0], value=POSTAL)
    wait_on(document, "phone", [0])
    clerk = people["no_mynumber"]
    _shown, token = screen_of(clerk, document.batch, "9")
    outcome = cells.check_cells(
        [(postal.pk, 0, "")], token=token, acting_user=clerk, effort=Effort()
    )
    assert (outcome.fields_settled, outcome.documents_verified) == (1, 0)
    document.refresh_from_db()
    assert document.status == D.NEEDS_REVIEW


def test_decisions_outside_the_grid_or_on_a_claimed_document_are_refused(read, people):
    document, _truth = read
    postal = wait_on(document, "postal_code", [0, 2], value=POSTAL)  # "9" and "6"
    number = wait_on(document, "mynumber", [0])
    clerk = people["no_mynumber"]
    _shown, token = screen_of(clerk, document.batch, "9")
    # Not on this grid: another cell of the field, a My Number cell.
    outside = [(postal.pk, 2, ""), (number.pk, 0, "")]
    outcome = cells.check_cells(outside, token=token, acting_user=clerk, effort=Effort())
    assert (outcome.checked, outcome.refused) == (0, 2)
    # Another person's token is no one else's.
    with pytest.raises(ReviewRefused):
        cells.check_cells(
            [(postal.pk, 0, "")], token=token, acting_user=people["owner"], effort=Effort()
        )
    with pytest.raises(ReviewRefused):
        cells.check_cells([(postal.pk, 0, "")], token="x", acting_user=clerk, effort=Effort())
    # Claimed by a clerk since the grid opened: refused, nothing written.
    claim_document(document, acting_user=people["owner"])
    outcome = cells.check_cells(
        [(postal.pk, 0, "3")], token=token, acting_user=clerk, effort=Effort()
    )
    assert (outcome.checked, outcome.refused) == (0, 1)
    assert not CellCheck.objects.exists()
    postal.refresh_from_db()
    assert postal.ocr_cells.startswith("9966984")


def test_no_value_reaches_the_audit_log(read, people, client):
    document, truth = read
    number = truth["mynumber"]
    misread = number[:3] + "1" + number[4:]
    field = wait_on(
        document, "mynumber", [3], value=misread, reason=ExtractedField.Reason.VALIDATION
    )
    postal = wait_on(document, "postal_code", [0], value=POSTAL)
    handler = people["owner"]
    login(client, handler)
    url = reverse("admin:ocr_reviewitem_cells")
    for digit, typed in (("1", "7"), ("9", "")):
        page = client.get(url, {"batch": document.batch_id, "digit": digit})
        token = page.context["token"]
        name = page.context["items"][0]["name"]
        client.post(
            url,
            {"batch": document.batch_id, "digit": digit, "token": token, name: typed},
        )
    field.refresh_from_db()
    postal.refresh_from_db()
    assert (field.status, postal.status) == (F.CORRECTED, F.CONFIRMED)
    entries = AuditEntry.objects.all()
    assert entries.filter(additional_data__act="check_cell").exists()
    assert entries.filter(additional_data__act="settle_cells").exists()
    text = json.dumps(
        [[e.changes, e.additional_data, e.object_repr] for e in entries], ensure_ascii=False
    )
    for value in (number, misread, truth["postal_code"], number[:3] + "7"):
        assert value not in text


def test_the_grid_logs_one_access_and_its_images_none(read, people, client):
    document, _truth = read
    wait_on(document, "postal_code", [0, 1], value=POSTAL)
    wait_on(document, "mynumber", [0])
    clerk = people["no_mynumber"]
    login(client, clerk)
    before = AuditEntry.objects.count()
    url = reverse("admin:ocr_reviewitem_cells")
    page = client.get(url, {"batch": document.batch_id, "digit": "9"})
    assert page.status_code == 200
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("pk")
    assert entry.additional_data["access"] == "open"
    assert entry.additional_data["cells"] == 2
    assert entry.additional_data["documents"] == 1
    assert entry.additional_data["sensitive_cells"] == 0
    assert entry.additional_data["purpose"] == "character_verification"
    items = page.context["items"]
    assert len(items) == 2
    image = client.get(items[0]["url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert "no-store" in image["Cache-Control"]
    assert AuditEntry.objects.count() == before + 1
    # Not on the grid: the My Number cell, even with the grid's token.
    number = document.fields.get(definition__key="mynumber")
    token = page.context["token"]
    forged = reverse("admin:ocr_reviewitem_cell_image", args=[number.pk, 0]) + f"?t={token}"
    assert client.get(forged).status_code == 404
    # Another person with the same link.
    login(client, people["outsider"])
    assert client.get(items[0]["url"]).status_code == 404
    assert client.get(url, {"batch": document.batch_id}).status_code == 404


def test_a_handler_sees_my_number_cells_and_the_entry_says_so(read, people, client):
    document, _truth = read
    wait_on(document, "mynumber", [0])
    login(client, people["owner"])
    page = client.get(reverse("admin:ocr_reviewitem_cells"), {"batch": document.batch_id})
    assert page.status_code == 200
    assert len(page.context["items"]) == 1
    assert AuditEntry.objects.latest("pk").additional_data["sensitive_cells"] == 1
    assert client.get(page.context["items"][0]["url"]).status_code == 200


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_clerk_corrects_a_cell_by_keyboard_and_confirms_the_screen(live_server, page):
    from forms_catalog.catalog import load_standard_catalog
    from tests.test_journeys import PASSWORD, enrol_totp, shoot

    form_type = {f.code: f for f, _ in load_standard_catalog()}[FORM]
    people = department_clerks(form_type)
    clerk = people["no_mynumber"]
    clerk.set_password(PASSWORD)
    clerk.save()
    document, _truth = read_document(form_type)
    # Documents of one batch whose postal codes' "9" cells the reader was unsure of; on the
    # first one, the second "9" is really a "4" (the clerk sees it in the crop).
    postal = wait_on(document, "postal_code", [0, 1], value=POSTAL)
    twins = [copy_document(document) for _ in range(11)]
    fields = [postal] + [t.fields.get(definition__key="postal_code") for t in twins]

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    if page.locator("#totp-secret").count():
        enrol_totp(page)
    page.click("#home-work-queue")
    page.click("#review-cells-link")
    page.wait_for_selector("#cell-grid")
    page.wait_for_load_state("networkidle")
    inputs = page.locator(".cell-input")
    assert inputs.count() == 24
    assert page.locator("#cell-digit-9").get_attribute("aria-current") == "page"
    # Every crop loaded.
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.cell-item img'))"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    names = [inputs.nth(i).get_attribute("name") for i in range(24)]
    target = f"cell-{postal.pk}-1"
    position = names.index(target)
    # The first cell has the focus: walk to the target with the arrow keys, type the digit.
    for _ in range(position):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.name") == target
    page.keyboard.press("4")
    item = page.locator(f"#{target}").locator("xpath=..")
    assert "changed" in (item.get_attribute("class") or "")
    shoot(page, "character-verification")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messagelist")
    page.wait_for_load_state("networkidle")

    for field in fields:
        field.refresh_from_db()
    assert CellCheck.objects.count() == 24
    postal = fields[0]
    assert postal.ocr_cells.startswith("94")
    # "9466984" is a well-formed postal code: the field is corrected to it.
    assert postal.status == F.CORRECTED
    assert postal.final_value == "9466984"
    assert all(f.status == F.CONFIRMED for f in fields[1:])
    assert all(f.final_value == POSTAL for f in fields[1:])
    assert Document.objects.filter(status=D.VERIFIED).count() == 12
    session = ReviewSession.objects.get(kind=ReviewSession.Kind.CHARACTERS)
    assert session.cells_checked == 24
    assert session.keystrokes >= position + 2
    assert page.locator("#cells-nothing").count() == 1
