"""Admin screens of CSV export: the mapping of each form type version, and the exports
(request, four-eyes approval, progress, one-time download)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from audit.access import Access, log_access
from forms_catalog.models import FormType
from ocr.exports import mapping
from ocr.exports.columns import BATCH_ID, DOCUMENT_ID, FIXED
from ocr.exports.services import (
    ExportRefused,
    approve_export,
    download_export,
    export_columns,
    exportable,
    request_export,
    values_by_document,
)
from ocr.models import Batch, ExportColumn, ExportJob, ExportMapping
from ocr.permissions import can_export, form_types_with, visible_batches
from yomitoru.admin_site import ReadOnlyModelAdmin, display_name

DOWNLOAD_SALT = "ocr.export.download"
PREVIEW_DOCUMENTS = 3


# --------------------------------------------------------------------------- mapping


class ExportColumnForm(forms.ModelForm):
    class Meta:
        model = ExportColumn
        fields = ("order", "header", "source", "value", "transforms")
        widgets = {
            "order": forms.NumberInput(attrs={"class": "export-order"}),
            "header": forms.TextInput(attrs={"size": 14}),
            "value": forms.TextInput(attrs={"size": 8}),
            "transforms": forms.Textarea(attrs={"rows": 2, "cols": 34}),
        }
        help_texts = {
            "transforms": _(
                'For example [{"transform": "date", "format": "wareki"}]. Transforms: date '
                "(format iso, yyyymmdd, wareki, wareki_ja), zero_pad (width), half_width, "
                "full_width, katakana, no_hyphens, amount, checkbox (checked, unchecked), "
                "choice (codes)."
            )
        }

    def __init__(self, *args: Any, form_type: FormType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_type = form_type
        definitions = list(form_type.fields.order_by("order", "id")) if form_type else []
        self.definitions = definitions
        self.fields["source"] = forms.ChoiceField(
            label=pgettext_lazy("export column", "source"),
            choices=[
                *((d.key, f"{d.label} ({d.key})") for d in definitions),
                (DOCUMENT_ID, _("Document number")),
                (BATCH_ID, _("Batch number")),
                (FIXED, _("Fixed value")),
            ],
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            mapping.check_column(
                source=data.get("source", ""),
                value=data.get("value", ""),
                transforms=data.get("transforms", []),
                definitions=self.definitions,
            )
        return data


class ExportColumnInline(admin.TabularInline):
    model = ExportColumn
    form = ExportColumnForm
    extra = 0


@admin.register(ExportMapping)
class ExportMappingAdmin(admin.ModelAdmin):
    """One page per form type version: its columns, edited as rows, and a preview."""

    list_display = ("name", "code", "version", "is_current", "column_count")
    list_filter = ("is_current",)
    fields = ("name", "code", "version", "preview")
    readonly_fields = fields
    inlines = (ExportColumnInline,)
    actions = ("start_from_defaults",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ocr.change_exportcolumn")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Editable while the version is in use: each change is an audit entry, and each
        # export's entry names the columns it was written with.
        return self.has_module_permission(request)

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        # Each row's form knows its form type's fields (the choices of "source").
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        return {**kwargs, "form_kwargs": {"form_type": obj}}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form type itself is not edited here: only its columns (the inline)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExportMapping]:
        return super().get_queryset(request).prefetch_related("export_columns")

    @admin.display(description=_("columns"))
    def column_count(self, obj: FormType) -> str:
        count = len(obj.export_columns.all())
        return str(count) if count else str(_("default"))

    @admin.display(description=_("preview"))
    def preview(self, obj: FormType) -> SafeString:
        """The header, a row of made-up values, and the first verified documents the person
        may export (My Numbers masked)."""
        columns = export_columns(obj)
        definitions = list(obj.fields.order_by("order", "id"))
        rows = [(str(_("Sample")), mapping.sample_row(columns, definitions))]
        user = getattr(obj, "previewed_by", None)
        if user is not None and can_export(user, obj):
            ids = list(
                exportable(obj, user=user)
                .order_by("pk")
                .values_list("pk", flat=True)[:PREVIEW_DOCUMENTS]
            )
            for document_id, batch_id, values in values_by_document(ids):
                rows.append(
                    (
                        f"#{document_id}",
                        mapping.document_row(columns, document_id, batch_id, values),
                    )
                )
            if ids:
                # The preview shows those documents' values (My Numbers masked): a look at them.
                log_access(user, obj, Access.OPEN, details={"documents": ids, "preview": True})
        return SafeString(
            render_to_string(
                "admin/ocr/exportmapping/preview.html",
                {"headers": [column.header for column in columns], "rows": rows},
            )
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The preview shows documents only to a person who may export them.
            obj.previewed_by = request.user
        return obj

    @admin.action(description=_("Start the mapping from the default columns"))
    def start_from_defaults(self, request: HttpRequest, queryset: QuerySet[ExportMapping]) -> None:
        user = cast(User, request.user)
        started = sum(
            1 for form_type in queryset if mapping.start_from_defaults(form_type, acting_user=user)
        )
        if started:
            self.message_user(
                request,
                _("Default columns written for %(count)s form types.") % {"count": started},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("The selected form types have a mapping already."), messages.WARNING
            )


# --------------------------------------------------------------------------- exports


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Batch) -> str:
        created = timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")
        return f"#{obj.pk} {obj.form_type.name} ({created})"


class ExportRequestForm(forms.Form):
    form_type = forms.ModelChoiceField(label=_("form type"), queryset=FormType.objects.none())
    batch = BatchChoiceField(
        label=_("batch"),
        queryset=Batch.objects.none(),
        required=False,
        help_text=_("The verified documents of one batch, or leave empty and give days."),
    )
    verified_from = forms.DateField(
        label=_("verified from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    verified_until = forms.DateField(
        label=_("verified until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    encoding = forms.ChoiceField(label=_("encoding"), choices=ExportJob.Encoding.choices)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_types = form_types_with(user, "export")
        self.fields["form_type"].queryset = form_types  # type: ignore[attr-defined]
        self.fields["batch"].queryset = (  # type: ignore[attr-defined]
            visible_batches(user).filter(form_type__in=form_types).select_related("form_type")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        batch, form_type = data.get("batch"), data.get("form_type")
        if batch is not None and form_type is not None and batch.form_type_id != form_type.pk:
            raise forms.ValidationError(_("This batch is of another form type."))
        start, end = data.get("verified_from"), data.get("verified_until")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day comes after the last."))
        return data


def download_token(job: ExportJob, user: User) -> str:
    return signing.dumps({"export": job.pk, "user": user.pk}, salt=DOWNLOAD_SALT)


def _token_holds(token: str, job: ExportJob, user: User) -> bool:
    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.EXPORT_LINK_MINUTES * 60)
    except signing.BadSignature:
        return False
    return data == {"export": job.pk, "user": user.pk}


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyModelAdmin):
    """The exports of the form types one may export: ask for one, approve another's, fetch
    one's own file once."""

    list_display = (
        "id",
        "form_name",
        "batch_number",
        "status",
        "mynumbers",
        "row_count",
        "requester",
        "requested_at",
        "approver",
    )
    list_filter = ("status", "includes_mynumber")
    change_form_template = "admin/ocr/exportjob/detail.html"

    def _may_export(self, request: HttpRequest) -> bool:
        return form_types_with(cast(User, request.user), "export").exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and self._may_export(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExportJob]:
        form_types = form_types_with(cast(User, request.user), "export")
        return (
            super()
            .get_queryset(request)
            .filter(form_type__in=form_types)
            .select_related("form_type", "requested_by", "approved_by")
        )

    @admin.display(description=_("form type"), ordering="form_type__name")
    def form_name(self, obj: ExportJob) -> str:
        return obj.form_type.name

    @admin.display(description=_("batch"), ordering="batch_id")
    def batch_number(self, obj: ExportJob) -> str:
        return f"#{obj.batch_id}" if obj.batch_id else "—"

    @admin.display(description=_("My Numbers"), boolean=True, ordering="includes_mynumber")
    def mynumbers(self, obj: ExportJob) -> bool:
        return obj.includes_mynumber

    @admin.display(description=_("requested by"), ordering="requested_by")
    def requester(self, obj: ExportJob) -> str:
        return display_name(obj.requested_by)

    @admin.display(description=_("approved by"), ordering="approved_by")
    def approver(self, obj: ExportJob) -> str:
        return display_name(obj.approved_by) if obj.approved_by_id else "—"

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="ocr_exportjob_approve"),
            path(
                "<int:pk>/download/<str:token>/",
                wrap(self.download_view),
                name="ocr_exportjob_download",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        user = cast(User, request.user)
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {key: request.GET[key] for key in ("form_type", "batch") if key in request.GET}
        form = ExportRequestForm(request.POST or None, initial=initial, user=user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                job = request_export(
                    data["form_type"],
                    acting_user=user,
                    encoding=data["encoding"],
                    batch=data["batch"],
                    verified_from=data["verified_from"],
                    verified_until=data["verified_until"],
                )
            except ExportRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
            else:
                self.message_user(request, _requested_message(job), messages.SUCCESS)
                return redirect("admin:ocr_exportjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Request a CSV export"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ocr/exportjob/request.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        user = cast(User, request.user)
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404
        if request.method == "POST":
            raise PermissionDenied
        working = job.status in (ExportJob.Status.QUEUED, ExportJob.Status.BUILDING)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export request #%(number)s") % {"number": job.pk},
            "opts": self.model._meta,
            "job": job,
            "original": job,
            "total": len(job.document_ids),
            "working": working,
            "may_approve": (
                job.status == ExportJob.Status.AWAITING_APPROVAL
                and job.requested_by_id != user.pk
                and can_export(user, job.form_type)
            ),
            "is_requester": job.requested_by_id == user.pk,
            "download_url": (
                reverse("admin:ocr_exportjob_download", args=[job.pk, download_token(job, user)])
                if job.status == ExportJob.Status.READY and job.requested_by_id == user.pk
                else ""
            ),
            "requested_by": display_name(job.requested_by),
            "approved_by": display_name(job.approved_by) if job.approved_by_id else "",
            "approval_expires_at": _local(job.approval_expires_at),
            "download_expires_at": _local(job.download_expires_at),
            "link_minutes": settings.EXPORT_LINK_MINUTES,
        }
        return TemplateResponse(request, "admin/ocr/exportjob/detail.html", context)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        return require_POST(self._approve)(request, pk)

    def _approve(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            approve_export(job, acting_user=cast(User, request.user))
        except ExportRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
        else:
            self.message_user(request, _("Approved: the file is being written."), messages.SUCCESS)
        return redirect("admin:ocr_exportjob_change", pk)

    def download_view(self, request: HttpRequest, pk: int, token: str) -> HttpResponse:
        user = cast(User, request.user)
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not _token_holds(token, job, user):
            self.message_user(request, _("This download link is no longer valid."), messages.ERROR)
            return redirect("admin:ocr_exportjob_change", pk)
        try:
            download = download_export(job, acting_user=user)
        except ExportRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect("admin:ocr_exportjob_change", pk)
        charset = "shift_jis" if job.encoding == ExportJob.Encoding.CP932 else "utf-8"
        response = HttpResponse(download.content, content_type=f"text/csv; charset={charset}")
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        response["Cache-Control"] = "no-store"
        return response


def _local(moment: Any) -> Any:
    return timezone.localtime(moment) if moment else None


def _requested_message(job: ExportJob) -> str:
    if job.status == ExportJob.Status.AWAITING_APPROVAL:
        return str(
            _(
                "Requested: %(count)s documents. The export holds My Numbers: another "
                "person with the export right approves it before it is written."
            )
            % {"count": len(job.document_ids)}
        )
    return str(
        _("Requested: %(count)s documents. The file is being written.")
        % {"count": len(job.document_ids)}
    )
