"""The document screen: pages, readings (masked), reveal, My Number search and CSV export."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from audit.access import Access, LogsChangeViewAccess, log_access
from ocr import views
from ocr.admin.batches import ReadOnlyAdmin
from ocr.exports import EXPORTABLE, csv_bytes, mark_exported
from ocr.models import Document
from ocr.permissions import can_export, can_view_mynumber
from ocr.reveal import is_revealed
from yomitoru.lib.mynumber import MASK


class MyNumberDigestFilter(admin.SimpleListFilter):
    """Set by the POST-only My Number search: the URL carries a keyed digest, never the number."""

    title = _("My Number search")
    parameter_name = "mynumber_digest"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(fields__value_digest=self.value()).distinct()
        return queryset

    def has_output(self) -> bool:
        return False


def field_rows(request: HttpRequest, document: Document) -> list[dict[str, Any]]:
    user = cast(User, request.user)
    shown = is_revealed(request, user, document)
    rows = []
    for field in document.fields.select_related("definition").order_by("definition__order"):
        value = field.final_value or field.ocr_value
        if field.definition.sensitive and value and not shown:
            value = MASK
        rows.append(
            {
                "label": field.definition.label,
                "value": value,
                "sensitive": field.definition.sensitive,
                "confidence": field.confidence,
                "status": field.get_status_display(),
                "errors": ", ".join(field.validation_errors),
                "crop_url": reverse("admin:ocr_document_crop", args=[document.pk, field.pk]),
            }
        )
    return rows


@admin.register(Document)
class DocumentAdmin(LogsChangeViewAccess, ReadOnlyAdmin):
    list_display = ("id", "form_type", "batch", "status", "created_at", "verified_by")
    list_filter = ("status", "form_type", MyNumberDigestFilter)
    date_hierarchy = "created_at"
    change_form_template = "admin/ocr/document/change_form.html"
    change_list_template = "admin/ocr/document/change_list.html"
    actions = ("export_csv",)
    fields = ("form_type", "batch", "source_file", "status", "created_at", "verified_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).select_related("form_type", "batch", "verified_by")

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/page/<int:number>.png", wrap(views.page_image), name="ocr_document_page"
            ),
            path(
                "<int:pk>/field/<int:field_id>.png",
                wrap(views.field_crop),
                name="ocr_document_crop",
            ),
            path("<int:pk>/reveal/", wrap(views.reveal_document), name="ocr_document_reveal"),
            path("search-mynumber/", wrap(views.search_by_mynumber), name="ocr_document_search"),
            *super().get_urls(),
        ]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Export is decided per form type below; the bulk delete action never applies here.
        actions.pop("delete_selected", None)
        return actions

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        user = cast(User, request.user)
        document = self.get_queryset(request).filter(pk=object_id).first()
        context = dict(extra_context or {})
        if document is not None:
            context.update(
                field_rows=field_rows(request, document),
                pages=[
                    reverse("admin:ocr_document_page", args=[document.pk, p.number])
                    for p in document.pages.all()
                ],
                revealed=is_revealed(request, user, document),
                can_reveal=can_view_mynumber(user, document.form_type_id),
                reveal_url=reverse("admin:ocr_document_reveal", args=[document.pk]),
            )
        return super().change_view(request, object_id, form_url, context)

    @admin.action(description=_("Export selected documents as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Document]) -> HttpResponse | None:
        user = cast(User, request.user)
        form_type_ids = set(queryset.values_list("form_type", flat=True))
        if len(form_type_ids) != 1:
            self.message_user(request, _("Export one form type at a time."), messages.ERROR)
            return None
        document = queryset.select_related("form_type").first()
        assert document is not None
        form_type = document.form_type
        if not can_export(user, form_type):
            self.message_user(request, _("You may not export this form type."), messages.ERROR)
            return None
        ready = list(
            queryset.filter(status__in=EXPORTABLE).prefetch_related("fields").order_by("pk")
        )
        if not ready:
            self.message_user(
                request, _("No selected document is ready to export."), messages.WARNING
            )
            return None
        body, count = csv_bytes(form_type, ready, show_sensitive=can_view_mynumber(user, form_type))
        mark_exported(ready)
        log_access(user, form_type, Access.EXPORT, count=count)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{form_type.code}.csv"'
        response["Cache-Control"] = "no-store"
        return response
