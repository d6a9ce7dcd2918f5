"""What a person is shown of a document: masking, redaction, reveals and views of one open.

The one place that decides whether a My Number is visible:

- without ``view_mynumber`` on the form type, never (values masked, regions blacked out on
  the server, the pixels gone);
- with it, only while a ``Reveal`` row of that person for that document is in force. A
  reveal is an explicit act with a reason, logged, and lasts ``settings.REVEAL_MINUTES``.

Opening a document writes one access entry that says what the page showed. The images the
page then loads (page images, field crops) carry a signed *view token* naming that entry, so
they add no entry of their own and show no more than the open said; an image fetched without
a valid token is logged on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import models, transaction
from django.utils import timezone

from audit.access import Access, log_access
from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition
from ocr.models import Document, ExtractedField, Reveal
from ocr.permissions import can_view_mynumber
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest
from yomitoru.lib.sensitive_text import contains_number

REDACTION_MARGIN = 12
# Handwriting often starts left of a comb's first cell (an era mark, a wide first digit).
CROP_MARGIN = 28
MIN_REASON_LENGTH = 4
VIEW_SALT = "ocr.disclosure.view"


class RevealRefused(Exception):
    pass


def my_number_digest(value: str) -> str:
    """The keyed digest that finds a My Number without storing it."""
    return lookup_digest(mynumber.normalize(value), settings.INDEX_HMAC_KEY)


def value_digest(definition: FieldDefinition, value: str) -> str:
    """The lookup digest stored beside a sensitive value ("" for any other field)."""
    if not definition.sensitive or not value:
        return ""
    if definition.kind == FieldKind.MYNUMBER:
        return my_number_digest(value)
    return lookup_digest(value, settings.INDEX_HMAC_KEY)


@transaction.atomic
def reveal_document(document: Document, *, reason: str, acting_user: User) -> Reveal:
    """Show this document's My Numbers to ``acting_user`` for REVEAL_MINUTES."""
    if not can_view_mynumber(acting_user, document.form_type_id):
        raise RevealRefused("no view_mynumber right on this form type")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise RevealRefused("a reason is required")
    # The reason is kept for good in a sealed audit entry: a number in it is refused, not
    # silently cut out, so the person can write the reason again without it.
    if contains_number(reason):
        raise RevealRefused("number_in_reason")
    reveal = Reveal.objects.create(
        document=document,
        user=acting_user,
        reason=reason[:200],
        expires_at=timezone.now() + timedelta(minutes=settings.REVEAL_MINUTES),
    )
    log_access(acting_user, document, Access.REVEAL, reason=reason)
    return reveal


