"""The security officer's pages beside the audit log: My Number lookup, report, CSV export.

Mounted by ``AuditEntryAdmin.get_urls`` behind ``admin_view``; the admin checks
``audit.view_auditentry`` before calling these. No page here shows a value: the lookup takes
the number by POST only, hands it to the finder of the documents holding it (``audit.lookup``,
by its keyed digest) and forgets it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import User
from django.db.models import Max, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from audit import reports
from audit.access import Access, log_access
from audit.actors import entry_display_name
from audit.lookup import documents_holding
from audit.models import AuditEntry
from forms_catalog.models import FormType
from yomitoru.admin_site import model_name
from yomitoru.lib import mynumber
from yomitoru.lib.csvsafe import spreadsheet_safe

REPORT_DAYS = 30
MAX_REPORT_DAYS = 366
# The CSV's header, in the interface language: officers open it in a spreadsheet.
CSV_COLUMNS = (
    gettext_lazy("sequence"),
    gettext_lazy("date and time"),
    gettext_lazy("user"),
    gettext_lazy("action"),
    gettext_lazy("access kind"),
    pgettext_lazy("person", "name"),
    gettext_lazy("object type"),
    gettext_lazy("object id"),
    gettext_lazy("object"),
    gettext_lazy("form type id"),
    gettext_lazy("batch id"),
    gettext_lazy("document id"),
    gettext_lazy("reason"),
    gettext_lazy("count"),
    gettext_lazy("My Numbers shown"),
    gettext_lazy("seal"),
)


def _context(request: HttpRequest, model_admin: ModelAdmin, title: str) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "access_labels": dict(Access.choices),
        "form_type_names": dict(FormType.objects.values_list("pk", "name")),
    }


def _labelled(context: dict[str, Any], rows: list[Any]) -> list[dict[str, Any]]:
    """Rows with the access kind's label and the form type's name, for the templates."""
    labels, names = context["access_labels"], context["form_type_names"]
    return [
        {
            "row": row,
            "access": labels.get(row.access, row.access),
            "form_type": names.get(getattr(row, "form_type_id", None), ""),
        }
        for row in rows
    ]


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("mynumber")
@require_POST
def mynumber_lookup(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Who accessed the documents holding this My Number: every document, whoever owns it."""
    user = cast(User, request.user)
    context = _context(request, model_admin, _("Who saw the documents holding a My Number"))
    number = mynumber.normalize(request.POST.get("mynumber", ""))
    if not mynumber.is_valid(number):
        context["error"] = _("Enter a valid 12-digit My Number.")
    else:
        # Found by its keyed digest in the app that keeps the documents (audit.lookup).
        holding = documents_holding(number)
        del number
        documents = holding.document_ids
        context.update(
            searched=True,
            documents=documents,
            accesses=_labelled(context, reports.accesses_to_documents(documents)),
            exports=_labelled(context, reports.exports_covering(holding)),
        )
        log_access(user, user, Access.SEARCH_MYNUMBER, count=len(documents))
    response = TemplateResponse(request, "admin/audit/auditentry/mynumber_lookup.html", context)
    return _no_store(response)


@require_GET
def unusual_access(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Bursts of reveals or exports, access outside office hours, access without a grant."""
    user = cast(User, request.user)
    try:
        days = min(max(int(request.GET.get("days", REPORT_DAYS)), 1), MAX_REPORT_DAYS)
    except ValueError:
        days = REPORT_DAYS
    since = timezone.now() - timedelta(days=days)
    context = _context(request, model_admin, _("Unusual access"))
    context.update(
        days=days,
        since=since,
        reveals_per_hour=settings.AUDIT_REVEALS_PER_HOUR,
        exports_per_hour=settings.AUDIT_EXPORTS_PER_HOUR,
        office_hours=settings.OFFICE_HOURS,
        bursts=_labelled(
            context,
            reports.bursts(
                since,
                reveals_per_hour=settings.AUDIT_REVEALS_PER_HOUR,
                exports_per_hour=settings.AUDIT_EXPORTS_PER_HOUR,
            ),
        ),
        ungranted=reports.without_grant(since),
        by_superusers=_labelled(context, reports.by_superusers(since)),
    )
    try:
        off_hours = reports.outside_office_hours(since, office_hours=settings.OFFICE_HOURS)
        context["off_hours"] = _labelled(context, off_hours)
    except ValueError:
        context["office_hours_error"] = True
    response = TemplateResponse(request, "admin/audit/auditentry/unusual_access.html", context)
    log_access(user, user, Access.AUDIT_VIEW)
    return _no_store(response)


@require_POST
def export_csv(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponseBase:
    """The changelist's current selection (filters and date from the query string) as CSV."""
    user = cast(User, request.user)
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return HttpResponseBadRequest(_("The filter is not valid."))
    # The export's own entry, written next, is not part of what it exports.
    last = AuditEntry.objects.aggregate(last=Max("sequence"))["last"] or 0
    entries = changelist.queryset.filter(sequence__lte=last).select_related("actor", "content_type")
    count = entries.count()
    log_access(user, user, Access.AUDIT_EXPORT, count=count)
    response = StreamingHttpResponse(_csv_lines(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


class _Line:
    """A file-like sink: csv.writer writes one row, we hand it on."""

    def write(self, value: str) -> str:
        return value


@dataclass(frozen=True)
class CsvLabels:
    """The CSV's words, translated in the request's language before the lines are written
    (they are written after the view returns)."""

    access: dict[str, str]
    action: dict[int, str]
    visibility: dict[bool, str]


def _csv_lines(entries: QuerySet[AuditEntry]) -> Iterator[bytes]:
    header = [str(column) for column in CSV_COLUMNS]
    labels = CsvLabels(
        access={key: str(label) for key, label in Access.choices},
        action={key: str(label) for key, label in AuditEntry.Action.choices},
        visibility={True: str(_("shown")), False: str(_("masked"))},
    )
    return _lines(entries, header, labels)


def _lines(entries: QuerySet[AuditEntry], header: list[str], labels: CsvLabels) -> Iterator[bytes]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
    for entry in entries.iterator(chunk_size=2000):
        yield writer.writerow(csv_row(entry, labels)).encode("utf-8")


def csv_row(entry: AuditEntry, labels: CsvLabels) -> list[Any]:
    row = reports.access_row(entry)
    content_type = entry.content_type
    visible = row.sensitive_visible
    return [
        entry.sequence,
        timezone.localtime(entry.timestamp, reports.TOKYO).isoformat(),
        spreadsheet_safe(row.username),
        labels.action.get(entry.action, str(entry.action)),
        labels.access.get(row.access, row.access),
        spreadsheet_safe(entry_display_name(entry)),
        model_name(content_type.model_class()) if content_type else "",
        spreadsheet_safe(entry.object_pk or ""),
        spreadsheet_safe(entry.object_repr),
        _blank(row.form_type_id),
        _blank(row.batch_id),
        _blank(row.document_id),
        spreadsheet_safe(row.reason),
        _blank(row.count),
        "" if visible is None else labels.visibility[visible],
        entry.seal,
    ]


def _blank(value: int | None) -> Any:
    return "" if value is None else value
