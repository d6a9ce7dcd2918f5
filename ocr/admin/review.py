"""The verification queue in the admin: what waits for the clerk, 次へ, and the review screen.

The list is read-only (a proxy of Document, as django-q2 lists its tasks): the work is done on
the review screen, through ``ocr.review.services``. Its counts are bounded: the paginator
counts at most ``QueuePaginator.CAP`` rows, so a season's queue costs no full COUNT(*).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocr.admin.documents import BatchFilter
from ocr.models import ExtractedField, ReviewItem
from ocr.permissions import departments_of, form_types_with
from ocr.review import cell_views, quality, queue, views
from ocr.review.services import release_claims
from yomitoru.admin_site import display_name


class QueuePaginator(Paginator):
    """Counts up to CAP rows (then shows "CAP+"): a bounded query at any queue length."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        return rows[: self.CAP + 1].count()


class ProcessableFormTypeFilter(admin.RelatedFieldListFilter):
    """Form types the user may process: the choices come from the rights, not from a scan
    of the queue (``RelatedOnlyFieldListFilter`` would read every waiting document)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        form_types = form_types_with(cast(User, request.user), "process")
        return [(ft.pk, str(ft)) for ft in form_types.order_by("code", "version")]


class OwnDepartmentFilter(admin.RelatedFieldListFilter):
    """The user's own departments, the only ones whose batches they see."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        return [(g.pk, g.name) for g in departments_of(cast(User, request.user)).order_by("name")]


class ReasonFilter(admin.SimpleListFilter):
    """Why the documents' fields wait. Quality samples are a supervisor's filter only: a
    clerk must not know which fields are samples."""

    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        reasons = [
            (
                ExtractedField.Reason.LOW_CONFIDENCE.value,
                ExtractedField.Reason.LOW_CONFIDENCE.label,
            ),
            (ExtractedField.Reason.VALIDATION.value, ExtractedField.Reason.VALIDATION.label),
            (ExtractedField.Reason.ALIGNMENT.value, ExtractedField.Reason.ALIGNMENT.label),
        ]
        if form_types_with(cast(User, request.user), "supervise").exists():
            reasons.append(
                (ExtractedField.Reason.QA_SAMPLE.value, ExtractedField.Reason.QA_SAMPLE.label)
            )
        return reasons

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        allowed = {v for v, _label in self.lookup_choices}
        if value not in allowed:
            return queryset.none()
        return queryset.filter(queue.reason_filter(value))


class WaitingStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (s.value, s.label)
            for s in (ReviewItem.Status.NEEDS_REVIEW, ReviewItem.Status.IN_REVIEW)
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in queue.WAITING:
            return queryset.filter(status=value)
        return queryset if value is None else queryset.none()


@admin.register(ReviewItem)
class ReviewQueueAdmin(admin.ModelAdmin):
    list_display = ("document_link", "form_name", "batch_number", "status", "holder", "created")
    list_display_links = None
    list_filter = (
        ("form_type", ProcessableFormTypeFilter),
        BatchFilter,
        ("batch__department", OwnDepartmentFilter),
        WaitingStatusFilter,
        ReasonFilter,
    )
    list_per_page = 50
    # The order 次へ takes them: oldest batch first (Document's own ordering is newest first).
    ordering = ("batch_id", "pk")
    paginator = QueuePaginator
    show_full_result_count = False
    change_list_template = "admin/ocr/review/change_list.html"
    actions = ("release_selected",)

    # The queue is the clerk's: seen by anyone who may process some form type; each row
    # is then one of their own departments' documents.
    def _may_process(self, request: HttpRequest) -> bool:
        return form_types_with(cast(User, request.user), "process").exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and self._may_process(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list only: a document is opened on the review screen, which claims it.
        return obj is None and self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_supervise_permission(self, request: HttpRequest) -> bool:
        return form_types_with(cast(User, request.user), "supervise").exists()

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewItem]:
        # Ordered by ``ordering`` above: the changelist replaces a queryset's own order.
        waiting = queue.waiting_documents(cast(User, request.user), ReviewItem.objects.all())
        return cast(QuerySet[ReviewItem], waiting.select_related("form_type", "claimed_by"))

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("next/", wrap(views.next_document), name="ocr_reviewitem_next"),
            path("<int:pk>/review/", wrap(views.review), name="ocr_reviewitem_review"),
            path("<int:pk>/release/", wrap(views.release_view), name="ocr_reviewitem_release"),
            path("<int:pk>/reject/", wrap(views.reject_view), name="ocr_reviewitem_reject"),
            path("<int:pk>/heartbeat/", wrap(views.heartbeat), name="ocr_reviewitem_heartbeat"),
            path("cells/", wrap(cell_views.cell_grid), name="ocr_reviewitem_cells"),
            path(
                "cells/<int:field_id>/<int:number>/image/",
                wrap(cell_views.cell_image),
                name="ocr_reviewitem_cell_image",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        user = cast(User, request.user)
        by_form_type, by_batch = queue.counts(queue.waiting_documents(user))
        context = {
            # Django's "Select %s to view" reads badly in Japanese for this list.
            "title": _("Verification queue"),
            **(extra_context or {}),
            "counts_by_form_type": by_form_type,
            "counts_by_batch": by_batch,
            "quality_rows": quality.error_rates(form_types_with(user, "process")),
            "cap": QueuePaginator.CAP,
        }
        return super().changelist_view(request, context)

    @admin.display(description=_("document"), ordering="pk")
    def document_link(self, obj: ReviewItem) -> str:
        return format_html('<a href="{}">#{}</a>', views.review_url(obj), obj.pk)

    @admin.display(description=_("form type"), ordering="form_type__name")
    def form_name(self, obj: ReviewItem) -> str:
        return obj.form_type.name

    @admin.display(description=_("batch"), ordering="batch_id")
    def batch_number(self, obj: ReviewItem) -> str:
        return f"#{obj.batch_id}"

    @admin.display(description=_("in review by"))
    def holder(self, obj: ReviewItem) -> str:
        return display_name(obj.claimed_by) if obj.claimed_by_id else ""

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj: ReviewItem) -> str:
        return date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    @admin.action(description=_("Release the selected claims"), permissions=["supervise"])
    def release_selected(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        released = release_claims(queryset, acting_user=cast(User, request.user))
        self.message_user(
            request,
            _("%(count)s claims released.") % {"count": released},
            messages.SUCCESS if released else messages.WARNING,
        )
