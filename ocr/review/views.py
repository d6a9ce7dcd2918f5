"""The review screen and 次へ: views that call the services in ``ocr.review.services``.

Mounted under the queue's admin (``ocr.admin.review``), so only signed-in staff reach them.
Each view finds the document through the user's queue or claim, never by id alone, and
changes nothing itself.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ocr.disclosure import open_document
from ocr.models import Document, ExtractedField
from ocr.permissions import can_view_mynumber, visible_documents
from ocr.pipeline.validate import describe, normalize
from ocr.review import screen
from ocr.review.services import (
    Effort,
    ReviewRefused,
    claim_document,
    claim_next,
    confirm_field,
    correct_field,
    enter_blind,
    holds,
    record_effort,
    reject_document,
    release,
    submit_document,
)

# Effort figures as the screen posts them; anything else counts as nothing.
MAX_EFFORT_SECONDS = 24 * 3600.0


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def queue_url() -> str:
    return reverse("admin:ocr_reviewitem_changelist")


def review_url(document: Document) -> str:
    return reverse("admin:ocr_reviewitem_review", args=[document.pk])


def _effort(request: HttpRequest) -> Effort:
    try:
        seconds = float(request.POST.get("effort_seconds", "0"))
        keys = int(request.POST.get("effort_keys", "0"))
    except ValueError:
        return Effort()
    if not 0 <= seconds <= MAX_EFFORT_SECONDS or keys < 0:
        return Effort()
    return Effort(active_seconds=seconds, keystrokes=keys)


@require_POST
def next_document(request: HttpRequest) -> HttpResponse:
    """次へ: claim the next waiting document (of the form type or batch asked for)."""
    user = _user(request)
    batch = request.POST.get("batch", "")
    document = claim_next(
        acting_user=user,
        form_type_code=request.POST.get("form_type", "")[:64],
        batch_id=int(batch) if batch.isascii() and batch.isdigit() and len(batch) < 18 else None,
    )
    if document is None:
        messages.info(request, _("No document is waiting for you."))
        return redirect(queue_url())
    return redirect(review_url(document))


def _document(request: HttpRequest, pk: int) -> Document:
    query = visible_documents(_user(request)).select_related("form_type", "batch")
    return get_object_or_404(query, pk=pk)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    document = _document(request, pk)
    if request.method == "POST":
        return _save(request, document)
    if not holds(user, document):
        try:
            document = claim_document(document, acting_user=user)
        except ReviewRefused as refused:
            messages.warning(request, refused.message)
            return redirect(queue_url())
    return _render(request, document)


def _render(request: HttpRequest, document: Document) -> HttpResponse:
    user = _user(request)
    readings = list(
        document.fields.select_related("definition").order_by("definition__order", "pk")
    )
    blind = [r for r in readings if screen.is_blind(r)]
    pages = list(document.pages.values_list("number", flat=True))
    view = open_document(
        document, fields=len(readings), pages=pages, acting_user=user, blind_fields=blind
    )
    asks, others = screen.field_rows(
        document, readings, revealed=view.revealed, view_token=view.token, user_id=user.pk
    )
    page_urls = [
        {
            "number": number,
            "url": reverse("admin:ocr_document_page", args=[document.pk, number])
            + f"?view={view.token}",
        }
        for number in pages
    ]
    may_key_numbers = can_view_mynumber(user, document.form_type_id)
    context = {
        **admin.site.each_context(request),
        "title": _("Review document #%(id)s") % {"id": document.pk},
        "document": document,
        "asks": screen.template_rows(asks),
        "others": screen.template_rows(others),
        "revealed": view.revealed,
        "may_key_numbers": may_key_numbers,
        "pages": page_urls,
        "rejections": Document.Rejection.choices,
        "claim_expires_at": timezone.localtime(document.claim_expires_at)
        if document.claim_expires_at
        else None,
        "heartbeat_url": reverse("admin:ocr_reviewitem_heartbeat", args=[document.pk]),
        "release_url": reverse("admin:ocr_reviewitem_release", args=[document.pk]),
        "reject_url": reverse("admin:ocr_reviewitem_reject", args=[document.pk]),
        "queue_url": queue_url(),
        "check_messages": _check_messages(),
    }
    return TemplateResponse(request, "admin/ocr/review/screen.html", context)


def _check_messages() -> dict[str, str]:
    """What the screen's own checks say as the clerk types: the server's words."""
    return {
        "required": describe("required"),
        "mynumber": describe("mynumber_check_digit"),
        "corporate": describe("corporate_check_digit"),
        "postal": describe("postal_format"),
        "phone": describe("phone_format"),
        "phone-length": describe("phone_length"),
        "amount": describe("amount_format"),
        "digits": describe("digits_format"),
        "date": describe("date_invalid"),
        "date-ahead": describe("date_too_far_ahead"),
        "undecided": _("Decide this field first (Enter accepts it)."),
    }


def _save(request: HttpRequest, document: Document) -> HttpResponse:
    """Save each decided field through its service; on 保存して次へ, submit and go on."""
    user = _user(request)
    try:
        record_effort(document, _effort(request), acting_user=user)
    except ReviewRefused as refused:
        messages.error(request, refused.message)
        return redirect(queue_url())
    failed = False
    handed_on = False
    readings = document.fields.select_related("definition").order_by("definition__order")
    for reading in readings:
        posted = request.POST.get(f"field-{reading.pk}")
        if posted is None or request.POST.get(f"decided-{reading.pk}") != "1":
            continue
        try:
            outcome = _decide(reading, posted, user)
        except ReviewRefused as refused:
            failed = True
            messages.error(request, f"{reading.definition.label}: {refused.message}")
            continue
        if outcome == "again":
            failed = True
            messages.warning(
                request,
                _("%(label)s: what you keyed does not match the reading. Key it in once more.")
                % {"label": reading.definition.label},
            )
        elif outcome == "other_clerk":
            handed_on = True
            messages.info(
                request,
                _("%(label)s: another clerk must key it in again.")
                % {"label": reading.definition.label},
            )
    if failed:
        return redirect(review_url(document))
    if request.POST.get("action") != "submit":
        messages.success(request, _("Saved. The document stays with you."))
        return redirect(review_url(document))
    if handed_on:
        release(document, acting_user=user)
        return _go_next(request, user)
    try:
        submit_document(document, acting_user=user)
    except ReviewRefused as refused:
        messages.error(request, refused.message)
        return redirect(review_url(document))
    messages.success(request, _("Document #%(id)s is verified.") % {"id": document.pk})
    return _go_next(request, user)


def _decide(reading: ExtractedField, posted: str, user: User) -> str:
    if screen.is_blind(reading):
        outcome = enter_blind(reading, posted, acting_user=user)
        if outcome.result == "again" and outcome.other_clerk:
            return "other_clerk"
        return outcome.result
    current = reading.value
    kind = reading.definition.kind
    if reading.status != ExtractedField.Status.NEEDS_REVIEW and normalize(kind, posted) == current:
        return "unchanged"
    if normalize(kind, posted) == reading.ocr_value:
        confirm_field(reading, acting_user=user)
        return "confirmed"
    correct_field(reading, posted, acting_user=user)
    return "corrected"


def _go_next(request: HttpRequest, user: User) -> HttpResponse:
    following = claim_next(acting_user=user)
    if following is None:
        messages.info(request, _("No document is waiting for you."))
        return redirect(queue_url())
    return redirect(review_url(following))


@require_POST
def release_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Esc: give the document back to the queue."""
    user = _user(request)
    document = _document(request, pk)
    try:
        release(document, acting_user=user)
    except ReviewRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.info(request, _("Document #%(id)s is back in the queue.") % {"id": document.pk})
    return redirect(queue_url())


@require_POST
def reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    document = _document(request, pk)
    try:
        reject_document(document, reason=request.POST.get("rejection", ""), acting_user=user)
    except ReviewRefused as refused:
        messages.error(request, refused.message)
        return redirect(review_url(document))
    messages.success(request, _("Document #%(id)s is rejected.") % {"id": document.pk})
    return _go_next(request, user)


@require_POST
def heartbeat(request: HttpRequest, pk: int) -> HttpResponse:
    """The screen's sign of life: effort counted so far, and the claim renewed."""
    user = _user(request)
    document = _document(request, pk)
    try:
        record_effort(document, _effort(request), acting_user=user)
    except ReviewRefused as refused:
        return JsonResponse({"held": False, "message": refused.message})
    document.refresh_from_db(fields=["claim_expires_at"])
    if document.claim_expires_at is None:
        raise Http404
    until = timezone.localtime(document.claim_expires_at).strftime("%H:%M")
    return JsonResponse({"held": True, "until": until})
