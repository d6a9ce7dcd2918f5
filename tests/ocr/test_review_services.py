"""The review acts (ocr.review.services): claims, decisions on fields, documents and batches.

Every act is checked for its audit entries: exactly one per row it saves, naming the person
and the act, and never a value (the teardown of each test looks for the values used here in
every entry written).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm

import ocr.models
from audit.models import AuditEntry
from forms_catalog.models import FormType
from ocr.disclosure import my_number_digest, value_digest
from ocr.models import Batch, Document, ExtractedField, ReviewSession
from ocr.review.queue import claimable, waiting_documents
from ocr.review.services import (
    CLAIM_ATTEMPTS,
    BlindOutcome,
    Effort,
    ReviewRefused,
    _take,
    claim_document,
    claim_next,
    complete_batch,
    confirm_batch,
    confirm_field,
    correct_field,
    enter_blind,
    held_by,
    holds,
    record_effort,
    reject_document,
    reject_failed,
    release,
    release_claims,
    release_lapsed_claims,
    rerun_failed,
    submit_document,
)
from tests.ocr.waiting import (
    BAD_CHECK_DIGIT,
    MY_NUMBER,
    OTHER_MY_NUMBER,
    THIRD_MY_NUMBER,
    TRUTH,
    corporate,
    new_batch,
    second_clerk,
    supervisor,
    waiting_document,
)
from tests.personas import department_clerks

pytestmark = pytest.mark.django_db

D = Document.Status
F = ExtractedField.Status

CORRECTED_NAME = "架空 花子"
CORRECTED_KANA = "カクウ ハナコ"

# What a person typed or the machine read, none of which may reach an audit entry.
VALUES = (
    MY_NUMBER,
    OTHER_MY_NUMBER,
    THIRD_MY_NUMBER,
    BAD_CHECK_DIGIT,
    CORRECTED_NAME,
    CORRECTED_KANA,
    TRUTH["name"],
    TRUTH["address"],
)


@pytest.fixture(autouse=True)
def _no_value_in_the_audit_log(db) -> Iterator[None]:
    yield
    digests = [my_number_digest(v) for v in (MY_NUMBER, OTHER_MY_NUMBER, THIRD_MY_NUMBER)]
    for entry in AuditEntry.objects.all():
        text = " ".join(
            [
                json.dumps(entry.changes, ensure_ascii=False),
                entry.changes_text or "",
                json.dumps(entry.additional_data, ensure_ascii=False),
                entry.object_repr or "",
                json.dumps(entry.serialized_data, ensure_ascii=False),
            ]
        )
        for value in (*VALUES, *digests):
            assert value not in text, f"a value in audit entry {entry.pk}"


@pytest.fixture
def furusato(catalog) -> FormType:
    return catalog["furusato-onestop"]


@pytest.fixture
def people(furusato) -> dict[str, User]:
    return department_clerks(furusato)


def field(document: Document, key: str) -> ExtractedField:
    return ExtractedField.objects.select_related("definition", "document").get(
        document=document, definition__key=key
    )


def lapse(document: Document) -> None:
    Document.objects.filter(pk=document.pk).update(
        claim_expires_at=timezone.now() - timedelta(minutes=1)
    )


def audit_mark() -> int:
    return AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def acts_since(mark: int) -> list[tuple[str, int, str, str | None]]:
    """(model, row, act, actor's user name) of each entry written after ``mark``."""
    rows = []
    for entry in AuditEntry.objects.filter(pk__gt=mark).order_by("pk"):
        assert entry.action == AuditEntry.Action.UPDATE
        assert set(entry.additional_data) == {"act"}
        actor = entry.actor.get_username() if entry.actor else None
        rows.append(
            (entry.content_type.model, int(entry.object_pk), entry.additional_data["act"], actor)
        )
    return rows


def refused(act: Callable[[], object]) -> ReviewRefused:
    with pytest.raises(ReviewRefused) as caught:
        act()
    # The message is for a person and never holds a value.
    assert all(value not in caught.value.message for value in VALUES)
    return caught.value


# --------------------------------------------------------------------------- the queue


def test_next_takes_the_oldest_batch_first_then_its_oldest_document(furusato, people) -> None:
    older, newer = new_batch(furusato), new_batch(furusato)
    # Made first, but in the newer batch: it comes last.
    late = waiting_document(furusato, batch=newer)
    first = waiting_document(furusato, batch=older)
    second = waiting_document(furusato, batch=older)
    clerks = [people["owner"], people["no_mynumber"], second_clerk(furusato, "clerk_3")]

    taken = [claim_next(acting_user=clerk) for clerk in clerks]

    assert [document.pk for document in taken] == [first.pk, second.pk, late.pk]
    for document, clerk in zip(taken, clerks, strict=True):
        document.refresh_from_db()
        assert (document.status, document.claimed_by) == (D.IN_REVIEW, clerk)
        assert document.claim_expires_at > timezone.now() + timedelta(minutes=14)


def test_next_may_be_narrowed_to_a_form_type_or_a_batch(catalog, furusato, people) -> None:
    older, newer = new_batch(furusato), new_batch(furusato)
    waiting_document(furusato, batch=older)
    wanted = waiting_document(furusato, batch=newer)
    clerk = people["owner"]

    assert claim_next(acting_user=clerk, form_type_code="kyuyo-shiharai") is None
    assert claim_next(acting_user=clerk, batch_id=newer.pk) == wanted


def test_next_offers_only_processable_form_types_of_ones_own_departments(
    catalog, furusato, people
) -> None:
    kyuyo = catalog["kyuyo-shiharai"]
    other_department = Group.objects.get(name="他課")
    own = waiting_document(furusato)
    # The department holds no right on this form type.
    waiting_document(kyuyo, batch=new_batch(kyuyo, furusato.department))
    foreign = waiting_document(furusato, batch=new_batch(furusato, other_department))

    assert claim_next(acting_user=people["outsider"]) is None
    # Granted the same form type, the other department still sees only its own batches.
    assign_perm("forms_catalog.process", other_department, furusato)
    assert claim_next(acting_user=people["owner"]) == own
    assert claim_next(acting_user=people["no_mynumber"]) is None
    assert claim_next(acting_user=people["outsider"]) == foreign
    assert not claimable(people["no_mynumber"], timezone.now()).exists()


def test_a_clerk_without_view_mynumber_never_gets_a_document_whose_my_number_waits(
    furusato, people
) -> None:
    number_waits = waiting_document(furusato, review=("mynumber",))
    name_waits = waiting_document(furusato, review=("name",))
    without = people["no_mynumber"]
    also_without = second_clerk(furusato, "clerk_without_2", mynumber_handler=False)

    assert list(waiting_documents(without)) == [name_waits]
    assert claim_next(acting_user=without) == name_waits
    assert claim_next(acting_user=also_without) is None
    assert refused(lambda: claim_document(number_waits, acting_user=also_without)).code == (
        "not_waiting"
    )
    assert claim_next(acting_user=people["owner"]) == number_waits


def test_two_clerks_never_hold_the_same_document(furusato, people) -> None:
    documents = [waiting_document(furusato) for _ in range(2)]
    clerks = [people["owner"], people["no_mynumber"], second_clerk(furusato, "clerk_3")]

    taken = [claim_next(acting_user=clerk) for clerk in clerks]

    assert taken[:2] == documents and taken[2] is None
    assert refused(lambda: claim_document(documents[0], acting_user=clerks[1])).code == (
        "held_by_other"
    )
    assert Document.objects.get(pk=documents[0].pk).claimed_by == clerks[0]


def test_a_held_document_comes_back_to_the_clerk_who_holds_it(furusato, people) -> None:
    first, other = waiting_document(furusato), waiting_document(furusato)
    clerk = people["owner"]
    held = claim_next(acting_user=clerk)
    mark = audit_mark()

    assert claim_next(acting_user=clerk) == held == first
    # Opening it from the list again neither claims it anew nor writes an entry.
    assert claim_document(first, acting_user=clerk) == first
    assert acts_since(mark) == []
    assert ReviewSession.objects.filter(document=first).count() == 1
    assert held_by(clerk) == first and holds(clerk, Document.objects.get(pk=first.pk))
    assert claim_next(acting_user=people["no_mynumber"]) == other


def test_a_claim_is_one_entry_and_opens_a_session(furusato, people) -> None:
    document = waiting_document(furusato)
    clerk = people["owner"]
    mark = audit_mark()

    claim_next(acting_user=clerk)

    assert acts_since(mark) == [("document", document.pk, "claim", clerk.username)]
    session = ReviewSession.objects.get(document=document)
    assert (session.user, session.outcome, session.kind) == (
        clerk,
        ReviewSession.Outcome.OPEN,
        ReviewSession.Kind.DOCUMENT,
    )
    assert session.form_type == furusato


def test_a_lapsed_claim_goes_to_the_next_clerk_and_the_first_clerks_save_is_refused(
    furusato, people
) -> None:
    document = waiting_document(furusato, review=("name",))
    first, second = people["owner"], people["no_mynumber"]
    claim_next(acting_user=first)
    lapse(document)
    assert held_by(first) is None
    mark = audit_mark()

    taken = claim_next(acting_user=second)

    assert taken == document
    assert (taken.status, taken.claimed_by) == (D.IN_REVIEW, second)
    name = field(document, "name")
    acts: list[Callable[[], object]] = [
        lambda: correct_field(name, CORRECTED_NAME, acting_user=first),
        lambda: confirm_field(name, acting_user=first),
        lambda: record_effort(document, Effort(5, 5), acting_user=first),
        lambda: release(document, acting_user=first),
        lambda: submit_document(document, acting_user=first),
        lambda: reject_document(document, reason="illegible", acting_user=first),
    ]
    for act in acts:
        assert refused(act).code == "claim_lost"
    assert acts_since(mark) == [("document", document.pk, "claim", second.username)]
    outcomes = dict(ReviewSession.objects.filter(document=document).values_list("user", "outcome"))
    assert outcomes == {
        first.pk: ReviewSession.Outcome.LAPSED,
        second.pk: ReviewSession.Outcome.OPEN,
    }
    assert field(document, "name").status == F.NEEDS_REVIEW


def test_a_claim_that_lapsed_untaken_is_taken_again_by_its_clerk(furusato, people) -> None:
    document = waiting_document(furusato)
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    lapse(document)

    assert refused(lambda: release(document, acting_user=clerk)).code == "claim_lost"
    assert claim_next(acting_user=clerk) == document
    assert holds(clerk, Document.objects.get(pk=document.pk))
    sessions = ReviewSession.objects.filter(document=document).order_by("pk")
    assert [s.outcome for s in sessions] == [
        ReviewSession.Outcome.LAPSED,
        ReviewSession.Outcome.OPEN,
    ]


def test_claiming_a_chosen_document(furusato, people) -> None:
    chosen = waiting_document(furusato)
    done = waiting_document(furusato, review=(), status=D.VERIFIED)
    clerk = people["owner"]

    assert refused(lambda: claim_document(done, acting_user=clerk)).code == "not_waiting"
    assert refused(lambda: claim_document(chosen, acting_user=people["outsider"])).code == (
        "not_waiting"
    )
    mark = audit_mark()
    assert claim_document(chosen, acting_user=clerk).claimed_by == clerk
    assert acts_since(mark) == [("document", chosen.pk, "claim", clerk.username)]


def test_without_skip_locked_two_takes_of_one_free_row_succeed_once(furusato, people) -> None:
    """The interleaving two clerks meet when nothing serialises their transactions: both
    read the same free row, then both try to claim it."""
    if connection.features.has_select_for_update_skip_locked:
        pytest.skip("the conditional update is the claim on databases without SKIP LOCKED")
    document = waiting_document(furusato)
    candidates = Document.objects.filter(pk=document.pk)
    now = timezone.now()

    assert _take(candidates, now) == document
    assert _take(candidates, now) is None
    assert CLAIM_ATTEMPTS >= 2


# --------------------------------------------------------------------------- releases


def test_release_gives_the_document_back_and_keeps_the_decisions(furusato, people) -> None:
    document = waiting_document(furusato, review=("name", "address"))
    clerk, other = people["owner"], people["no_mynumber"]
    claim_next(acting_user=clerk)
    correct_field(field(document, "name"), CORRECTED_NAME, acting_user=clerk)
    assert refused(lambda: release(document, acting_user=other)).code == "claim_lost"
    mark = audit_mark()

    release(document, acting_user=clerk)

    document.refresh_from_db()
    assert document.status == D.NEEDS_REVIEW
    assert (document.claimed_by, document.claimed_at, document.claim_expires_at) == (None,) * 3
    assert field(document, "name").final_value == CORRECTED_NAME
    assert acts_since(mark) == [("document", document.pk, "release", clerk.username)]
    session = ReviewSession.objects.get(document=document, user=clerk)
    assert session.outcome == ReviewSession.Outcome.RELEASED and session.ended_at
    assert claim_next(acting_user=other) == document


def test_only_a_supervisor_releases_other_clerks_claims(catalog, furusato, people) -> None:
    documents = [waiting_document(furusato) for _ in range(2)]
    free = waiting_document(furusato)
    clerks = [people["owner"], people["no_mynumber"]]
    for clerk in clerks:
        claim_next(acting_user=clerk)
    boss = supervisor(furusato)
    kyuyo_boss = supervisor(catalog["kyuyo-shiharai"], "kyuyo_boss", group="給与係長")
    everything = Document.objects.all()

    assert release_claims(everything, acting_user=clerks[0]) == 0
    assert release_claims(everything, acting_user=kyuyo_boss) == 0
    mark = audit_mark()
    # As the admin hands it over: joined to the holder, free rows among the selected.
    selected = Document.objects.filter(pk__in=[d.pk for d in [*documents, free]])
    released = release_claims(selected.select_related("claimed_by"), acting_user=boss)

    assert released == 2
    assert acts_since(mark) == [
        ("document", d.pk, "release_by_supervisor", boss.username) for d in documents
    ]
    for document in documents:
        document.refresh_from_db()
        assert (document.status, document.claimed_by) == (D.NEEDS_REVIEW, None)
    assert set(ReviewSession.objects.values_list("outcome", flat=True)) == {
        ReviewSession.Outcome.RELEASED
    }


def test_a_supervisor_releases_claims_listed_in_the_queue(furusato, people) -> None:
    review_item = getattr(ocr.models, "ReviewItem", None)
    if review_item is None:
        pytest.skip("the queue's proxy model is not there")
    document = waiting_document(furusato)
    claim_next(acting_user=people["owner"])
    boss = supervisor(furusato)
    mark = audit_mark()

    queryset = review_item.objects.filter(pk=document.pk).select_related("form_type", "claimed_by")
    assert release_claims(queryset, acting_user=boss) == 1

    # The entry is the document's, as any other act on it.
    assert acts_since(mark) == [("document", document.pk, "release_by_supervisor", boss.username)]


def test_the_sweep_gives_back_lapsed_claims_only(furusato, people) -> None:
    lapsed, live = waiting_document(furusato), waiting_document(furusato)
    claim_next(acting_user=people["owner"])
    claim_next(acting_user=people["no_mynumber"])
    lapse(lapsed)
    mark = audit_mark()

    assert release_lapsed_claims() == 1

    assert acts_since(mark) == [("document", lapsed.pk, "claim_lapsed", None)]
    lapsed.refresh_from_db()
    live.refresh_from_db()
    assert (lapsed.status, lapsed.claimed_by) == (D.NEEDS_REVIEW, None)
    assert (live.status, live.claimed_by) == (D.IN_REVIEW, people["no_mynumber"])
    assert ReviewSession.objects.get(document=lapsed).outcome == ReviewSession.Outcome.LAPSED
    assert release_lapsed_claims() == 0


# --------------------------------------------------------------------------- fields


def test_a_correction_is_normalised_and_a_value_equal_to_the_reading_confirms(
    furusato, people
) -> None:
    document = waiting_document(
        furusato,
        review=("name_kana", "donation_amount", "postal_code"),
        readings={"postal_code": "1000009"},
    )
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    mark = audit_mark()

    kana = correct_field(field(document, "name_kana"), "かくう　はなこ", acting_user=clerk)
    amount = correct_field(field(document, "donation_amount"), "３０，０００円", acting_user=clerk)
    postal = correct_field(field(document, "postal_code"), "〒100-0001", acting_user=clerk)

    assert (kana.status, kana.final_value) == (F.CORRECTED, CORRECTED_KANA)
    assert (amount.status, amount.final_value) == (F.CONFIRMED, "30000")
    assert (postal.status, postal.final_value) == (F.CORRECTED, "1000001")
    for decided in (kana, amount, postal):
        stored = ExtractedField.objects.get(pk=decided.pk)
        assert stored.final_value == decided.final_value
        assert (stored.verified_by, stored.pending_entry) == (clerk, "")
        assert stored.verified_at is not None
    assert acts_since(mark) == [
        ("extractedfield", decided.pk, "correct_field", clerk.username)
        for decided in (kana, amount, postal)
    ]


def test_a_decided_field_no_longer_carries_its_readings_validation_errors(furusato, people) -> None:
    document = waiting_document(
        furusato, review={"address": ExtractedField.Reason.VALIDATION}, readings={"address": ""}
    )
    ExtractedField.objects.filter(document=document, definition__key="address").update(
        validation_errors=["required"]
    )
    clerk = people["owner"]
    claim_next(acting_user=clerk)

    corrected = correct_field(
        field(document, "address"), "架空県架空市本町1-2-3", acting_user=clerk
    )

    stored = ExtractedField.objects.get(pk=corrected.pk)
    assert (stored.status, stored.validation_errors) == (F.CORRECTED, [])
    assert stored.review_reason == ExtractedField.Reason.VALIDATION


def test_a_correction_is_validated_on_the_server(catalog) -> None:
    kyuyo = catalog["kyuyo-shiharai"]
    clerk = department_clerks(kyuyo)["owner"]
    document = waiting_document(
        kyuyo, review=("birth_date", "payer_corporate_number", "payment_amount")
    )
    claim_next(acting_user=clerk)
    mark = audit_mark()
    number = corporate("234567890123")
    wrong_check_digit = str((int(number[0]) + 1) % 10) + number[1:]

    cases = [
        ("birth_date", "令和7年2月30日", "date_invalid"),
        ("birth_date", "きのう", "date_format"),
        ("payer_corporate_number", wrong_check_digit, "corporate_check_digit"),
        ("payer_corporate_number", number[:5], "corporate_format"),
        ("payment_amount", "", "required"),
        ("payment_amount", "01000", "amount_format"),
    ]
    for key, value, code in cases:
        reading = field(document, key)
        assert refused(lambda r=reading, v=value: correct_field(r, v, acting_user=clerk)).code == (
            code
        )
        stored = ExtractedField.objects.get(pk=reading.pk)
        assert (stored.status, stored.final_value) == (F.NEEDS_REVIEW, "")
    assert acts_since(mark) == []


def test_confirming_keeps_the_reading_and_refuses_one_that_does_not_validate(
    furusato, people
) -> None:
    document = waiting_document(
        furusato,
        review=("name", "application_date"),
        readings={"application_date": "R07.02.30"},
    )
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    mark = audit_mark()

    confirmed = confirm_field(field(document, "name"), acting_user=clerk)

    assert (confirmed.status, confirmed.final_value) == (F.CONFIRMED, TRUTH["name"])
    assert confirmed.verified_by == clerk
    date = field(document, "application_date")
    assert refused(lambda: confirm_field(date, acting_user=clerk)).code == "date_invalid"
    assert field(document, "application_date").status == F.NEEDS_REVIEW
    assert acts_since(mark) == [("extractedfield", confirmed.pk, "confirm_field", clerk.username)]


def test_a_clerk_may_change_a_decided_or_auto_accepted_field_before_submitting(
    furusato, people
) -> None:
    document = waiting_document(furusato, review=("name",))
    clerk = people["owner"]
    claim_next(acting_user=clerk)

    correct_field(field(document, "name"), CORRECTED_NAME, acting_user=clerk)
    again = correct_field(field(document, "name"), TRUTH["name"], acting_user=clerk)
    address = correct_field(field(document, "address"), "架空県架空市本町9", acting_user=clerk)

    assert (again.status, again.final_value) == (F.CONFIRMED, TRUTH["name"])
    assert address.status == F.CORRECTED


def test_a_my_number_is_only_keyed_in_blind(furusato, people) -> None:
    document = waiting_document(furusato, review=("mynumber",))
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    number = field(document, "mynumber")

    assert refused(lambda: correct_field(number, MY_NUMBER, acting_user=clerk)).code == (
        "blind_entry"
    )
    assert refused(lambda: confirm_field(number, acting_user=clerk)).code == "blind_entry"
    assert refused(lambda: enter_blind(number, BAD_CHECK_DIGIT, acting_user=clerk)).code == (
        "mynumber_check_digit"
    )
    assert refused(lambda: enter_blind(number, MY_NUMBER[:11], acting_user=clerk)).code == (
        "mynumber_format"
    )
    stored = field(document, "mynumber")
    assert (stored.status, stored.final_value, stored.pending_entry) == (F.NEEDS_REVIEW, "", "")


def test_a_blind_entry_equal_to_the_reading_confirms_it(furusato, people) -> None:
    document = waiting_document(furusato, review=("mynumber",))
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    mark = audit_mark()

    # Full-width digits with spaces, as a Japanese input method may give them.
    outcome = enter_blind(
        field(document, "mynumber"), "００１２ ３４５６ ７８９２", acting_user=clerk
    )

    assert outcome == BlindOutcome("confirmed")
    stored = field(document, "mynumber")
    assert (stored.status, stored.final_value, stored.verified_by) == (
        F.CONFIRMED,
        MY_NUMBER,
        clerk,
    )
    assert stored.value_digest == value_digest(stored.definition, MY_NUMBER)
    assert acts_since(mark) == [("extractedfield", stored.pk, "blind_entry", clerk.username)]


def stored_pending_entry(reading: ExtractedField) -> str:
    """The column as the database holds it (ciphertext)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pending_entry FROM ocr_extractedfield WHERE id = %s", [reading.pk])
        return str(cursor.fetchone()[0])


def test_a_blind_entry_that_does_not_match_waits_encrypted_for_a_second(furusato, people) -> None:
    document = waiting_document(
        furusato, review=("mynumber",), readings={"mynumber": OTHER_MY_NUMBER}
    )
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    mark = audit_mark()

    first = enter_blind(field(document, "mynumber"), MY_NUMBER, acting_user=clerk)

    assert first == BlindOutcome("again", other_clerk=False)
    waiting = field(document, "mynumber")
    assert (waiting.status, waiting.final_value) == (F.NEEDS_REVIEW, "")
    assert (waiting.pending_entry, waiting.pending_entry_by) == (MY_NUMBER, clerk)
    assert MY_NUMBER not in stored_pending_entry(waiting)
    assert refused(lambda: submit_document(document, acting_user=clerk)).code == "fields_waiting"

    second = enter_blind(field(document, "mynumber"), MY_NUMBER, acting_user=clerk)

    assert second == BlindOutcome("corrected")
    settled = field(document, "mynumber")
    assert (settled.status, settled.final_value) == (F.CORRECTED, MY_NUMBER)
    assert (settled.pending_entry, settled.pending_entry_by) == ("", None)
    assert settled.value_digest == value_digest(settled.definition, MY_NUMBER)
    assert acts_since(mark) == [
        ("extractedfield", settled.pk, "blind_entry_mismatch", clerk.username),
        ("extractedfield", settled.pk, "blind_entry", clerk.username),
    ]


def test_every_blind_entry_is_one_entry_even_when_the_entries_keep_differing(
    furusato, people
) -> None:
    document = waiting_document(
        furusato, review=("mynumber",), readings={"mynumber": OTHER_MY_NUMBER}
    )
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    mark = audit_mark()

    outcomes = [
        enter_blind(field(document, "mynumber"), entry, acting_user=clerk).result
        for entry in (THIRD_MY_NUMBER, MY_NUMBER, MY_NUMBER)
    ]

    assert outcomes == ["again", "again", "corrected"]
    reading = field(document, "mynumber")
    assert reading.final_value == MY_NUMBER
    assert [act for *_, act, _actor in acts_since(mark)] == [
        "blind_entry_mismatch",
        "blind_entry_mismatch",
        "blind_entry",
    ]


def test_two_blank_blind_entries_settle_a_number_that_is_not_on_the_paper(catalog) -> None:
    kyuyo = catalog["kyuyo-shiharai"]
    clerk = department_clerks(kyuyo)["owner"]
    # A stray mark read as a valid number in the (optional) spouse's box, which is empty.
    document = waiting_document(
        kyuyo, review=("spouse_mynumber",), readings={"spouse_mynumber": OTHER_MY_NUMBER}
    )
    claim_next(acting_user=clerk)

    first = enter_blind(field(document, "spouse_mynumber"), "", acting_user=clerk)
    second = enter_blind(field(document, "spouse_mynumber"), "", acting_user=clerk)

    assert (first.result, second.result) == ("again", "corrected")
    settled = field(document, "spouse_mynumber")
    assert (settled.status, settled.final_value) == (F.CORRECTED, "")
    # The number the machine imagined is no longer found by a lookup of this document.
    assert settled.value_digest == ""


def test_only_a_my_number_handler_keys_a_my_number_in(furusato, people) -> None:
    document = waiting_document(furusato, review=("name",))
    without = people["no_mynumber"]
    assert claim_next(acting_user=without) == document

    number = field(document, "mynumber")
    assert refused(lambda: enter_blind(number, MY_NUMBER, acting_user=without)).code == "no_right"


def test_where_the_form_says_so_the_second_entry_is_another_clerks(furusato, people) -> None:
    FormType.objects.filter(pk=furusato.pk).update(second_entry_by_other_clerk=True)
    document = waiting_document(
        furusato, review=("mynumber",), readings={"mynumber": OTHER_MY_NUMBER}
    )
    first, second = people["owner"], second_clerk(furusato, "clerk_with_mynumber_2")
    claim_next(acting_user=first)

    outcome = enter_blind(field(document, "mynumber"), MY_NUMBER, acting_user=first)

    assert outcome == BlindOutcome("again", other_clerk=True)
    again = field(document, "mynumber")
    assert refused(lambda: enter_blind(again, MY_NUMBER, acting_user=first)).code == "same_clerk"
    assert field(document, "mynumber").pending_entry_by == first
    release(document, acting_user=first)
    assert document not in waiting_documents(first)
    assert claim_next(acting_user=first) is None
    # Nor does a clerk without the right get it.
    assert claim_next(acting_user=people["no_mynumber"]) is None

    assert claim_next(acting_user=second) == document
    settled = enter_blind(field(document, "mynumber"), MY_NUMBER, acting_user=second)

    assert settled == BlindOutcome("corrected")
    reading = field(document, "mynumber")
    assert (reading.final_value, reading.verified_by) == (MY_NUMBER, second)
    submit_document(document, acting_user=second)
    assert Document.objects.get(pk=document.pk).verified_by == second


# --------------------------------------------------------------------------- documents


def test_submit_waits_for_every_field_then_verifies_and_closes_the_session(
    furusato, people
) -> None:
    document = waiting_document(furusato, review=("name", "donation_amount"))
    clerk = people["owner"]
    claim_next(acting_user=clerk)

    waiting = refused(lambda: submit_document(document, acting_user=clerk))
    assert waiting.code == "fields_waiting"
    assert field(document, "name").definition.label in waiting.message
    correct_field(field(document, "name"), CORRECTED_NAME, acting_user=clerk)
    confirm_field(field(document, "donation_amount"), acting_user=clerk)
    mark = audit_mark()

    submitted = submit_document(document, acting_user=clerk)

    stored = Document.objects.get(pk=document.pk)
    for row in (submitted, stored):
        assert (row.status, row.verified_by) == (D.VERIFIED, clerk)
        assert row.verified_at is not None
        assert (row.claimed_by, row.claimed_at, row.claim_expires_at) == (None,) * 3
    assert acts_since(mark) == [("document", document.pk, "submit_document", clerk.username)]
    session = ReviewSession.objects.get(document=document)
    assert session.outcome == ReviewSession.Outcome.SUBMITTED
    assert session.ended_at is not None
    assert (session.fields_corrected, session.fields_confirmed) == (1, 1)
    assert claim_next(acting_user=clerk) is None
    assert refused(lambda: submit_document(document, acting_user=clerk)).code == "claim_lost"


def test_submit_refuses_what_contradicts_itself_across_fields(furusato, people) -> None:
    document = waiting_document(furusato, review=("birth_date",))
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    # Valid on its own: born after the application date.
    correct_field(field(document, "birth_date"), "R07.05.01", acting_user=clerk)

    assert refused(lambda: submit_document(document, acting_user=clerk)).code == (
        "birth_after_application"
    )
    assert Document.objects.get(pk=document.pk).status == D.IN_REVIEW


def test_a_clerk_clears_an_optional_field_read_where_nothing_is_written(furusato, people) -> None:
    document = waiting_document(furusato, review=("phone",), readings={"phone": "0312345678"})
    clerk = people["owner"]
    claim_next(acting_user=clerk)

    cleared = correct_field(field(document, "phone"), "", acting_user=clerk)

    assert (cleared.status, cleared.final_value) == (F.CORRECTED, "")
    submit_document(document, acting_user=clerk)
    assert field(document, "phone").final_value == ""


def test_reject_needs_a_reason_and_ends_the_review(furusato, people) -> None:
    document = waiting_document(furusato, review=("name",))
    clerk = people["owner"]
    claim_next(acting_user=clerk)

    assert (
        refused(lambda: reject_document(document, reason="bored", acting_user=clerk)).code
        == "rejection_reason"
    )
    mark = audit_mark()
    rejected = reject_document(document, reason=Document.Rejection.ILLEGIBLE, acting_user=clerk)

    stored = Document.objects.get(pk=document.pk)
    for row in (rejected, stored):
        assert (row.status, row.rejection, row.rejected_by) == (D.REJECTED, "illegible", clerk)
        assert row.rejected_at is not None and row.claimed_by is None
    assert acts_since(mark) == [("document", document.pk, "reject_document", clerk.username)]
    assert ReviewSession.objects.get(document=document).outcome == ReviewSession.Outcome.REJECTED
    assert claim_next(acting_user=clerk) is None


def test_effort_is_added_within_the_wall_clock_and_renews_the_claim(
    furusato, people, monkeypatch
) -> None:
    document = waiting_document(furusato)
    clerk = people["owner"]
    claim_next(acting_user=clerk)
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    ReviewSession.objects.filter(document=document).update(
        started_at=frozen - timedelta(seconds=60)
    )
    Document.objects.filter(pk=document.pk).update(claim_expires_at=frozen + timedelta(seconds=5))
    mark = audit_mark()

    record_effort(document, Effort(active_seconds=20, keystrokes=300), acting_user=clerk)
    session = ReviewSession.objects.get(document=document)
    assert (session.active_seconds, session.keystrokes) == (20, 300)
    # More than the minute since the claim allows: capped, in total, to what it allows.
    record_effort(document, Effort(active_seconds=100, keystrokes=1000), acting_user=clerk)
    session.refresh_from_db()
    assert session.active_seconds == 60
    assert session.keystrokes == 60 * 20
    record_effort(document, Effort(active_seconds=-5, keystrokes=-3), acting_user=clerk)
    session.refresh_from_db()
    assert (session.active_seconds, session.keystrokes) == (60, 1200)

    document.refresh_from_db()
    assert document.claim_expires_at == frozen + timedelta(minutes=15)
    # The lease is not an act: no entry per heartbeat.
    assert acts_since(mark) == []


# --------------------------------------------------------------------------- batches


def test_a_supervisor_confirms_a_batchs_auto_accepted_documents(furusato, people) -> None:
    batch = new_batch(furusato)
    accepted = [
        waiting_document(furusato, batch=batch, review=(), status=D.AUTO_ACCEPTED) for _ in range(2)
    ]
    waiting = waiting_document(furusato, batch=batch)
    boss = supervisor(furusato)

    assert refused(lambda: confirm_batch(batch, acting_user=people["owner"])).code == "no_right"
    mark = audit_mark()
    assert confirm_batch(batch, acting_user=boss) == 2

    assert acts_since(mark) == [
        ("document", document.pk, "confirm_batch", boss.username) for document in accepted
    ]
    for document in accepted:
        document.refresh_from_db()
        assert (document.status, document.verified_by) == (D.VERIFIED, boss)
    assert Document.objects.get(pk=waiting.pk).status == D.NEEDS_REVIEW


def test_a_form_type_may_forbid_confirming_a_batch(furusato, people) -> None:
    FormType.objects.filter(pk=furusato.pk).update(allow_batch_confirm=False)
    batch = new_batch(FormType.objects.get(pk=furusato.pk))
    document = waiting_document(furusato, batch=batch, review=(), status=D.AUTO_ACCEPTED)

    assert refused(lambda: confirm_batch(batch, acting_user=supervisor(furusato))).code == (
        "not_allowed"
    )
    assert Document.objects.get(pk=document.pk).status == D.AUTO_ACCEPTED


def test_failed_documents_are_read_again(furusato, people, monkeypatch) -> None:
    queued_tasks: list[int] = []
    monkeypatch.setattr("ocr.tasks.enqueue_document", queued_tasks.append)
    batch = new_batch(furusato)
    failed = [waiting_document(furusato, batch=batch, review=(), status=D.FAILED) for _ in range(2)]
    waiting_document(furusato, batch=batch)
    clerk = people["owner"]

    assert refused(lambda: rerun_failed(batch, acting_user=people["outsider"])).code == ("no_right")
    mark = audit_mark()
    assert rerun_failed(batch, acting_user=clerk) == 2

    assert queued_tasks == [document.pk for document in failed]
    assert acts_since(mark) == [
        *[("document", document.pk, "rerun_failed", clerk.username) for document in failed],
        ("batch", batch.pk, "rerun_failed", clerk.username),
    ]
    assert set(
        Document.objects.filter(pk__in=[d.pk for d in failed]).values_list("status", flat=True)
    ) == {D.QUEUED}
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.PROCESSING
    assert rerun_failed(batch, acting_user=clerk) == 0


def test_a_supervisor_rejects_unreadable_documents_so_the_batch_can_complete(
    furusato, people
) -> None:
    batch = new_batch(furusato)
    failed = waiting_document(furusato, batch=batch, review=(), status=D.FAILED)
    verified = waiting_document(furusato, batch=batch, review=(), status=D.VERIFIED)
    clerk = people["owner"]
    assert refused(lambda: complete_batch(batch, acting_user=clerk)).code == "documents_open"
    assert refused(lambda: reject_failed(batch, acting_user=clerk)).code == "no_right"
    boss = supervisor(furusato)
    mark = audit_mark()

    assert reject_failed(batch, acting_user=boss) == 1

    assert acts_since(mark) == [("document", failed.pk, "reject_failed", boss.username)]
    failed.refresh_from_db()
    assert (failed.status, failed.rejection, failed.rejected_by) == (
        D.REJECTED,
        Document.Rejection.ILLEGIBLE,
        boss,
    )
    assert Document.objects.get(pk=verified.pk).status == D.VERIFIED
    assert reject_failed(batch, acting_user=boss) == 0
    assert complete_batch(batch, acting_user=clerk).status == Batch.Status.COMPLETE


def test_a_batch_completes_once_every_document_is_decided(furusato, people) -> None:
    batch = new_batch(furusato, status=Batch.Status.PROCESSING)
    open_document = waiting_document(furusato, batch=batch)
    waiting_document(furusato, batch=batch, review=(), status=D.VERIFIED)
    clerk = people["owner"]

    assert refused(lambda: complete_batch(batch, acting_user=people["outsider"])).code == (
        "no_right"
    )
    assert refused(lambda: complete_batch(batch, acting_user=clerk)).code == "documents_open"
    claim_next(acting_user=clerk)
    reject_document(open_document, reason="duplicate", acting_user=clerk)
    assert refused(lambda: complete_batch(batch, acting_user=clerk)).code == "not_read"
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.DONE)
    mark = audit_mark()

    completed = complete_batch(batch, acting_user=clerk)

    assert completed.status == Batch.Status.COMPLETE
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.COMPLETE
    assert acts_since(mark) == [("batch", batch.pk, "complete_batch", clerk.username)]


def test_batch_acts_stay_within_ones_own_departments(furusato, people) -> None:
    """Another department granted the same form type works on its own batches only."""
    other_department = Group.objects.get(name="他課")
    assign_perm("forms_catalog.process", other_department, furusato)
    batch = new_batch(furusato)
    failed = waiting_document(furusato, batch=batch, review=(), status=D.FAILED)
    outsider = people["outsider"]

    assert refused(lambda: rerun_failed(batch, acting_user=outsider)).code == "no_right"
    assert Document.objects.get(pk=failed.pk).status == D.FAILED
    Document.objects.filter(pk=failed.pk).update(status=D.REJECTED)
    assert refused(lambda: complete_batch(batch, acting_user=outsider)).code == "no_right"
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE
