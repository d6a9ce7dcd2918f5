"""Admin views of what the pipeline created. Rows made by machines are read-only here."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.access import LogsChangeViewAccess
from forms_catalog.kinds import FieldKind
from ocr.forms import UploadForm
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, KindThreshold, OcrRun, SourceFile
from ocr.permissions import (
    can_export,
    can_process,
    form_types_with,
    processable_form_types,
    visible_batches,
)
from ocr.progress import Progress, progress_of
from ocr.review.services import (
    ReviewRefused,
    complete_batch,
    confirm_batch,
    reject_failed,
    rerun_failed,
)
from yomitoru.admin_site import ReadOnlyModelAdmin, display_name


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """The pipeline creates these rows; people read them (and correct through services).

    Every list, search and count is limited to the form types the user may process.
    """

    # The path from this model to its Batch: rows are seen through the batches one may see.
    batch_path = "batch"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        batches = visible_batches(cast(User, request.user))
        lookup = "pk__in" if self.batch_path == "" else f"{self.batch_path}__in"
        return super().get_queryset(request).filter(**{lookup: batches})


class FileSizeColumn:
    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj: SourceFile) -> str:
        return filesizeformat(obj.size)


class SourceFileInline(FileSizeColumn, admin.TabularInline):
    model = SourceFile
    extra = 0
    fields = (
        "original_name",
        "content_type",
        "file_size",
        "page_count",
        "status",
        "error_message",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(LogsChangeViewAccess, ReadOnlyAdmin):
    batch_path = ""
    list_display = (
        "id",
        "form_name",
        "department",
        "source",
        "status",
        "progress",
        "uploader",
        "created_at",
    )
    list_filter = (
        "status",
        "source",
        ("department", admin.RelatedOnlyFieldListFilter),
        ("form_type", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "created_at"
    inlines = (SourceFileInline,)
    fields = (
        "form_type",
        "department_name",
        "source",
        "status",
        "uploader",
        "created_at",
        "progress",
        "documents_link",
    )
    readonly_fields = fields
    change_list_template = "admin/ocr/batch/change_list.html"
    change_form_template = "admin/ocr/batch/change_form.html"
    actions = ("confirm_accepted", "rerun_failed", "reject_failed", "complete")

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_supervise_permission(self, request: HttpRequest) -> bool:
        return form_types_with(cast(User, request.user), "supervise").exists()

    def has_process_permission(self, request: HttpRequest) -> bool:
        return processable_form_types(cast(User, request.user)).exists()

    def _each(self, request: HttpRequest, queryset: QuerySet[Batch], act: Any) -> int:
        """Run one review service per batch; a refusal is shown with the batch's number, and
        an act that changed nothing and was refused nowhere says so."""
        done = refusals = 0
        for batch in queryset.select_related("form_type").order_by("pk"):
            try:
                done += act(batch)
            except ReviewRefused as refused:
                refusals += 1
                self.message_user(request, f"#{batch.pk}: {refused.message}", messages.ERROR)
        if not done and not refusals:
            self.message_user(
                request, _("There was nothing to do in the selected batches."), messages.WARNING
            )
        return done

    @admin.action(
        description=_("Confirm the auto-accepted documents of the selected batches"),
        permissions=["supervise"],
    )
    def confirm_accepted(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        user = cast(User, request.user)
        count = self._each(request, queryset, lambda b: confirm_batch(b, acting_user=user))
        if count:
            self.message_user(request, _("%(count)s documents verified.") % {"count": count})

    @admin.action(description=_("Read the failed documents again"), permissions=["process"])
    def rerun_failed(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        user = cast(User, request.user)
        count = self._each(request, queryset, lambda b: rerun_failed(b, acting_user=user))
        if count:
            self.message_user(
                request, _("%(count)s documents queued for reading.") % {"count": count}
            )

    @admin.action(
        description=_("Reject the documents that could not be read (illegible)"),
        permissions=["supervise"],
    )
    def reject_failed(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        user = cast(User, request.user)
        count = self._each(request, queryset, lambda b: reject_failed(b, acting_user=user))
        if count:
            self.message_user(request, _("%(count)s documents rejected.") % {"count": count})

    @admin.action(description=_("Mark the selected batches complete"), permissions=["process"])
    def complete(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        user = cast(User, request.user)
        count = self._each(request, queryset, lambda b: bool(complete_batch(b, acting_user=user)))
        if count:
            self.message_user(request, _("%(count)s batches complete.") % {"count": count})

    def get_urls(self) -> list:
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="ocr_batch_upload"
        )
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        reading = self.get_queryset(request).filter(
            status__in=[Batch.Status.OPEN, Batch.Status.PROCESSING]
        )
        context = {
            **(extra_context or {}),
            "batches_being_read": reading.exists(),
            "may_upload": processable_form_types(cast(User, request.user)).exists(),
        }
        return super().changelist_view(request, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        batch = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if batch is not None and can_export(cast(User, request.user), batch.form_type_id):
            query = urlencode({"form_type": batch.form_type_id, "batch": batch.pk})
            context["export_url"] = reverse("admin:ocr_exportjob_add") + "?" + query
        return super().change_view(request, object_id, form_url, context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Several scans at once into a new batch of one form type and department."""
        user = cast(User, request.user)  # the admin only lets authenticated staff in
        if not processable_form_types(user).exists():
            raise PermissionDenied
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
        return super().get_queryset(request).select_related("form_type", "department", "created_by")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BatchChangeList

    @admin.display(description=_("form type"), ordering="form_type__name")
    def form_name(self, obj: Batch) -> str:
        return obj.form_type.name

    @admin.display(description=_("department"))
    def department_name(self, obj: Batch) -> str:
        # Text, not the admin's link to the group: only administrators may open groups.
        return obj.department.name

    @admin.display(description=_("uploaded by"), ordering="created_by")
    def uploader(self, obj: Batch) -> str:
        return display_name(obj.created_by)

    @admin.display(description=_("documents"))
    def documents_link(self, obj: Batch) -> str:
        url = reverse("admin:ocr_document_changelist") + "?" + urlencode({"batch": obj.pk})
        count = obj.documents.count()
        return format_html(
            '<a href="{}" id="batch-documents">{}</a>',
            url,
            _("Open the %(count)s documents of this batch") % {"count": count},
        )

    @admin.display(description=_("progress"))
    def progress(self, obj: Batch) -> str:
        """Pages read, and where the documents stand."""
        p = _progress(obj)
        return format_html(
            '<progress value="{}" max="{}"></progress> {}/{} {}<br><span class="batch-work">{}'
            "</span>",
            p.pages_read,
            max(p.pages, 1),
            p.pages_read,
            p.pages,
            _("(%(failed)s failed)") % {"failed": p.failed} if p.failed else "",
            _(
                "to review %(waiting)s (%(fields)s fields) · verified %(verified)s"
                " · exported %(exported)s · rejected %(rejected)s"
            )
            % {
                "waiting": p.waiting,
                "fields": p.fields_waiting,
                "verified": p.verified,
                "exported": p.exported,
                "rejected": p.rejected,
            },
        )


