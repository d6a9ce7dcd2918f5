"""Documents waiting for a person, built directly (no image, no OCR): for the queue and the acts.

A document here is what the reading task leaves behind: every field read, the auto-accepted
ones with their value as final value, the ones named in ``review`` waiting with a reason and
no final value. A wrong reading is made by giving ``readings`` another value for a key.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import Group, User
from guardian.shortcuts import assign_perm

from forms_catalog.models import FormType
from ocr.disclosure import value_digest
from ocr.models import Batch, Document, ExtractedField, SourceFile
from tests.personas import make_user
from yomitoru.lib import corporate_number, mynumber


def my_number(first11: str) -> str:
    return first11 + str(mynumber.check_digit(first11))


def corporate(base12: str) -> str:
    return str(corporate_number.check_digit(base12)) + base12


# Synthetic numbers ("00" prefix): valid, and obviously test data.
MY_NUMBER = my_number("00123456789")
OTHER_MY_NUMBER = my_number("00987654321")
THIRD_MY_NUMBER = my_number("00555555551")
BAD_CHECK_DIGIT = MY_NUMBER[:-1] + str((int(MY_NUMBER[-1]) + 1) % 10)

# A valid, consistent reading of each standard form's fields (the rest are left empty).
TRUTH: dict[str, str] = {
    "addressee": "架空市長",
    "application_date": "R07.01.10",
    "postal_code": "1000001",
    "phone": "0312345678",
    "address": "架空県架空市本町1-2-3",
    "name_kana": "カクウ タロウ",
    "name": "架空 太郎",
    "mynumber": MY_NUMBER,
    "sex": "男",
    "birth_date": "S55.04.01",
    "donation_date": "R06.12.01",
    "donation_amount": "30000",
    "req_no_tax_return": "1",
    "req_five_or_fewer": "1",
    "consent": "1",
    "payment_amount": "4000000",
    "payer_name": "架空商事株式会社",
    "payer_corporate_number": corporate("234567890123"),
}


def new_batch(
    form_type: FormType,
    department: Group | None = None,
    status: str = Batch.Status.DONE,
) -> Batch:
    return Batch.objects.create(
        form_type=form_type,
        department=department or form_type.department,
        source=Batch.Source.CLI,
        status=status,
    )


def _source_file(batch: Batch) -> SourceFile:
    return SourceFile.objects.create(
        batch=batch,
        form_type=batch.form_type,
        original_name="scan.png",
        sha256=f"{batch.pk:064x}",
        size=1,
        status=SourceFile.Status.ACCEPTED,
    )


def waiting_document(
    form_type: FormType,
    *,
    batch: Batch | None = None,
    review: Mapping[str, str] | tuple[str, ...] = ("name",),
    readings: Mapping[str, str] | None = None,
    status: str = Document.Status.NEEDS_REVIEW,
) -> Document:
    """A read document whose ``review`` fields (key, or key -> reason) wait for a person."""
    batch = batch or new_batch(form_type)
    reasons = (
        dict(review)
        if isinstance(review, Mapping)
        else dict.fromkeys(review, ExtractedField.Reason.LOW_CONFIDENCE)
    )
    values = {**TRUTH, **(readings or {})}
    document = Document.objects.create(
        batch=batch,
        source_file=_source_file(batch),
        form_type=form_type,
        status=status,
    )
    rows = []
    for definition in form_type.fields.all():
        value = values.get(definition.key, "")
        waiting = definition.key in reasons
        rows.append(
            ExtractedField(
                document=document,
                definition=definition,
                ocr_value=value,
                final_value="" if waiting else value,
                value_digest=value_digest(definition, value),
                confidence=0.5 if waiting else 0.99,
                status=(
                    ExtractedField.Status.NEEDS_REVIEW
                    if waiting
                    else ExtractedField.Status.AUTO_ACCEPTED
                ),
                review_reason=reasons.get(definition.key, ""),
            )
        )
    ExtractedField.objects.bulk_create(rows)
    return document


def many_waiting_documents(
    form_type: FormType, batch: Batch, count: int, keys: tuple[str, ...] = ("name", "address")
) -> list[int]:
    """``count`` waiting documents of one batch, bulk-created with a few auto-accepted fields
    (enough for the queue and a submit); returns their ids in queue order."""
    source = _source_file(batch)
    documents = Document.objects.bulk_create(
        Document(
            batch=batch,
            source_file=source,
            form_type=form_type,
            status=Document.Status.NEEDS_REVIEW,
        )
        for _ in range(count)
    )
    definitions = list(form_type.fields.filter(key__in=keys))
    ExtractedField.objects.bulk_create(
        ExtractedField(
            document=document,
            definition=definition,
            ocr_value=TRUTH[definition.key],
            final_value=TRUTH[definition.key],
            status=ExtractedField.Status.AUTO_ACCEPTED,
        )
        for document in documents
        for definition in definitions
    )
    return sorted(document.pk for document in documents)


def handlers_group(form_type: FormType) -> Group:
    """The owner department's My Number handlers (as ``department_clerks`` names them)."""
    return Group.objects.get(name=f"{form_type.department.name} 個人番号取扱担当")


def second_clerk(form_type: FormType, username: str, *, mynumber_handler: bool = True) -> User:
    """Another clerk of the owner department (after ``department_clerks``)."""
    user = make_user(username, form_type.department)
    if mynumber_handler:
        user.groups.add(handlers_group(form_type))
    return user


def supervisor(form_type: FormType, username: str = "supervisor", group: str = "係長") -> User:
    """A group granted ``supervise`` on the form type, and one person in it."""
    supervisors, _ = Group.objects.get_or_create(name=group)
    assign_perm("forms_catalog.supervise", supervisors, form_type)
    return make_user(username, supervisors)
