"""Revealing a document's My Numbers: an explicit, logged act with a reason, for a short time.

Even people allowed to see My Numbers see them masked until they reveal a document. A reveal
lasts REVEAL_MINUTES in that person's session and shows the values and the unredacted image.
"""

from __future__ import annotations

import time

from django.contrib.auth.models import User
from django.http import HttpRequest

from audit.access import Access, log_access
from ocr.models import Document
from ocr.permissions import can_view_mynumber

REVEAL_MINUTES = 10
SESSION_KEY = "revealed_documents"


class RevealRefused(Exception):
    pass


def reveal(request: HttpRequest, user: User, document: Document, reason: str) -> None:
    if not can_view_mynumber(user, document.form_type_id):
        raise RevealRefused("no view_mynumber right on this form type")
    if len(reason.strip()) < 4:
        raise RevealRefused("a reason is required")
    log_access(user, document, Access.REVEAL, reason=reason.strip())
    revealed = dict(request.session.get(SESSION_KEY, {}))
    revealed[str(document.pk)] = time.time() + REVEAL_MINUTES * 60
    request.session[SESSION_KEY] = revealed


def is_revealed(request: HttpRequest, user: User, document: Document) -> bool:
    """True while a reveal is in force and the right still holds."""
    expiry = request.session.get(SESSION_KEY, {}).get(str(document.pk))
    if expiry is None or expiry < time.time():
        return False
    return can_view_mynumber(user, document.form_type_id)