def active_reveal(user: User, document: Document) -> Reveal | None:
    """The reveal in force for this person and document, if the right still holds."""
    reveal = (
        Reveal.objects.filter(user=user, document=document, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
    if reveal is None or not can_view_mynumber(user, document.form_type_id):
        return None
    return reveal


def shown_value(field: ExtractedField, *, revealed: bool) -> str:
    value = field.value
    if field.definition.sensitive and value and not revealed:
        return mynumber.MASK
    return value


def _black_out(image: np.ndarray, definitions: list[FieldDefinition], top: int, left: int) -> None:
    """Blacken, in place, every sensitive region of the page that falls in ``image``, a part
    of the page whose top-left corner is at (left, top)."""
    height, width = image.shape[:2]
    for d in definitions:
        if d.sensitive:
            y0 = max(d.y - REDACTION_MARGIN - top, 0)
            x0 = max(d.x - REDACTION_MARGIN - left, 0)
            y1 = min(d.y + d.h + REDACTION_MARGIN - top, height)
            x1 = min(d.x + d.w + REDACTION_MARGIN - left, width)
            if y1 > y0 and x1 > x0:
                image[y0:y1, x0:x1] = 0


def redact_page(image: np.ndarray, definitions: list[FieldDefinition]) -> np.ndarray:
    """Black out every sensitive field region of an aligned page."""
    out = image.copy()
    _black_out(out, definitions, 0, 0)
    return out


def field_extent(definition: FieldDefinition) -> tuple[int, int, int, int]:
    """The field's region together with its printed options (an era mark to circle, the
    choices of a circled field), which the writing refers to: (x0, y0, x1, y1)."""
    d = definition
    boxes = [(d.x, d.y, d.x + d.w, d.y + d.h)]
    for option in d.options if isinstance(d.options, list) else []:
        if isinstance(option, dict) and {"x", "y", "w", "h"} <= option.keys():
            x, y = int(option["x"]), int(option["y"])
            boxes.append((x, y, x + int(option["w"]), y + int(option["h"])))
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def field_crop(
    aligned: np.ndarray,
    definition: FieldDefinition,
    *,
    revealed: bool,
    page_fields: Callable[[], list[FieldDefinition]],
) -> np.ndarray:
    """A field's region with a margin. Unrevealed, every sensitive region it reaches is black:
    the field's own, and a neighbouring My Number its margin takes in. ``page_fields`` gives
    the fields of the page, asked for only when something may need blacking out."""
    x0, y0, x1, y1 = field_extent(definition)
    top, left = max(y0 - CROP_MARGIN, 0), max(x0 - CROP_MARGIN, 0)
    crop = aligned[top : y1 + CROP_MARGIN, left : x1 + CROP_MARGIN].copy()
    if revealed:
        return crop
    if definition.sensitive:
        crop[:] = 0
    else:
        _black_out(crop, page_fields(), top, left)
    return crop


@dataclass(frozen=True)
class View:
    """One open of a document: the entry that logged it and whether My Numbers were shown."""

    entry_id: int
    revealed: bool
    token: str
    # When the reveal in force at the open ends (known at the open only, not from a token).
    revealed_until: datetime | None = None
    # Fields whose crop shows in clear though nothing is revealed: the My Numbers a handler
    # keys in blind on the review screen (the open's entry names them).
    clear_fields: frozenset[int] = frozenset()


def open_document(
    document: Document,
    *,
    fields: int,
    pages: list[int],
    acting_user: User,
    blind_fields: list[ExtractedField] | None = None,
) -> View:
    """Log one open of the document page and return the token its images are fetched with.

    ``blind_fields`` (the review screen): My Number fields the person keys in without seeing
    the reading. A handler with ``view_mynumber`` must see what is written to key it, so
    their crops show in clear; the entry says which and that numbers were visible.
    """
    reveal = active_reveal(acting_user, document)
    revealed = reveal is not None
    clear = sorted(
        field.pk
        for field in blind_fields or []
        if can_view_mynumber(acting_user, document.form_type_id)
    )
    details: dict = {"fields": fields, "pages": pages, "sensitive_visible": revealed or bool(clear)}
    if blind_fields is not None:
        details.update(purpose="review", blind_entry_fields=len(clear))
    entry = log_access(acting_user, document, Access.OPEN, details=details)
    payload = {"u": acting_user.pk, "d": document.pk, "e": entry.pk, "r": revealed, "c": clear}
    token = signing.dumps(payload, salt=VIEW_SALT, compress=True)
    until = reveal.expires_at if reveal is not None else None
    return View(
        entry_id=entry.pk,
        revealed=revealed,
        token=token,
        revealed_until=until,
        clear_fields=frozenset(clear),
    )


def view_of(token: str | None, user: User, document: Document) -> View | None:
    """The open a request for an image belongs to, if its token is valid for this person."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=VIEW_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    if payload.get("d") != document.pk:
        return None
    clear = payload.get("c") or []
    return View(
        entry_id=int(payload["e"]),
        revealed=bool(payload["r"]),
        token=token,
        clear_fields=frozenset(int(pk) for pk in clear),
    )


def image_disclosure(
    user: User, document: Document, token: str | None, obj: models.Model, access: Access
) -> bool:
    """Whether an image may show My Numbers; logs the access unless an open covers it.

    Within an open, an image never shows more than the open said (a reveal made later in
    another tab needs a new open); outside one, it shows what a reveal allows now. The crop
    of a field keyed in blind shows while its reviewer holds the right.
    """
    view = view_of(token, user, document)
    if view is not None:
        if isinstance(obj, ExtractedField) and obj.pk in view.clear_fields:
            return can_view_mynumber(user, document.form_type_id)
        # Asked only when the open showed numbers: most image requests of a page need no query.
        return view.revealed and active_reveal(user, document) is not None
    revealed_now = active_reveal(user, document) is not None
    log_access(user, obj, access, details={"sensitive_visible": revealed_now})
    return revealed_now