class BatchChangeList(ChangeList):
    """Counts the progress of the shown batches at once (``ocr.progress``)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        counted = progress_of(batch.pk for batch in self.result_list)
        for batch in self.result_list:
            batch.progress = counted[batch.pk]


def _progress(batch: Batch) -> Progress:
    counted = getattr(batch, "progress", None)
    return counted if counted is not None else progress_of([batch.pk])[batch.pk]


@admin.register(SourceFile)
class SourceFileAdmin(FileSizeColumn, ReadOnlyAdmin):
    list_display = (
        "id",
        "original_name",
        "batch",
        "content_type",
        "file_size",
        "status",
        "error_code",
        "created_at",
    )
    list_filter = ("status", "error_code", "content_type")
    exclude = ("file",)


@admin.register(OcrRun)
class OcrRunAdmin(ReadOnlyAdmin):
    batch_path = "document__batch"
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
        "kind_label",
        "form_shown",
        "threshold_shown",
        "target_shown",
        "residual_shown",
        "straight_through_shown",
        "sample_fields",
        "measured_with",
        "measured_at",
    )

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: KindThreshold) -> str:
        try:
            return str(FieldKind(obj.kind).label)
        except ValueError:
            return obj.kind

    @admin.display(description=_("form type"), ordering="form_code")
    def form_shown(self, obj: KindThreshold) -> str:
        return obj.form_code or str(_("every form type"))

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_shown(self, obj: KindThreshold) -> str:
        if obj.threshold is None:
            return str(_("always reviewed"))
        return f"{obj.threshold:.3f}"

    @admin.display(description=_("target residual error"))
    def target_shown(self, obj: KindThreshold) -> str:
        return f"{obj.target_error:.1%}"

    @admin.display(description=_("measured residual error"))
    def residual_shown(self, obj: KindThreshold) -> str:
        return f"{obj.residual_error:.2%}"

    @admin.display(description=_("measured straight-through rate"))
    def straight_through_shown(self, obj: KindThreshold) -> str:
        return f"{obj.straight_through:.1%}"
