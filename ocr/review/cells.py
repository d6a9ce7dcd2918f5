"""Character verification: the uncertain digit cells of many documents, one digit at a time.

As in ABBYY's group verification, a screen shows the cells the recogniser read as one digit
(or as empty) side by side, so the odd one out stands out; the clerk types only where the
crop disagrees. Made need-to-know: a screen takes cells of many documents in a shuffled
order and at most ``PER_DOCUMENT`` of any one, so no screen shows enough of a document to
rebuild a number, and My Number cells only reach people with ``view_mynumber``.

The grid's cells travel in a signed token (user, batch, the (field, cell) pairs): the
decisions and the cell images accept those cells only. ``check_cells`` records one
``CellCheck`` per cell, writes corrections into the field's ``ocr_cells`` and settles a field
from its cells once all its uncertain cells are decided; a document whose last waiting field
is settled that way, and which nobody holds, is verified.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition
from ocr.disclosure import value_digest
from ocr.models import Batch, CellCheck, Document, ExtractedField, Page, ReviewSession
from ocr.permissions import can_view_mynumber, visible_batches, visible_documents
from ocr.pipeline.validate import normalize, validate, validate_cross_fields
from ocr.review.screen import UNCERTAIN_CELL
from ocr.review.services import (
    MAX_KEYS_PER_SECOND,
    Effort,
    ReviewRefused,
    _save,
    acting_as,
)
from ocr.transitions import move_document, move_field

D = Document.Status
F = ExtractedField.Status

# Kinds whose value is exactly the digits of their cells, in order (a date's cells are not:
# an era and a format stand between them and the value).
CELL_KINDS = frozenset(
    {
        FieldKind.MYNUMBER,
        FieldKind.CORPORATE_NUMBER,
        FieldKind.DIGITS,
        FieldKind.POSTAL_CODE,
        FieldKind.PHONE,
        FieldKind.AMOUNT,
    }
)
REASONS = (ExtractedField.Reason.LOW_CONFIDENCE, ExtractedField.Reason.VALIDATION)
SCREEN_SIZE = 30
# Two cells of twelve rebuild nothing; three of one number on one screen begin to.
PER_DOCUMENT = 2
# Around the cell box: enough to see a stroke that strays over the border, not the neighbour.
CELL_MARGIN = 4
EMPTY = " "
# The digit groups in their tab order; an empty cell is a group of its own.
GROUPS = (*"0123456789", EMPTY)
SCREEN_SALT = "ocr.review.cells.screen"


@dataclass(frozen=True)
class ScreenCell:
    """One cell of a grid: where it is, what was read. No value of the field."""

    field_id: int
    cell: int
    read: str
    document_id: int
    sensitive: bool
    page: int
    # The crop on the aligned page, margin included: (x0, y0, x1, y1).
    box: tuple[int, int, int, int]


def cell_box(definition: FieldDefinition, cell: int) -> tuple[int, int, int, int]:
    """The crop of comb cell ``cell`` of a field on its aligned page, with CELL_MARGIN."""
    d = definition
    step = d.w / d.cells
    x0 = d.x + cell * step
    return (
        max(round(x0) - CELL_MARGIN, 0),
        max(d.y - CELL_MARGIN, 0),
        round(x0 + step) + CELL_MARGIN,
        d.y + d.h + CELL_MARGIN,
    )


def waiting_cells(reading: ExtractedField) -> list[int]:
    """The cells of a reading that character verification asks about (decided or not).

    Cells below UNCERTAIN_CELL; a field routed for low confidence whose cells all clear it
    (the field's own confidence fell short) offers its least sure cell.
    """
    d = reading.definition
    if reading.review_reason not in REASONS or d.kind not in CELL_KINDS or d.cells <= 0:
        return []
    confidences = [float(c) for c in (reading.cell_confidences or [])]
    if len(confidences) != d.cells or len(reading.ocr_cells) != d.cells:
        return []
    low = [i for i, c in enumerate(confidences) if c < UNCERTAIN_CELL]
    if low:
        return low
    if reading.review_reason == ExtractedField.Reason.LOW_CONFIDENCE:
        return [min(range(d.cells), key=lambda i: confidences[i])]
    return []


def _candidate_fields(user: User, batch: Batch) -> QuerySet[ExtractedField]:
    aligned = Page.objects.filter(
        document_id=OuterRef("document_id"),
        number=OuterRef("definition__page"),
        alignment=Page.Alignment.ALIGNED,
    ).exclude(aligned_image="")
    fields = (
        ExtractedField.objects.filter(
            document__batch=batch,
            document__in=visible_documents(user),
            document__status=D.NEEDS_REVIEW,
            status=F.NEEDS_REVIEW,
            review_reason__in=REASONS,
            definition__kind__in=CELL_KINDS,
            definition__cells__gt=0,
            # A My Number waiting for its second blind entry is in the middle of that.
            pending_entry_by__isnull=True,
        )
        .filter(Exists(aligned))
        .select_related("definition")
        .order_by("pk")
    )
    if not can_view_mynumber(user, batch.form_type_id):
        fields = fields.exclude(definition__sensitive=True)
    return fields


def _waiting(user: User, batch: Batch) -> list[ScreenCell]:
    """Every undecided cell of the batch this user may check, in a stable order."""
    if not visible_batches(user).filter(pk=batch.pk).exists():
        return []
    fields = list(_candidate_fields(user, batch))
    checked = set(
        CellCheck.objects.filter(field__in=[f.pk for f in fields]).values_list("field_id", "cell")
    )
    cells: list[ScreenCell] = []
    for reading in fields:
        d = reading.definition
        for i in waiting_cells(reading):
            read = reading.ocr_cells[i]
            if (reading.pk, i) in checked or read not in GROUPS:
                continue
            cells.append(
                ScreenCell(
                    field_id=reading.pk,
                    cell=i,
                    read=read,
                    document_id=reading.document_id,
                    sensitive=d.sensitive,
                    page=d.page,
                    box=cell_box(d, i),
                )
            )
    return cells


def digit_counts(user: User, batch: Batch) -> dict[str, int]:
    """Waiting cells per digit read (EMPTY for an empty cell), in tab order, zeros left out."""
    counts = Counter(cell.read for cell in _waiting(user, batch))
    return {digit: counts[digit] for digit in GROUPS if counts[digit]}


def cell_screen(
    user: User, batch: Batch, digit: str, *, size: int = SCREEN_SIZE, seed: int
) -> list[ScreenCell]:
    """One screen of cells read as ``digit``: shuffled, at most PER_DOCUMENT per document."""
    group = [cell for cell in _waiting(user, batch) if cell.read == digit]
    random.Random(seed).shuffle(group)
    per_document: Counter[int] = Counter()
    screen: list[ScreenCell] = []
    for cell in group:
        if per_document[cell.document_id] >= PER_DOCUMENT:
            continue
        per_document[cell.document_id] += 1
        screen.append(cell)
        if len(screen) >= size:
            break
    return screen


# --------------------------------------------------------------------------- the token


@dataclass(frozen=True)
class ScreenToken:
    user_id: int
    batch_id: int
    cells: frozenset[tuple[int, int]]
    started_at: datetime


def screen_token(user: User, batch: Batch, cells: Iterable[ScreenCell]) -> str:
    """The signed list of a grid's cells (ids and cell numbers only, never a digit)."""
    payload = {
        "u": user.pk,
        "b": batch.pk,
        "c": [[c.field_id, c.cell] for c in cells],
        "s": round(time.time(), 3),
    }
    return signing.dumps(payload, salt=SCREEN_SALT, compress=True)


def read_token(token: str | None, user: User) -> ScreenToken | None:
    """The grid a request belongs to, if its token is valid and this person's."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=SCREEN_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    try:
        cells = frozenset((int(f), int(c)) for f, c in payload["c"])
        started = datetime.fromtimestamp(float(payload["s"]), tz=UTC)
        return ScreenToken(user.pk, int(payload["b"]), cells, started)
    except (KeyError, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- the act


@dataclass(frozen=True)
class CellsOutcome:
    """What a submitted screen decided: counts only."""

    checked: int = 0
    corrected: int = 0
    refused: int = 0
    fields_settled: int = 0
    fields_invalid: int = 0
    documents_verified: int = 0


def _typed(raw: str) -> str | None:
    """ "" (as read), a digit, EMPTY ("-" typed: the cell is empty); None for anything else."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text in ("", "-", "ー", "−"):
        return EMPTY if text else ""
    return text if len(text) == 1 and text in "0123456789" else None


def _settle(reading: ExtractedField, user: User) -> str:
    """Settle a field whose cells are all decided: its new status, "invalid" when the cells
    do not spell a valid value (the field waits for the review screen), "" if not all are."""
    cells = waiting_cells(reading)
    decided = set(CellCheck.objects.filter(field=reading).values_list("cell", flat=True))
    if not set(cells) <= decided:
        return ""
    d = reading.definition
    value = normalize(d.kind, "".join(ch for ch in reading.ocr_cells if ch != EMPTY))
    if validate(d.kind, value, required=d.required, days_ahead=d.days_ahead):
        return "invalid"
    status = F.CONFIRMED if value == reading.ocr_value else F.CORRECTED
    move_field(reading, status)
    reading.final_value = value
    reading.value_digest = value_digest(d, value)
    reading.verified_by = user
    reading.verified_at = timezone.now()
    reading.validation_errors = []  # the reading's; the settled value validates
    _save(
        reading,
        "settle_cells",
        [
            "status",
            "final_value",
            "value_digest",
            "validation_errors",
            "verified_by",
            "verified_at",
        ],
    )
    return status


def _verify_if_done(document: Document, user: User, now: datetime) -> bool:
    """Verify a document nobody holds once none of its fields waits and they agree."""
    if document.status != D.NEEDS_REVIEW or document.claimed_by_id is not None:
        return False
    fields = list(document.fields.select_related("definition"))
    if any(f.status == F.NEEDS_REVIEW for f in fields):
        return False
    values = {f.definition.key: f.value for f in fields}
    if validate_cross_fields(values, {f.definition.key: f.definition.kind for f in fields}):
        return False
    move_document(document, D.VERIFIED)
    document.verified_by = user
    document.verified_at = now
    _save(document, "verify_by_cells", ["status", "verified_by", "verified_at"])
    return True


@transaction.atomic
def check_cells(
    decisions: list[tuple[int, int, str]],
    *,
    token: str,
    acting_user: User,
    effort: Effort,
) -> CellsOutcome:
    """Decide the cells of one submitted grid: ``typed`` "" is "as read".

    A decision is refused (counted, not applied) when its cell is not on the grid, its
    document was claimed or decided meanwhile, someone else decided the cell first, it is a
    My Number cell and the person lost the right, or what was typed is not a digit.
    """
    screen = read_token(token, acting_user)
    if screen is None:
        raise ReviewRefused("screen_expired", _("This screen has expired. Open it again."))
    batch = visible_batches(acting_user).filter(pk=screen.batch_id).first()
    if batch is None:
        raise ReviewRefused("not_visible", _("You may not check this batch."))
    now = timezone.now()
    wanted = [(f, c, t) for f, c, t in decisions if (f, c) in screen.cells]
    refused = len(decisions) - len(wanted)
    field_ids = sorted({f for f, _c, _t in wanted})
    document_ids = set(
        ExtractedField.objects.filter(pk__in=field_ids).values_list("document_id", flat=True)
    )
    # Documents first, then fields, each in pk order: two grids never wait on each other.
    documents = {
        d.pk: d
        for d in visible_documents(acting_user)
        .select_for_update()
        .filter(pk__in=document_ids, batch=batch)
        .order_by("pk")
    }
    readings = {
        r.pk: r
        for r in ExtractedField.objects.select_for_update()
        .filter(pk__in=field_ids, document_id__in=documents.keys())
        .select_related("definition")
        .order_by("pk")
    }
    may_see_numbers = can_view_mynumber(acting_user, batch.form_type_id)
    checked = corrected = 0
    touched: dict[int, ExtractedField] = {}
    with acting_as(acting_user):
        for field_id, cell, raw in wanted:
            reading = readings.get(field_id)
            typed = _typed(raw)
            if (
                reading is None
                or typed is None
                or documents[reading.document_id].status != D.NEEDS_REVIEW
                or reading.status != F.NEEDS_REVIEW
                or cell not in waiting_cells(reading)
                or (reading.definition.sensitive and not may_see_numbers)
                or CellCheck.objects.filter(field=reading, cell=cell).exists()
            ):
                refused += 1
                continue
            read = reading.ocr_cells[cell]
            changed = typed != "" and typed != read
            check = CellCheck(
                field=reading,
                cell=cell,
                decision=CellCheck.Decision.CORRECTED if changed else CellCheck.Decision.CONFIRMED,
                checked_by=acting_user,
            )
            check.audit_act = "check_cell"
            check.save()
            if changed:
                cells = reading.ocr_cells
                reading.ocr_cells = cells[:cell] + typed + cells[cell + 1 :]
                _save(reading, "check_cell", ["ocr_cells"])
                corrected += 1
            checked += 1
            touched[reading.pk] = reading
        results = Counter[str]()
        settled_documents: set[int] = set()
        for reading in touched.values():
            result = _settle(reading, acting_user)
            results[result] += 1
            if result in (F.CONFIRMED, F.CORRECTED):
                settled_documents.add(reading.document_id)
        verified = sum(
            _verify_if_done(documents[pk], acting_user, now) for pk in sorted(settled_documents)
        )
    _record_session(screen, batch, acting_user, effort, checked, results, now)
    return CellsOutcome(
        checked=checked,
        corrected=corrected,
        refused=refused,
        fields_settled=results[F.CONFIRMED] + results[F.CORRECTED],
        fields_invalid=results["invalid"],
        documents_verified=verified,
    )


def _record_session(
    screen: ScreenToken,
    batch: Batch,
    user: User,
    effort: Effort,
    cells: int,
    results: Counter[str],
    now: datetime,
) -> None:
    """One session per submitted grid, its effort bounded by the time the grid was open."""
    started = min(screen.started_at, now)
    wall = (now - started).total_seconds()
    ReviewSession.objects.create(
        kind=ReviewSession.Kind.CHARACTERS,
        user=user,
        form_type_id=batch.form_type_id,
        outcome=ReviewSession.Outcome.SUBMITTED,
        started_at=started,
        ended_at=now,
        active_seconds=min(max(effort.active_seconds, 0.0), wall),
        keystrokes=min(max(effort.keystrokes, 0), int(wall * MAX_KEYS_PER_SECOND)),
        cells_checked=cells,
        fields_corrected=results[F.CORRECTED],
        fields_confirmed=results[F.CONFIRMED],
    )
