"""The audit log in the admin: readable by officers, never editable or deletable by anyone.

The security officer (``audit.view_auditentry``, no right on any form type) filters entries by
user, date, action, kind of access, form type, batch and document; looks up who accessed the
documents holding a My Number (POST only, through the keyed digest); reads the unusual-access
report; exports the filtered log as CSV. Each of these looks is itself logged.
"""

from __future__ import annotations

from typing import Any, cast

from auditlog.admin import LogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit import officer_views
from audit.access import Access, LogsChangeViewAccess, log_access
from audit.actors import entry_person
from audit.models import AuditEntry
from forms_catalog.models import FormType
from yomitoru.admin_site import ReadOnlyModelAdmin, model_name

# django-auditlog registers its own admin for the entry model; ours replaces it.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


# The largest id a database integer holds: a longer number is no id (SQLite cannot bind it).
MAX_ID = 2**63 - 1


def _scope_id(value: str | None) -> int:
    """An id from the query string: plain ASCII digits ("²" is a digit to str.isdigit only)."""
    text = value or ""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise IncorrectLookupParameters(value)
    return int(text)


class AccessKindFilter(admin.SimpleListFilter):
    title = _("access kind")
    parameter_name = "access"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Access.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(additional_data__access=self.value())
        return queryset


class FormTypeScopeFilter(admin.SimpleListFilter):
    """Entries concerning one form type (access entries name it in their scope)."""

    title = _("form type")
    parameter_name = "form_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(ft.pk), str(ft)) for ft in FormType.objects.order_by("code", "-version")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(additional_data__form_type=_scope_id(self.value()))
        return queryset


class ScopeIdFilter(admin.SimpleListFilter):
    """An id typed in: batches and documents are too many to list as choices."""

    template = "admin/audit/auditentry/id_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        hidden = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
            "hidden": hidden,
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            key = f"additional_data__{self.parameter_name}"
            return queryset.filter(**{key: _scope_id(self.value())})
        return queryset


class BatchScopeFilter(ScopeIdFilter):
    title = _("batch")
    parameter_name = "batch"


