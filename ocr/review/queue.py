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

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ocr.models import Document, ExtractedField
from ocr.permissions import form_types_with, visible_documents

WAITING = (Document.Status.NEEDS_REVIEW, Document.Status.IN_REVIEW)


def lapsed_or_free(now: datetime) -> Q:
    """Documents nobody holds now: waiting, or in review under a lapsed claim.

    Told by the lease, not the status alone: a claim sets the lease first (the conditional
    update of ``services._take``) and the status after, and a document whose lease is live
    is held whatever its status says.
    """
    return Q(status__in=WAITING) & (Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=now))


def _pending_sensitive() -> Exists:
    return Exists(
        ExtractedField.objects.filter(
            document_id=OuterRef("pk"),
            status=ExtractedField.Status.NEEDS_REVIEW,
            definition__sensitive=True,
        )
    )


def _own_first_entry(user: User) -> Exists:
    return Exists(
        ExtractedField.objects.filter(
            document_id=OuterRef("pk"),
            status=ExtractedField.Status.NEEDS_REVIEW,
            pending_entry_by=user,
            document__form_type__second_entry_by_other_clerk=True,
        )
    )


def waiting_documents(user: User) -> QuerySet[Document]:
    """The user's queue, claimed or not, in the order 次へ takes it."""
    sensitive_ok = form_types_with(user, "view_mynumber").values("pk")
    return (
        visible_documents(user)
        .filter(status__in=WAITING)
        .exclude(Q(_pending_sensitive()) & ~Q(form_type__in=sensitive_ok))
        .exclude(_own_first_entry(user))
        .order_by("batch_id", "pk")
    )


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


def counts_by_form_type(queue: QuerySet[Document]) -> list[dict]:
    """Waiting documents per form type name (one grouped query)."""
    return list(
        queue.order_by()
        .values("form_type__code", "form_type__name")
        .annotate(documents=Count("pk"))
        .order_by("form_type__code")
    )


def counts_by_batch(queue: QuerySet[Document], limit: int = 20) -> list[dict]:
    """Waiting documents of the oldest batches (the ones 次へ works through first)."""
    return list(
        queue.order_by()
        .values("batch_id", "form_type__name")
        .annotate(documents=Count("pk"))
        .order_by("batch_id")[:limit]
    )
