"""Admin views of what the pipeline created. Rows made by machines are read-only here."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.access import LogsChangeViewAccess
from ocr.forms import UploadForm
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, KindThreshold, OcrRun, Page, SourceFile
from ocr.permissions import can_process, form_types_with
from yomitoru.admin_site import ReadOnlyModelAdmin


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """The pipeline creates these rows; people read them (and correct through services).

    Every list, search and count is limited to the form types the user may process.
    """

    # The path from this model to its FormType, for the department filter.
    form_type_path = "form_type"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        allowed = form_types_with(cast(User, request.user), "process")
        return super().get_queryset(request).filter(**{f"{self.form_type_path}__in": allowed})


class SourceFileInline(admin.TabularInline):
    model = SourceFile
    extra = 0
    fields = (
        "original_name",
        "content_type",
        "size",
        "page_count",
        "status",
        "error_code",
        "error_message",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(LogsChangeViewAccess, ReadOnlyAdmin):
    list_display = (
        "id",
        "form_type",
        "department",
        "source",
        "status",
        "progress",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "source", "department", "form_type")
    date_hierarchy = "created_at"
    inlines = (SourceFileInline,)
    readonly_fields = ("progress",)
    change_list_template = "admin/ocr/batch/change_list.html"
    change_form_template = "admin/ocr/batch/change_form.html"

    def get_urls(self) -> list:
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="ocr_batch_upload"
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Several scans at once into a new batch of one form type and department."""
        user = cast(User, request.user)  # the admin only lets authenticated staff in
        form = UploadForm(request.POST or None, request.FILES or None, user=user)
        if request.method == "POST" and form.is_valid():
            form_type = form.cleaned_data["form_type"]
            if not can_process(user, form_type):
                raise PermissionDenied
            batch = create_batch(
                form_type,
                department=form.cleaned_data["department"],
                source=Batch.Source.ADMIN,
                user=user,
            )
            scans = form.cleaned_data["scans"]
            result = ingest_files(batch, ((f.name, f.read()) for f in scans))
            self.message_user(
                request,
                _("%(accepted)s documents queued, %(rejected)s files rejected.")
                % {"accepted": len(result.documents), "rejected": len(result.rejected)},
                messages.WARNING if result.rejected else messages.SUCCESS,
            )
            return redirect("admin:ocr_batch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload scans"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ocr/batch/upload.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Batch]:
        pages_done = ~Q(documents__pages__alignment=Page.Alignment.PENDING)
        return (
            super()
            .get_queryset(request)
            .select_related("form_type", "department", "created_by")
            .annotate(
                page_total=Count("documents__pages", distinct=True),
                page_done=Count("documents__pages", filter=pages_done, distinct=True),
                doc_failed=Count(
                    "documents",
                    filter=Q(documents__status=Document.Status.FAILED),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("progress"))
    def progress(self, obj: Batch) -> str:
        total = getattr(obj, "page_total", 0) or 0
        done = getattr(obj, "page_done", 0) or 0
        failed = getattr(obj, "doc_failed", 0) or 0
        return format_html(
            '<progress value="{}" max="{}"></progress> {}/{} {}',
            done,
            max(total, 1),
            done,
            total,
            _("(%(failed)s failed)") % {"failed": failed} if failed else "",
        )


@admin.register(SourceFile)
class SourceFileAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "original_name",
        "batch",
        "content_type",
        "size",
        "status",
        "error_code",
        "created_at",
    )
    list_filter = ("status", "error_code", "content_type")
    exclude = ("file",)


@admin.register(OcrRun)
class OcrRunAdmin(ReadOnlyAdmin):
    form_type_path = "document__form_type"
    list_display = (
        "id",
        "document",
        "attempt",
        "outcome",
        "duration_ms",
        "error_code",
        "started_at",
    )
    list_filter = ("outcome", "error_code")


@admin.register(KindThreshold)
class KindThresholdAdmin(ReadOnlyAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Thresholds are configuration, not personal data: every staff member may read them.
        return KindThreshold.objects.all()

    list_display = (
        "kind",
        "threshold",
        "target_error",
        "residual_error",
        "straight_through",
        "sample_fields",
        "measured_with",
        "measured_at",
    )
