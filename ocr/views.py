"""Protected views of scans and values: page images, field crops, reveal, My Number search.

Each view checks the object permission first and serves with ``Cache-Control: no-store``.
What may be shown, and when an access is logged, is decided in ``ocr.disclosure``. They are
mounted under the document admin (admin_view), so only authenticated staff reach them.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from audit.access import Access, log_access
from ocr import storage
from ocr.disclosure import (
    RevealRefused,
    field_crop,
    image_disclosure,
    my_number_digest,
    redact_page,
    reveal_document,
)
from ocr.models import Document, ExtractedField, Page
from ocr.permissions import form_types_with, visible_documents
from yomitoru.lib import mynumber

# A page image as the document screen shows it: A4 at about 150 dpi, enough to read
# handwriting beside the crops; the full 300 dpi image is one click away (``?size=full``).
SCREEN_WIDTH = 1240
SCREEN_QUALITY = 80
FULL_QUALITY = 90
# Crops are read closely, digit by digit: less compression than the page overview.
CROP_QUALITY = 90


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def visible_document(request: HttpRequest, pk: int) -> Document:
    """The document if the user may open it; 404 otherwise (no hint that it exists)."""
    query = visible_documents(_user(request)).select_related("form_type")
    return get_object_or_404(query, pk=pk)


def _image(image: np.ndarray, *, quality: int) -> HttpResponse:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode image")
    response = HttpResponse(buffer.tobytes(), content_type="image/jpeg")
    add_never_cache_headers(response)
    return response


@require_GET
def page_image(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    document = visible_document(request, pk)
    page = get_object_or_404(Page, document=document, number=number)
    if not page.aligned_image and not page.image:
        raise Http404
    shown = image_disclosure(user, document, request.GET.get("view"), page, Access.IMAGE)
    if page.aligned_image:
        image = storage.read_image(page.aligned_image)
        if not shown:
            image = redact_page(image, list(document.form_type.fields.filter(page=number)))
    else:
        image = storage.read_image(page.image)
        if not shown:
            # Not aligned: the sensitive regions cannot be located, so nothing is shown.
            image = np.zeros_like(image)
    if request.GET.get("size") == "full":
        return _image(image, quality=FULL_QUALITY)
    return _image(_downscale(image, SCREEN_WIDTH), quality=SCREEN_QUALITY)


@require_GET
def field_crop_image(request: HttpRequest, pk: int, field_id: int) -> HttpResponse:
    user = _user(request)
    document = visible_document(request, pk)
    field = get_object_or_404(
        ExtractedField.objects.select_related("definition"), document=document, pk=field_id
    )
    page = get_object_or_404(Page, document=document, number=field.definition.page)
    if not page.aligned_image:
        raise Http404
    shown = image_disclosure(user, document, request.GET.get("view"), field, Access.CROP)
    image = storage.read_image(page.aligned_image)
    crop = field_crop(
        image,
        field.definition,
        revealed=shown,
        page_fields=lambda: list(document.form_type.fields.filter(page=page.number)),
    )
    return _image(crop, quality=CROP_QUALITY)


@sensitive_post_parameters("reason")
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    document = visible_document(request, pk)
    try:
        shown = reveal_document(
            document, reason=request.POST.get("reason", ""), acting_user=_user(request)
        )
    except RevealRefused as refused:
        if refused.args == ("number_in_reason",):
            messages.error(
                request, _("Do not include a My Number or any other number in the reason.")
            )
        else:
            messages.error(request, _("My Numbers can be shown only with the right and a reason."))
    else:
        until = time_format(timezone.localtime(shown.expires_at), "H:i")
        messages.success(request, _("My Numbers are shown until %(time)s.") % {"time": until})
    return HttpResponseRedirect(reverse("admin:ocr_document_change", args=[document.pk]))


def may_search_by_mynumber(user: User) -> bool:
    return form_types_with(user, "view_mynumber").exists()


@sensitive_post_parameters("mynumber")
@require_POST
def search_by_mynumber(request: HttpRequest) -> HttpResponse:
    """POST only: the number never appears in a URL. Redirects with its keyed digest."""
    user = _user(request)
    if not may_search_by_mynumber(user):
        raise PermissionDenied
    number = mynumber.normalize(request.POST.get("mynumber", ""))
    target = reverse("admin:ocr_document_changelist")
    if not mynumber.is_valid(number):
        messages.error(request, _("Enter a valid 12-digit My Number."))
        return HttpResponseRedirect(target)
    digest = my_number_digest(number)
    del number
    matches = mynumber_matches(user, digest)
    log_access(user, user, Access.SEARCH_MYNUMBER, count=matches.count())
    return HttpResponseRedirect(f"{target}?mynumber_digest={digest}")


def mynumber_matches(user: User, digest: str) -> QuerySet[Document]:
    """Documents holding the number, among those whose numbers the user may see."""
    return (
        visible_documents(user)
        .filter(form_type__in=form_types_with(user, "view_mynumber"), fields__value_digest=digest)
        .distinct()
    )


def _downscale(image: np.ndarray, width: int) -> np.ndarray:
    if image.shape[1] <= width:
        return image
    height = round(image.shape[0] * width / image.shape[1])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
