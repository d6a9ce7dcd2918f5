"""The verification queue: which documents wait for a person, for whom, in which order.

Read-only querysets. A clerk's queue holds the documents of their departments' batches of
form types they may ``process`` that wait for a decision: ``needs_review``, or ``in_review``
under a claim that has lapsed. Oldest batch first, then oldest document.

What a clerk may not decide is left out of their queue: without ``view_mynumber`` on the
form type, a document whose My Number still needs a person; and where the form type wants
the second entry of a My Number by another clerk, the document whose first entry was theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from forms_catalog.models import FieldDefinition, FormType
from ocr.models import Document, ExtractedField
from ocr.permissions import form_types_with

WAITING = (Document.Status.NEEDS_REVIEW, Document.Status.IN_REVIEW)


def lapsed_or_free(now: datetime) -> Q:
    """Documents nobody holds now: waiting, or in review under a lapsed claim.

    Told by the lease, not the status alone: a claim sets the lease first (the conditional
    update of ``services._take``) and the status after, and a document whose lease is live
    is held whatever its status says.
    """
    return Q(status__in=WAITING) & (Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=now))


def _pending_sensitive(form_types: set[int]) -> QuerySet[ExtractedField, Any]:
    """Documents of these form types whose My Number (a sensitive field) still waits.

    An uncorrelated subquery on the few sensitive definitions' readings (their index), which
    PostgreSQL hashes once, instead of a lookup per waiting document.
    """
    definitions = FieldDefinition.objects.filter(form_type_id__in=form_types, sensitive=True)
    return ExtractedField.objects.filter(
        definition_id__in=list(definitions.values_list("pk", flat=True)),
        status=ExtractedField.Status.NEEDS_REVIEW,
    ).values("document_id")


def _own_first_entry(user: User) -> Exists:
    return Exists(
        ExtractedField.objects.filter(
            document_id=OuterRef("pk"),
            status=ExtractedField.Status.NEEDS_REVIEW,
            pending_entry_by=user,
        )
    )


def waiting_documents(user: User, base: QuerySet[Document] | None = None) -> QuerySet[Document]:
    """The user's queue, claimed or not, in the order 次へ takes it.

    The rights are resolved to ids first (a few small queries), so the planner sees constants
    and the queue's one query leaves out the checks that cannot apply: the My Number check
    only on form types the user may not see My Numbers of, the second-entry check only where
    a form type asks for another clerk. ``base`` is the model's manager to start from (the
    admin's proxy).
    """
    processable = set(form_types_with(user, "process").values_list("pk", flat=True))
    sensitive_ok = set(form_types_with(user, "view_mynumber").values_list("pk", flat=True))
    departments = list(user.groups.values_list("pk", flat=True))
    documents = Document.objects.all() if base is None else base
    waiting = documents.filter(
        form_type_id__in=processable, batch__department_id__in=departments, status__in=WAITING
    )
    without_mynumber = processable - sensitive_ok
    if without_mynumber:
        waiting = waiting.exclude(pk__in=_pending_sensitive(without_mynumber))
    second_entry = set(
        FormType.objects.filter(pk__in=processable, second_entry_by_other_clerk=True).values_list(
            "pk", flat=True
        )
    )
    if second_entry:
        waiting = waiting.exclude(Q(form_type_id__in=second_entry) & Q(_own_first_entry(user)))
    return waiting.order_by("batch_id", "pk")


def claimable(user: User, now: datetime) -> QuerySet[Document]:
    """What 次へ may hand this user now: their queue less what another clerk holds."""
    return waiting_documents(user).filter(lapsed_or_free(now))


def reason_filter(reason: str) -> Exists:
    """Documents with a field waiting for this reason (the queue's 理由 filter)."""
    return Exists(
        ExtractedField.objects.filter(
            document_id=OuterRef("pk"),
            status=ExtractedField.Status.NEEDS_REVIEW,
            review_reason=reason,
        )
    )


def counts(queue: QuerySet[Document], batches: int = 20) -> tuple[list[dict], list[dict]]:
    """Waiting documents per form type, and of the oldest ``batches`` batches (the ones 次へ
    works through first): one grouped query over the queue, summed here."""
    rows = list(
        queue.order_by()
        .values("batch_id", "form_type__code", "form_type__name")
        .annotate(documents=Count("pk"))
        .order_by("batch_id")
    )
    by_form_type: dict[str, dict] = {}
    for row in rows:
        total = by_form_type.setdefault(
            row["form_type__code"],
            {
                "form_type__code": row["form_type__code"],
                "form_type__name": row["form_type__name"],
                "documents": 0,
            },
        )
        total["documents"] += row["documents"]
    return [by_form_type[code] for code in sorted(by_form_type)], rows[:batches]
