"""The document screen: pages, readings (masked), reveal and My Number search."""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forms_catalog.kinds import FieldKind
from ocr import views
from ocr.admin.batches import ReadOnlyAdmin
from ocr.disclosure import open_document, shown_value
from ocr.models import Batch, Document, ExtractedField
from ocr.permissions import can_view_mynumber, form_types_with
from ocr.pipeline.validate import describe
from yomitoru.admin_site import display_name
from yomitoru.lib import wareki

DIGEST_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class MyNumberDigestFilter(admin.SimpleListFilter):
    """Set by the POST-only My Number search: the URL carries a keyed digest, never the number.

    Only documents of form types whose numbers the user may see are matched. The filter is
    shown in the sidebar while it is active, with a link that clears it.
    """

    title = _("My Number search")
    parameter_name = "mynumber_digest"
    template = "admin/ocr/document/mynumber_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return []

    def has_output(self) -> bool:
        # Django applies only the filters that have output: this one must, or it is ignored.
        return True

    def choices(self, changelist: Any) -> Any:
        yield {
            "active": self.value() is not None,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not DIGEST_PATTERN.match(value):
            raise IncorrectLookupParameters(_("Not a My Number search."))
        user = cast(User, request.user)
        return queryset.filter(
            form_type__in=form_types_with(user, "view_mynumber"), fields__value_digest=value
        ).distinct()


class BatchFilter(admin.SimpleListFilter):
    """The documents of one batch, reached from the batch's page (too many to list them all)."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if value is None or not value.isdigit():
            return []
        return [(value, str(_("Batch #%(id)s") % {"id": value}))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        # ASCII digits that fit a database integer ("²" passes str.isdigit, not int()).
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            raise IncorrectLookupParameters(value)
        return queryset.filter(batch_id=int(value))


def documents_of_batch_url(batch: Batch) -> str:
    return reverse("admin:ocr_document_changelist") + "?" + urlencode({"batch": batch.pk})


def readable(field: ExtractedField, *, revealed: bool) -> str:
    """A reading as staff write it: era dates in words, checkboxes as ticked or not."""
    value = shown_value(field, revealed=revealed)
    kind = field.definition.kind
    if kind == FieldKind.WAREKI_DATE and value:
        try:
            return wareki.format_ja(value)
        except ValueError:
            return value
    if kind == FieldKind.CHECKBOX:
        return str(_("Ticked")) if value == "1" else str(_("Not ticked"))
    return value


def field_rows(document: Document, *, revealed: bool, view_token: str) -> list[dict[str, Any]]:
    query = urlencode({"view": view_token})
    rows = []
    for field in document.fields.select_related("definition").order_by("definition__order"):
        crop = reverse("admin:ocr_document_crop", args=[document.pk, field.pk])
        rows.append(
            {
                "label": field.definition.label,
                "value": readable(field, revealed=revealed),
                "sensitive": field.definition.sensitive,
                "confidence": field.confidence,
                "status": field.get_status_display(),
                "errors": " ".join(describe(code) for code in field.validation_errors),
                "crop_url": f"{crop}?{query}",
            }
        )
    return rows


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("id", "form_name", "batch_number", "status", "created_at", "verifier")
    list_filter = (
        "status",
        ("form_type", admin.RelatedOnlyFieldListFilter),
        BatchFilter,
        MyNumberDigestFilter,
    )
    date_hierarchy = "created_at"
    change_form_template = "admin/ocr/document/change_form.html"
    change_list_template = "admin/ocr/document/change_list.html"
    # Exports are requested per batch or range of days (ocr/admin/exports.py), not here.
    actions = None
    fields = ("form_name", "batch", "source_file", "status", "created_at", "verifier")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).select_related("form_type", "verified_by")

    @admin.display(description=_("form type"), ordering="form_type__name")
    def form_name(self, obj: Document) -> str:
        return obj.form_type.name

    @admin.display(description=_("batch"), ordering="batch_id")
    def batch_number(self, obj: Document) -> str:
        return f"#{obj.batch_id}"

    @admin.display(description=_("verified by"), ordering="verified_by")
    def verifier(self, obj: Document) -> str:
        return display_name(obj.verified_by)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/page/<int:number>.jpg", wrap(views.page_image), name="ocr_document_page"
            ),
            path(
                "<int:pk>/field/<int:field_id>.jpg",
                wrap(views.field_crop_image),
                name="ocr_document_crop",
            ),
            path("<int:pk>/reveal/", wrap(views.reveal), name="ocr_document_reveal"),
            path("search-mynumber/", wrap(views.search_by_mynumber), name="ocr_document_search"),
            *super().get_urls(),
        ]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Export is decided per form type below; the bulk delete action never applies here.
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        user = cast(User, request.user)
        context = {
            **(extra_context or {}),
            "may_search_mynumber": views.may_search_by_mynumber(user),
            "mynumber_search_active": MyNumberDigestFilter.parameter_name in request.GET,
        }
        return super().changelist_view(request, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        user = cast(User, request.user)
        # get_object, not filter(pk=…): an id that is not a number is "not found", not an error.
        document = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        # Logged whenever the admin renders the page: for every method but POST (refused here,
        # nobody changes a document in the admin), to those with the page's view right.
        shown = request.method != "POST" and self.has_view_permission(request, document)
        if document is not None and shown:
            numbers = list(document.pages.values_list("number", flat=True))
            fields_count = document.fields.count()
            view = open_document(document, fields=fields_count, pages=numbers, acting_user=user)
            page_query = urlencode({"view": view.token})
            context.update(
                field_rows=field_rows(document, revealed=view.revealed, view_token=view.token),
                pages=[
                    {
                        "number": number,
                        "url": reverse("admin:ocr_document_page", args=[document.pk, number])
                        + f"?{page_query}",
                    }
                    for number in numbers
                ],
                revealed=view.revealed,
                revealed_until=(
                    timezone.localtime(view.revealed_until) if view.revealed_until else None
                ),
                can_reveal=can_view_mynumber(user, document.form_type_id),
                has_sensitive=document.form_type.fields.filter(sensitive=True).exists(),
                reveal_url=reverse("admin:ocr_document_reveal", args=[document.pk]),
                batch_documents_url=documents_of_batch_url(document.batch),
            )
        return super().change_view(request, object_id, form_url, context)
