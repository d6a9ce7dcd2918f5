"""Character verification in the admin: the grid of one digit's cells, and each cell's crop.

Mounted under the queue's admin (``ocr.admin.review``), so only signed-in staff reach them.
The grid logs one access entry for what it shows (counts only); its cell images carry the
grid's signed token, add no entry, and serve only the cells the grid named.
"""

from __future__ import annotations

import secrets
from typing import cast
from urllib.parse import urlencode

import numpy as np
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from audit.access import Access, log_access
from forms_catalog.models import FieldDefinition
from ocr import storage
from ocr.disclosure import REDACTION_MARGIN
from ocr.models import Batch, Document, ExtractedField, Page
from ocr.permissions import can_view_mynumber, visible_batches, visible_documents
from ocr.review import cells
from ocr.review.services import ReviewRefused
from ocr.review.views import _effort, queue_url
from ocr.views import CROP_QUALITY, _image

# How a digit group is named in a URL: an empty cell has no character of its own.
EMPTY_PARAM = "_"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _param(digit: str) -> str:
    return EMPTY_PARAM if digit == cells.EMPTY else digit


def _digit(param: str) -> str | None:
    digit = cells.EMPTY if param == EMPTY_PARAM else param
    return digit if digit in cells.GROUPS else None


def cells_url(batch: Batch | int, digit: str | None = None) -> str:
    query = {"batch": batch if isinstance(batch, int) else batch.pk}
    if digit is not None:
        query["digit"] = _param(digit)  # type: ignore[assignment]
    return reverse("admin:ocr_reviewitem_cells") + "?" + urlencode(query)


def _first_batch(user: User) -> Batch | None:
    """The oldest batch of the user's with cells waiting (the queue page's link opens it)."""
    waiting = (
        visible_batches(user)
        .filter(documents__status=Document.Status.NEEDS_REVIEW)
        .distinct()
        .order_by("pk")
    )
    for batch in waiting[:50]:
        if cells.digit_counts(user, batch):
            return batch
    return None


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def cell_grid(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    source = request.POST if request.method == "POST" else request.GET
    raw = source.get("batch", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 18:
        batch = get_object_or_404(visible_batches(user).select_related("form_type"), pk=int(raw))
    else:
        found = _first_batch(user)
        if found is None:
            messages.info(request, _("No cell is waiting for character verification."))
            return redirect(queue_url())
        batch = found
    if request.method == "POST":
        return _submit(request, batch)
    counts = cells.digit_counts(user, batch)
    digit = _digit(request.GET.get("digit", ""))
    if digit not in counts:
        digit = next(iter(counts), None)
    shown = (
        cells.cell_screen(user, batch, digit, seed=secrets.randbits(32))
        if digit is not None
        else []
    )
    token = cells.screen_token(user, batch, shown)
    if shown:
        log_access(
            user,
            batch,
            Access.OPEN,
            details={
                "cells": len(shown),
                "documents": len({c.document_id for c in shown}),
                "sensitive_cells": sum(c.sensitive for c in shown),
                "purpose": "character_verification",
            },
        )
    query = urlencode({"t": token})
    items = [
        {
            "name": f"cell-{c.field_id}-{c.cell}",
            "read": "-" if c.read == cells.EMPTY else c.read,
            "sensitive": c.sensitive,
            "url": reverse("admin:ocr_reviewitem_cell_image", args=[c.field_id, c.cell])
            + f"?{query}",
        }
        for c in shown
    ]
    tabs = [
        {
            "label": _("empty") if d == cells.EMPTY else d,
            "count": n,
            "url": cells_url(batch, d),
            "current": d == digit,
            "param": _param(d),
        }
        for d, n in counts.items()
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Character verification"),
        "batch": batch,
        "digit_label": (_("empty") if digit == cells.EMPTY else digit) if digit else "",
        "tabs": tabs,
        "items": items,
        "token": token,
        "queue_url": queue_url(),
        "per_document": cells.PER_DOCUMENT,
    }
    return TemplateResponse(request, "admin/ocr/review/cells.html", context)


def _submit(request: HttpRequest, batch: Batch) -> HttpResponse:
    user = _user(request)
    token = request.POST.get("token", "")
    screen = cells.read_token(token, user)
    digit = _digit(request.POST.get("digit", ""))
    after = cells_url(batch, digit)
    if screen is None or screen.batch_id != batch.pk:
        messages.error(request, _("This screen has expired. Open it again."))
        return redirect(after)
    decisions = [
        (field_id, cell, request.POST.get(f"cell-{field_id}-{cell}", "")[:8])
        for field_id, cell in sorted(screen.cells)
    ]
    try:
        outcome = cells.check_cells(
            decisions, token=token, acting_user=user, effort=_effort(request)
        )
    except ReviewRefused as refused:
        messages.error(request, refused.message)
        return redirect(after)
    messages.success(
        request,
        _(
            "%(checked)s cells checked (%(corrected)s corrected); %(fields)s fields settled,"
            " %(documents)s documents verified."
        )
        % {
            "checked": outcome.checked,
            "corrected": outcome.corrected,
            "fields": outcome.fields_settled,
            "documents": outcome.documents_verified,
        },
    )
    if outcome.fields_invalid:
        messages.warning(
            request,
            _("%(count)s fields still do not validate: they wait on the review screen.")
            % {"count": outcome.fields_invalid},
        )
    if outcome.refused:
        messages.warning(
            request,
            _(
                "%(count)s cells were not saved: another clerk took or decided them first,"
                " or what was typed is not a digit."
            )
            % {"count": outcome.refused},
        )
    return redirect(after)


@require_GET
def cell_image(request: HttpRequest, field_id: int, number: int) -> HttpResponse:
    """Cell ``number`` (from 0) of a field, cropped from the aligned page, for the grid
    whose token names it."""
    user = _user(request)
    cell = number
    screen = cells.read_token(request.GET.get("t"), user)
    if screen is None or (field_id, cell) not in screen.cells:
        raise Http404
    reading = get_object_or_404(
        ExtractedField.objects.select_related("definition", "document"),
        pk=field_id,
        document__in=visible_documents(user),
        document__batch_id=screen.batch_id,
    )
    d = reading.definition
    if not d.is_comb or not 0 <= cell < d.cells:
        raise Http404
    if d.sensitive and not can_view_mynumber(user, reading.document.form_type_id):
        raise Http404
    page = get_object_or_404(Page, document=reading.document, number=d.page)
    if not page.aligned_image:
        raise Http404
    aligned = storage.read_image(page.aligned_image)
    x0, y0, x1, y1 = cells.cell_box(d, cell)
    crop = aligned[y0:y1, x0:x1].copy()
    others = FieldDefinition.objects.filter(
        form_type_id=d.form_type_id, page=d.page, sensitive=True
    ).exclude(pk=d.pk)
    _black_out_others(crop, list(others), x0, y0)
    return _image(crop, quality=CROP_QUALITY)


def _black_out_others(
    crop: np.ndarray, definitions: list[FieldDefinition], left: int, top: int
) -> None:
    """A cell's margin may reach a neighbouring My Number: its pixels are not the cell's."""
    height, width = crop.shape[:2]
    for o in definitions:
        ys = max(o.y - REDACTION_MARGIN - top, 0)
        xs = max(o.x - REDACTION_MARGIN - left, 0)
        ye = min(o.y + o.h + REDACTION_MARGIN - top, height)
        xe = min(o.x + o.w + REDACTION_MARGIN - left, width)
        if ye > ys and xe > xs:
            crop[ys:ye, xs:xe] = 0
