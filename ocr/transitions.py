"""The status machines of documents and fields: which change of status is allowed.

One table each, used by everything that moves a status: the reading task (``ocr.processing``),
the human acts (``ocr.review``), exports and disposal. Every status some path enters has a
way out, so no document is left in a state nothing leaves (``tests/ocr/test_transitions.py``
walks the table).
"""

from __future__ import annotations

from ocr.models import Document, ExportJob, ExtractedField

D = Document.Status
F = ExtractedField.Status
E = ExportJob.Status

# Disposal ends any document that is not being read at this moment.
_DISPOSABLE = {D.DISPOSED}

DOCUMENT: dict[str, frozenset[str]] = {
    D.QUEUED: frozenset({D.PROCESSING, *_DISPOSABLE}),
    # Re-queued by the reconciler when a worker died mid-read.
    D.PROCESSING: frozenset({D.NEEDS_REVIEW, D.AUTO_ACCEPTED, D.FAILED, D.QUEUED}),
    # Read again, or rejected by a supervisor when reading it again cannot help.
    D.FAILED: frozenset({D.QUEUED, D.PROCESSING, D.REJECTED, *_DISPOSABLE}),
    # Read again (the form was re-read before anyone touched it), or claimed by a clerk;
    # verified when its last waiting field is settled by character verification.
    D.NEEDS_REVIEW: frozenset({D.PROCESSING, D.IN_REVIEW, D.VERIFIED, *_DISPOSABLE}),
    # A quality sample or a clerk's claim opens it; a batch confirmation verifies it.
    D.AUTO_ACCEPTED: frozenset({D.PROCESSING, D.IN_REVIEW, D.VERIFIED, *_DISPOSABLE}),
    # Released (or the claim lapsed and another clerk took it: in_review -> in_review).
    D.IN_REVIEW: frozenset({D.IN_REVIEW, D.NEEDS_REVIEW, D.VERIFIED, D.REJECTED, *_DISPOSABLE}),
    D.VERIFIED: frozenset({D.EXPORTED, *_DISPOSABLE}),
    D.REJECTED: frozenset(_DISPOSABLE),
    # Exported again (a second file for the same documents) stays exported.
    D.EXPORTED: frozenset({D.EXPORTED, *_DISPOSABLE}),
    D.DISPOSED: frozenset(),
}

FIELD: dict[str, frozenset[str]] = {
    # A clerk may correct what the machine accepted (the collapsed fields stay reachable).
    F.AUTO_ACCEPTED: frozenset({F.CORRECTED, F.CONFIRMED}),
    F.NEEDS_REVIEW: frozenset({F.CORRECTED, F.CONFIRMED}),
    F.CORRECTED: frozenset({F.CORRECTED, F.CONFIRMED}),
    F.CONFIRMED: frozenset({F.CORRECTED, F.CONFIRMED}),
}

EXPORT: dict[str, frozenset[str]] = {
    # Four-eyes: approved by a second person, or lapsed unapproved.
    E.AWAITING_APPROVAL: frozenset({E.QUEUED, E.EXPIRED}),
    # Built by the task; a task that died is run again (queued -> building -> building).
    E.QUEUED: frozenset({E.BUILDING}),
    E.BUILDING: frozenset({E.BUILDING, E.READY, E.FAILED}),
    E.READY: frozenset({E.DOWNLOADED, E.EXPIRED}),
    E.DOWNLOADED: frozenset(),
    E.FAILED: frozenset(),
    E.EXPIRED: frozenset(),
}

# Where the review ends: nothing but export and disposal follows.
DECIDED = frozenset({D.VERIFIED, D.REJECTED, D.EXPORTED, D.DISPOSED})


class TransitionRefused(Exception):
    """A status change the table does not allow; the message names both statuses."""


def sources_of(table: dict[str, frozenset[str]], target: str) -> tuple[str, ...]:
    """Every status from which ``target`` may be entered (for conditional updates)."""
    return tuple(source for source, targets in table.items() if target in targets)


def check(table: dict[str, frozenset[str]], current: str, target: str) -> None:
    if target not in table.get(current, frozenset()):
        raise TransitionRefused(f"{current} -> {target}")


def move_document(document: Document, target: str) -> None:
    """Set a document's status if the table allows it (the caller saves)."""
    check(DOCUMENT, document.status, target)
    document.status = target


def move_export(job: ExportJob, target: str) -> None:
    check(EXPORT, job.status, target)
    job.status = target


def move_field(field: ExtractedField, target: str) -> None:
    check(FIELD, field.status, target)
    field.status = target
