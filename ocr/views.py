"""Protected views of scans and values: images, field crops, reveal, My Number search.

Each view checks the object permission first, serves with ``Cache-Control: no-store``, and
writes exactly one access entry. They are mounted under the document admin (admin_view), so
only authenticated staff reach them.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.access import Access, log_access
from forms_catalog.models import FieldDefinition
from ocr import storage
from ocr.models import Document, ExtractedField, Page
from ocr.permissions import visible_documents
from ocr.reveal import RevealRefused, is_revealed, reveal
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest

REDACTION_MARGIN = 12
CROP_MARGIN = 16


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def visible_document(request: HttpRequest, pk: int) -> Document:
    """The document if the user may open it; 404 otherwise (no hint that it exists)."""
    query = visible_documents(_user(request)).select_related("form_type")
    return get_object_or_404(query, pk=pk)


def _png(image: np.ndarray) -> HttpResponse:
    response = HttpResponse(storage.encode_png(image), content_type="image/png")
    add_never_cache_headers(response)
    return response


def redact(image: np.ndarray, definitions: list[FieldDefinition]) -> np.ndarray:
    """Black out every sensitive field region (server-side; the pixels are gone)."""
    out = image.copy()
    height, width = out.shape[:2]
    for d in definitions:
        if d.sensitive:
            x0, y0 = max(d.x - REDACTION_MARGIN, 0), max(d.y - REDACTION_MARGIN, 0)
            x1 = min(d.x + d.w + REDACTION_MARGIN, width)
            y1 = min(d.y + d.h + REDACTION_MARGIN, height)
            out[y0:y1, x0:x1] = 0
    return out


def page_image(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    document = visible_document(request, pk)
    page = get_object_or_404(Page, document=document, number=number)
    shown = is_revealed(request, _user(request), document)
    if page.aligned_image:
        image = storage.read_image(page.aligned_image)
        if not shown:
            image = redact(image, list(document.form_type.fields.filter(page=number)))
    elif page.image:
        image = storage.read_image(page.image)
        if not shown:
            # Not aligned: the sensitive regions cannot be located, so nothing is shown.
            image = np.zeros_like(image)
    else:
        raise Http404
    log_access(_user(request), page, Access.IMAGE)
    return _png(_downscale(image))


def field_crop(request: HttpRequest, pk: int, field_id: int) -> HttpResponse:
    document = visible_document(request, pk)
    field = get_object_or_404(
        ExtractedField.objects.select_related("definition"), document=document, pk=field_id
    )
    d = field.definition
    page = get_object_or_404(Page, document=document, number=d.page)
    if not page.aligned_image:
        raise Http404
    image = storage.read_image(page.aligned_image)
    crop = image[
        max(d.y - CROP_MARGIN, 0) : d.y + d.h + CROP_MARGIN,
        max(d.x - CROP_MARGIN, 0) : d.x + d.w + CROP_MARGIN,
    ].copy()
    if d.sensitive and not is_revealed(request, _user(request), document):
        crop[:] = 0
    log_access(_user(request), field, Access.CROP)
    return _png(crop)


@require_POST
def reveal_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = visible_document(request, pk)
    try:
        reveal(request, _user(request), document, request.POST.get("reason", ""))
    except RevealRefused:
        messages.error(request, _("My Numbers can be shown only with the right and a reason."))
    else:
        messages.success(request, _("My Numbers are shown for 10 minutes."))
    return HttpResponseRedirect(reverse("admin:ocr_document_change", args=[document.pk]))


@require_POST
def search_by_mynumber(request: HttpRequest) -> HttpResponse:
    """POST only: the number never appears in a URL. Redirects with its keyed digest."""
    number = mynumber.normalize(request.POST.get("mynumber", ""))
    target = reverse("admin:ocr_document_changelist")
    if not mynumber.is_valid(number):
        messages.error(request, _("Enter a valid 12-digit My Number."))
        return HttpResponseRedirect(target)
    digest = lookup_digest(number, settings.INDEX_HMAC_KEY)
    matches = visible_documents(_user(request)).filter(fields__value_digest=digest).distinct()
    log_access(_user(request), _user(request), Access.SEARCH_MYNUMBER, count=matches.count())
    return HttpResponseRedirect(f"{target}?mynumber_digest={digest}")


def _downscale(image: np.ndarray, width: int = 1600) -> np.ndarray:
    if image.shape[1] <= width:
        return image
    height = round(image.shape[0] * width / image.shape[1])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