class ObjectTypeFilter(ResourceTypeFilter):
    """auditlog's filter by the entry's object type, each type named by its Japanese name.

    auditlog lists ``content_type__model`` ("batch", "extractedfield"), which no catalogue
    translates.
    """

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        ids = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("content_type_id", flat=True)
            .distinct()
        )
        names = [
            (ct.pk, model_name(ct.model_class()) or ct.model)
            for ct in ContentType.objects.filter(pk__in=ids)
        ]
        return sorted(names, key=lambda pair: str(pair[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # auditlog's own hands the raw value to the query: ``?resource_type=abc`` was a 500.
        if self.value() is None:
            return queryset
        return queryset.filter(content_type_id=_scope_id(self.value()))


class DocumentScopeFilter(ScopeIdFilter):
    title = _("document")
    parameter_name = "document"


@admin.register(AuditEntry)
class AuditEntryAdmin(LogsChangeViewAccess, ReadOnlyModelAdmin, LogEntryAdmin):
    change_view_access = Access.AUDIT_VIEW
    list_display = (
        "sequence",
        "created",
        "person",
        "action",
        "access_kind",
        "resource_url",
        "scope",
    )
    list_display_links = ("sequence",)
    # Each row names its person and object type: one join, not a query per row.
    list_select_related = ("actor", "content_type")
    list_filter = (
        ("timestamp", admin.DateFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
        AccessKindFilter,
        FormTypeScopeFilter,
        BatchScopeFilter,
        DocumentScopeFilter,
        ObjectTypeFilter,
    )
    # No free-text search: whatever is typed there would travel in the URL, a My Number too.
    search_fields = ()
    ordering = ("-sequence",)
    change_list_template = "admin/audit/auditentry/change_list.html"
    readonly_fields = [
        "sequence",
        "created",
        "person",
        "resource_url",
        "cid",
        "remote_addr",
        "access_kind",
        "scope",
        "reason",
        "count",
        "shown",
        "action",
        "msg",
        "seal",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["sequence", "created", "person", "resource_url", "cid", "remote_addr"]},
        ),
        (_("Access"), {"fields": ["access_kind", "scope", "shown", "reason", "count"]}),
        (_("Changes"), {"fields": ["action", "msg"]}),
        (_("Seal"), {"fields": ["seal"]}),
    ]

    # Seeing the log takes exactly ``audit.view_auditentry``; changing it is for nobody.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("audit.view_auditentry")

    def require_officer(self, request: HttpRequest) -> User:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return cast(User, request.user)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("mynumber/", wrap(self.mynumber_view), name="audit_auditentry_mynumber"),
            path("unusual/", wrap(self.unusual_view), name="audit_auditentry_unusual"),
            path("export/", wrap(self.export_view), name="audit_auditentry_export"),
            *super().get_urls(),
        ]

    def mynumber_view(self, request: HttpRequest) -> HttpResponse:
        self.require_officer(request)
        return officer_views.mynumber_lookup(request, self)

    def unusual_view(self, request: HttpRequest) -> HttpResponse:
        self.require_officer(request)
        return officer_views.unusual_access(request, self)

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        self.require_officer(request)
        return officer_views.export_csv(request, self)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # Whatever the method (a POST of the action form renders the list too); a page that
        # shows no list (the admin's "invalid lookup" page) is not a look at the log.
        shown = getattr(response, "context_data", None) or {}
        if response.status_code == 200 and "cl" in shown:
            user = cast(User, request.user)
            log_access(user, user, Access.AUDIT_VIEW)
        return response

    @admin.display(description=_("user"), ordering="actor")
    def person(self, obj: AuditEntry) -> str:
        """The person's name and user name as the entry keeps them (not as the account is
        called now); no link (the officer does not administer users)."""
        return entry_person(obj) or str(_("system"))

    @admin.display(description=_("access kind"))
    def access_kind(self, obj: AuditEntry) -> str:
        kind = _data(obj).get("access")
        if not kind:
            return ""
        try:
            return str(Access(kind).label)
        except ValueError:
            return str(kind)

    @admin.display(description=_("scope"))
    def scope(self, obj: AuditEntry) -> str:
        """Form type, batch and document the entry concerns, each a link filtering by it."""
        data = _data(obj)
        base = reverse("admin:audit_auditentry_changelist")
        labels = (("form_type", _("form type")), ("batch", _("batch")), ("document", _("document")))
        parts = [
            (f"{base}?{key}={data[key]}", label, data[key])
            for key, label in labels
            if isinstance(data.get(key), int)
        ]
        return format_html_join(" / ", '<a href="{}">{} #{}</a>', parts)

    @admin.display(description=_("reason"))
    def reason(self, obj: AuditEntry) -> str:
        return str(_data(obj).get("reason", ""))

    @admin.display(description=_("what was shown"))
    def shown(self, obj: AuditEntry) -> str:
        """For an open or an image: how many fields and pages, and whether My Numbers showed."""
        data = _data(obj)
        parts = []
        if isinstance(data.get("fields"), int):
            parts.append(str(_("%(count)s fields") % {"count": data["fields"]}))
        if isinstance(data.get("pages"), list):
            pages = ", ".join(str(number) for number in data["pages"])
            parts.append(str(_("pages: %(pages)s") % {"pages": pages}))
        visible = data.get("sensitive_visible")
        if isinstance(visible, bool):
            parts.append(str(_("My Numbers shown") if visible else _("My Numbers masked")))
        return " / ".join(parts + _exported(data))

    @admin.display(description=_("count"))
    def count(self, obj: AuditEntry) -> Any:
        value = _data(obj).get("count")
        return value if isinstance(value, int) else ""

    @admin.display(description=_("Resource"))
    def resource_url(self, obj: AuditEntry) -> str:
        # The type and the object's name (never a value); no link into the object's screen.
        kind = model_name(obj.content_type.model_class()) if obj.content_type else ""
        return format_html("{} - {}", kind, obj.object_repr)


def _exported(data: dict[str, Any]) -> list[str]:
    """For an export: how many documents, which columns, whether My Numbers went out, and
    who approved it."""
    parts = []
    if isinstance(data.get("documents"), list):
        parts.append(str(_("%(count)s documents") % {"count": len(data["documents"])}))
    if isinstance(data.get("columns"), list):
        columns = "、".join(str(column) for column in data["columns"])
        parts.append(str(_("columns: %(columns)s") % {"columns": columns}))
    included = data.get("mynumbers")
    if isinstance(included, bool):
        parts.append(str(_("My Numbers included") if included else _("no My Numbers")))
    if isinstance(data.get("approved_by"), int):
        approver = User.objects.filter(pk=data["approved_by"]).first()
        name = (approver.get_full_name() or approver.username) if approver else "?"
        parts.append(str(_("approved by %(name)s") % {"name": name}))
    return parts


def _data(obj: AuditEntry) -> dict[str, Any]:
    data = obj.additional_data
    return data if isinstance(data, dict) else {}
