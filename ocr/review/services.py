"""Every act of a clerk or supervisor on a document and its readings: one function per act.

Each function runs in one transaction, takes the person as the keyword-only ``acting_user``,
moves statuses only through ``ocr.transitions`` and writes with ``save(update_fields=...)``
row by row: django-auditlog sees each change through the save signals and writes one entry
per row saved, naming the person and the act (``audit_act``), never a value (values are
excluded from the audit registry). A refused act raises ``ReviewRefused`` with a stable code
and a Japanese message that never contains the value.

Claims are leases: 次へ (``claim_next``) takes the oldest waiting document nobody holds and
holds it until ``claim_expires_at``; every save renews the lease, and a lapsed claim is
taken over by the next clerk who asks. Two clerks never hold one document: on PostgreSQL the
claim locks the row with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a second clerk skips it
without waiting); on SQLite, whose transactions here take the write lock at BEGIN, a
conditional update re-checks that the row is still free.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditlog import get_logentry_model
from auditlog.context import auditlog_value, set_actor
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from forms_catalog.kinds import FieldKind
from ocr.disclosure import value_digest
from ocr.models import Batch, Document, ExtractedField, ReviewSession
from ocr.permissions import can_view_mynumber, has_form_perm, visible_batches
from ocr.pipeline.validate import describe, normalize, validate, validate_cross_fields
from ocr.review.queue import claimable, lapsed_or_free, waiting_documents
from ocr.transitions import DECIDED, move_document, move_field

D = Document.Status
F = ExtractedField.Status
# How far 次へ looks past rows another clerk took in the same instant (SQLite path).
CLAIM_ATTEMPTS = 20
# Effort the screen may report per save: never more active time than the wall clock gave,
# nor more keys than a person can type in it.
MAX_KEYS_PER_SECOND = 20


class ReviewRefused(Exception):
    """An act that cannot be done: ``code`` is stable, ``message`` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Name ``user`` on the audit entries written inside, in a request or outside one.

    auditlog's middleware names the signed-in person only inside a request; commands and
    tasks have none, so the actor is always set here. ``set_actor`` does not put back the
    context it replaced when it ends: in a request the entries written after this block
    would lose their actor and address, so the outer context is put back here.
    """
    outer = auditlog_value.get(None)
    try:
        with set_actor(user):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)


def _lease() -> timedelta:
    return timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)


def _save(obj: Document | ExtractedField | Batch, act: str, fields: list[str]) -> None:
    obj.audit_act = act
    if isinstance(obj, Document):
        fields = [*fields, "updated_at"]
    obj.save(update_fields=fields)


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Effort:
    """What the review screen counted since its last save."""

    active_seconds: float = 0.0
    keystrokes: int = 0


def _take(candidates: QuerySet[Document], now: datetime) -> Document | None:
    if connection.features.has_select_for_update_skip_locked:
        return candidates.select_for_update(skip_locked=True, of=("self",)).first()
    for pk in candidates.values_list("pk", flat=True)[:CLAIM_ATTEMPTS]:
        # The claim's condition is part of the update, and the update sets a live lease,
        # which the condition refuses: it succeeds for one clerk only.
        taken = Document.objects.filter(lapsed_or_free(now), pk=pk).update(
            claim_expires_at=now + _lease()
        )
        if taken == 1:
            return Document.objects.get(pk=pk)
    return None


def _hold(document: Document, user: User, now: datetime, act: str) -> Document:
    _end_session(document, ReviewSession.Outcome.LAPSED, now)
    move_document(document, D.IN_REVIEW)
    document.claimed_by = user
    document.claimed_at = now
    document.claim_expires_at = now + _lease()
    _save(document, act, ["status", "claimed_by", "claimed_at", "claim_expires_at"])
    ReviewSession.objects.create(
        kind=ReviewSession.Kind.DOCUMENT,
        user=user,
        document=document,
        form_type_id=document.form_type_id,
        started_at=now,
    )
    return document


@transaction.atomic
def claim_next(
    *,
    acting_user: User,
    form_type_code: str = "",
    batch_id: int | None = None,
) -> Document | None:
    """次へ: hold the oldest document of the user's queue that nobody holds, or None.

    A document the user already holds (another tab, a reload) comes first.
    """
    now = timezone.now()
    held = held_by(acting_user, now)
    if held is not None:
        return held
    candidates = claimable(acting_user, now)
    if form_type_code:
        candidates = candidates.filter(form_type__code=form_type_code)
    if batch_id is not None:
        candidates = candidates.filter(batch_id=batch_id)
    document = _take(candidates, now)
    if document is None:
        return None
    with acting_as(acting_user):
        return _hold(document, acting_user, now, "claim")


def held_by(user: User, now: datetime | None = None) -> Document | None:
    """The document this user holds under a live claim and may still decide, if any (one
    handed on for another clerk's second entry has left their queue)."""
    now = now or timezone.now()
    return (
        waiting_documents(user)
        .filter(status=D.IN_REVIEW, claimed_by=user, claim_expires_at__gte=now)
        .order_by("claimed_at")
        .first()
    )


@transaction.atomic
def claim_document(document: Document, *, acting_user: User) -> Document:
    """Hold one chosen document of the user's queue (opened from the list)."""
    now = timezone.now()
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if holds(acting_user, locked, now):
        return locked
    if not claimable(acting_user, now).filter(pk=locked.pk).exists():
        if (
            locked.status == D.IN_REVIEW
            and locked.claim_expires_at
            and (locked.claim_expires_at >= now)
        ):
            raise ReviewRefused("held_by_other", _("Another clerk is reviewing this document."))
        raise ReviewRefused("not_waiting", _("This document is not waiting for you."))
    with acting_as(acting_user):
        return _hold(locked, acting_user, now, "claim")


def holds(user: User, document: Document, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        document.status == D.IN_REVIEW
        and document.claimed_by_id == user.pk
        and document.claim_expires_at is not None
        and document.claim_expires_at >= now
    )


def _held(document: Document, user: User) -> Document:
    """The document locked for a change by the clerk who holds it; refused otherwise."""
    # The document's row only: a lock on its form type would make every clerk's save on
    # that form type wait for the others' (PostgreSQL locks every joined row by default).
    locked = (
        Document.objects.select_for_update(of=("self",))
        .select_related("form_type")
        .get(pk=document.pk)
    )
    if not holds(user, locked):
        raise ReviewRefused(
            "claim_lost",
            _("Your claim on this document has lapsed. Open the queue and take it again."),
        )
    return locked


def _open_session(document: Document, user: User) -> ReviewSession | None:
    return (
        ReviewSession.objects.select_for_update()
        .filter(document=document, user=user, outcome=ReviewSession.Outcome.OPEN)
        .order_by("-started_at")
        .first()
    )


def _end_session(document: Document, outcome: str, now: datetime) -> None:
    """Close the open session of whoever holds the document (a lapsed claim taken over)."""
    if document.claimed_by_id is None:
        return
    for session in ReviewSession.objects.select_for_update().filter(
        document=document, user_id=document.claimed_by_id, outcome=ReviewSession.Outcome.OPEN
    ):
        session.outcome = outcome
        session.ended_at = now
        session.save(update_fields=["outcome", "ended_at"])


@transaction.atomic
def record_effort(document: Document, effort: Effort, *, acting_user: User) -> None:
    """Add what the screen counted to the clerk's session and renew the claim."""
    now = timezone.now()
    locked = _held(document, acting_user)
    session = _open_session(locked, acting_user)
    if session is not None:
        wall = (now - session.started_at).total_seconds()
        room = max(wall - session.active_seconds, 0.0)
        seconds = min(max(effort.active_seconds, 0.0), room)
        session.active_seconds += seconds
        # Capped in total, as the seconds are: many small reports add up to no more.
        keys_room = max(int(wall * MAX_KEYS_PER_SECOND) - session.keystrokes, 0)
        session.keystrokes += min(max(effort.keystrokes, 0), keys_room)
        session.save(update_fields=["active_seconds", "keystrokes"])
    locked.claim_expires_at = now + _lease()
    # The lease alone: not an act worth an audit entry each minute.
    Document.objects.filter(pk=locked.pk).update(claim_expires_at=locked.claim_expires_at)


@transaction.atomic
def release(document: Document, *, acting_user: User) -> None:
    """Esc: give the document back to the queue. Decisions saved so far stay."""
    locked = _held(document, acting_user)
    with acting_as(acting_user):
        _release(locked, ReviewSession.Outcome.RELEASED, "release")


def _release(document: Document, outcome: str, act: str) -> None:
    _end_session(document, outcome, timezone.now())
    move_document(document, D.NEEDS_REVIEW)
    document.claimed_by = None
    document.claimed_at = None
    document.claim_expires_at = None
    _save(document, act, ["status", "claimed_by", "claimed_at", "claim_expires_at"])


@transaction.atomic
def release_claims(documents: QuerySet[Document], *, acting_user: User) -> int:
    """A supervisor frees documents other clerks hold (on form types they supervise)."""
    released = 0
    # Locked and saved as Documents by pk, whatever the caller's queryset is: the queue's
    # proxy model is not registered with auditlog (its saves would write no entry), and its
    # join to the nullable holder cannot be locked on PostgreSQL. In pk order, as two
    # supervisors releasing overlapping selections must lock rows in the same order.
    selected = Document.objects.select_for_update().filter(
        pk__in=documents.values("pk"), status=D.IN_REVIEW
    )
    with acting_as(acting_user):
        for document in selected.order_by("pk"):
            if not has_form_perm(acting_user, "supervise", document.form_type_id):
                continue
            _release(document, ReviewSession.Outcome.RELEASED, "release_by_supervisor")
            released += 1
    return released


@transaction.atomic
def release_lapsed_claims(*, acting_user: User | None = None) -> int:
    """Give back every document whose claim lapsed (the periodic sweep; the system acts)."""
    released = 0
    now = timezone.now()
    with acting_as(acting_user):
        lapsed = Document.objects.select_for_update().filter(
            status=D.IN_REVIEW, claim_expires_at__lt=now
        )
        for document in lapsed.order_by("pk"):
            _release(document, ReviewSession.Outcome.LAPSED, "claim_lapsed")
            released += 1
    return released


# --------------------------------------------------------------------------- fields


def _field_of(document: Document, field: ExtractedField) -> ExtractedField:
    locked = (
        ExtractedField.objects.select_for_update(of=("self",))
        .select_related("definition")
        .get(pk=field.pk, document=document)
    )
    return locked


def _check_value(field: ExtractedField, value: str) -> str:
    definition = field.definition
    options = [o["value"] for o in definition.options] if definition.kind == "choice" else None
    normalized = normalize(definition.kind, value)
    errors = validate(
        definition.kind,
        normalized,
        required=definition.required,
        options=options,
        days_ahead=definition.days_ahead,
    )
    if errors:
        raise ReviewRefused(errors[0].code, errors[0].message)
    return normalized


def _decide(field: ExtractedField, value: str, user: User, act: str) -> ExtractedField:
    status = F.CONFIRMED if value == field.ocr_value else F.CORRECTED
    move_field(field, status)
    field.final_value = value
    # Of the value decided: a number cleared by the clerk must not be found by a lookup of
    # the number the machine read.
    field.value_digest = value_digest(field.definition, value)
    field.pending_entry = ""
    field.pending_entry_by = None
    field.verified_by = user
    field.verified_at = timezone.now()
    # The errors were the reading's; the decided value passed validation (the reason it
    # was asked stays in review_reason).
    field.validation_errors = []
    _save(
        field,
        act,
        [
            "status",
            "final_value",
            "value_digest",
            "validation_errors",
            "pending_entry",
            "pending_entry_by",
            "verified_by",
            "verified_at",
        ],
    )
    return field


def _not_blind(field: ExtractedField) -> None:
    if field.definition.kind == FieldKind.MYNUMBER:
        raise ReviewRefused("blind_entry", _("Key the My Number in without seeing the reading."))


@transaction.atomic
def correct_field(field: ExtractedField, value: str, *, acting_user: User) -> ExtractedField:
    """A clerk's value for a field (validated as on the paper's kind). The same value as the
    reading confirms it instead."""
    document = _held(field.document, acting_user)
    locked = _field_of(document, field)
    _not_blind(locked)
    normalized = _check_value(locked, value)
    with acting_as(acting_user):
        return _decide(locked, normalized, acting_user, "correct_field")


@transaction.atomic
def confirm_field(field: ExtractedField, *, acting_user: User) -> ExtractedField:
    """The reading is right as it stands (refused when it does not validate)."""
    document = _held(field.document, acting_user)
    locked = _field_of(document, field)
    _not_blind(locked)
    normalized = _check_value(locked, locked.ocr_value)
    with acting_as(acting_user):
        return _decide(locked, normalized, acting_user, "confirm_field")


@dataclass(frozen=True)
class BlindOutcome:
    """What a blind entry settled: ``confirmed``, ``corrected``, or ``again`` (a second
    entry is needed: by this clerk, or by another where the form type says so)."""

    result: str
    other_clerk: bool = False


@transaction.atomic
def enter_blind(field: ExtractedField, value: str, *, acting_user: User) -> BlindOutcome:
    """A My Number keyed in without seeing the reading.

    The entry settles the field when it matches the reading (confirmed) or an earlier entry
    (two independent keyings agree: corrected to it). Otherwise it waits as the entry to be
    matched, and the next entry decides.
    """
    document = _held(field.document, acting_user)
    locked = _field_of(document, field)
    if not can_view_mynumber(acting_user, document.form_type_id):
        raise ReviewRefused("no_right", _("Only My Number handlers may key in My Numbers."))
    entry = _check_value(locked, value)
    other = document.form_type.second_entry_by_other_clerk
    with acting_as(acting_user):
        if entry == locked.ocr_value:
            _decide(locked, entry, acting_user, "blind_entry")
            return BlindOutcome("confirmed")
        # Whether an entry waits is told by its author: an empty entry (no number on the
        # paper, where the field is optional) is an entry too.
        if locked.pending_entry_by_id is not None and entry == locked.pending_entry:
            if other and locked.pending_entry_by_id == acting_user.pk:
                raise ReviewRefused(
                    "same_clerk", _("Another clerk must key it in the second time.")
                )
            _decide(locked, entry, acting_user, "blind_entry")
            return BlindOutcome("corrected")
        again_by_same = locked.pending_entry_by_id == acting_user.pk
        locked.pending_entry = entry
        locked.pending_entry_by = acting_user
        _save(locked, "blind_entry_mismatch", ["pending_entry", "pending_entry_by"])
        if again_by_same:
            # Only the entry itself changed, and it is never recorded: auditlog saw no change
            # and wrote nothing, so the act is recorded here (still without a value).
            get_logentry_model().objects.log_create(
                locked, action=get_logentry_model().Action.UPDATE, changes={}, force_log=True
            )
        return BlindOutcome("again", other_clerk=other)


# --------------------------------------------------------------------------- documents


def _close_session(document: Document, user: User, outcome: str, now: datetime) -> None:
    session = _open_session(document, user)
    if session is None:
        return
    fields = ExtractedField.objects.filter(document=document, verified_by=user)
    session.outcome = outcome
    session.ended_at = now
    session.fields_corrected = fields.filter(status=F.CORRECTED).count()
    session.fields_confirmed = fields.filter(status=F.CONFIRMED).count()
    session.save(update_fields=["outcome", "ended_at", "fields_corrected", "fields_confirmed"])


def _end_claim(document: Document) -> list[str]:
    document.claimed_by = None
    document.claimed_at = None
    document.claim_expires_at = None
    return ["claimed_by", "claimed_at", "claim_expires_at"]


@transaction.atomic
def submit_document(document: Document, *, acting_user: User) -> Document:
    """Every field decided: the document is verified, ready for export."""
    locked = _held(document, acting_user)
    fields = list(locked.fields.select_related("definition"))
    waiting = [f.definition.label for f in fields if f.status == F.NEEDS_REVIEW]
    if waiting:
        raise ReviewRefused(
            "fields_waiting",
            _("Decide every field first: %(fields)s") % {"fields": "、".join(waiting)},
        )
    values = {f.definition.key: f.value for f in fields}
    cross = validate_cross_fields(values, {f.definition.key: f.definition.kind for f in fields})
    if cross:
        codes = sorted({e.code for errors in cross.values() for e in errors})
        raise ReviewRefused(codes[0], " ".join(describe(code) for code in codes))
    now = timezone.now()
    with acting_as(acting_user):
        _close_session(locked, acting_user, ReviewSession.Outcome.SUBMITTED, now)
        move_document(locked, D.VERIFIED)
        locked.verified_by = acting_user
        locked.verified_at = now
        changed = _end_claim(locked)
        _save(locked, "submit_document", ["status", "verified_by", "verified_at", *changed])
    return locked


@transaction.atomic
def reject_document(document: Document, *, reason: str, acting_user: User) -> Document:
    """Illegible, the wrong form, a duplicate: the document leaves the queue with a reason."""
    if reason not in Document.Rejection.values:
        raise ReviewRefused("rejection_reason", _("Choose a reason for the rejection."))
    locked = _held(document, acting_user)
    now = timezone.now()
    with acting_as(acting_user):
        _close_session(locked, acting_user, ReviewSession.Outcome.REJECTED, now)
        move_document(locked, D.REJECTED)
        locked.rejection = reason
        locked.rejected_by = acting_user
        locked.rejected_at = now
        changed = _end_claim(locked)
        _save(
            locked,
            "reject_document",
            ["status", "rejection", "rejected_by", "rejected_at", *changed],
        )
    return locked


# --------------------------------------------------------------------------- batches


@transaction.atomic
def confirm_batch(batch: Batch, *, acting_user: User) -> int:
    """A supervisor verifies the documents of a batch the machine accepted whole."""
    if not has_form_perm(acting_user, "supervise", batch.form_type_id):
        raise ReviewRefused("no_right", _("Only a supervisor may confirm a batch."))
    if not batch.form_type.allow_batch_confirm:
        raise ReviewRefused(
            "not_allowed", _("This form type does not allow confirming a batch at once.")
        )
    now = timezone.now()
    confirmed = 0
    with acting_as(acting_user):
        accepted = Document.objects.select_for_update().filter(batch=batch, status=D.AUTO_ACCEPTED)
        for document in accepted.order_by("pk"):
            move_document(document, D.VERIFIED)
            document.verified_by = acting_user
            document.verified_at = now
            _save(document, "confirm_batch", ["status", "verified_by", "verified_at"])
            confirmed += 1
    return confirmed


def _own_batch(user: User, batch: Batch) -> bool:
    """The process right on the form type opens the batches of one's own departments only."""
    return visible_batches(user).filter(pk=batch.pk).exists()


@transaction.atomic
def rerun_failed(batch: Batch, *, acting_user: User) -> int:
    """Queue the batch's failed documents for reading again."""
    from ocr.tasks import enqueue_document

    if not _own_batch(acting_user, batch):
        raise ReviewRefused("no_right", _("You may not process this form type."))
    queued = 0
    with acting_as(acting_user):
        failed = Document.objects.select_for_update().filter(batch=batch, status=D.FAILED)
        for document in failed.order_by("pk"):
            move_document(document, D.QUEUED)
            _save(document, "rerun_failed", ["status"])
            enqueue_document(document.pk)
            queued += 1
        if queued and batch.status != Batch.Status.PROCESSING:
            batch.status = Batch.Status.PROCESSING
            _save(batch, "rerun_failed", ["status"])
    return queued


@transaction.atomic
def reject_failed(batch: Batch, *, acting_user: User) -> int:
    """A supervisor rejects the batch's documents that could not be read, as illegible.

    Reading a damaged scan again fails again; without this the batch could never complete.
    """
    if not has_form_perm(acting_user, "supervise", batch.form_type_id):
        raise ReviewRefused("no_right", _("Only a supervisor may reject unreadable documents."))
    now = timezone.now()
    rejected = 0
    with acting_as(acting_user):
        failed = Document.objects.select_for_update().filter(batch=batch, status=D.FAILED)
        for document in failed.order_by("pk"):
            move_document(document, D.REJECTED)
            document.rejection = Document.Rejection.ILLEGIBLE
            document.rejected_by = acting_user
            document.rejected_at = now
            _save(document, "reject_failed", ["status", "rejection", "rejected_by", "rejected_at"])
            rejected += 1
    return rejected


@transaction.atomic
def complete_batch(batch: Batch, *, acting_user: User) -> Batch:
    """Mark a batch complete once every document is verified, rejected, exported or gone."""
    if not _own_batch(acting_user, batch):
        raise ReviewRefused("no_right", _("You may not process this form type."))
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    open_documents = locked.documents.exclude(status__in=DECIDED).count()
    if open_documents:
        raise ReviewRefused(
            "documents_open",
            _("%(count)s documents of this batch are not verified or rejected yet.")
            % {"count": open_documents},
        )
    if locked.status == Batch.Status.COMPLETE:
        raise ReviewRefused("complete", _("This batch is complete already."))
    if locked.status != Batch.Status.DONE:
        raise ReviewRefused("not_read", _("This batch is still being read."))
    with acting_as(acting_user):
        locked.status = Batch.Status.COMPLETE
        _save(locked, "complete_batch", ["status"])
    return locked
