"""The admin's retention report: per form type version, what the disposal run takes next.

The report's model is audit's (``audit.RetentionReport``, a proxy of FormType with its own view
permission, ``audit.view_retentionreport``); what it counts are this app's documents and refused
scans (``ocr.retention``), so its admin lives here. Registered by ``OcrConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import RetentionReport
from ocr.retention import Outlook, outlook, today_in_tokyo
from yomitoru.admin_site import ReadOnlyModelAdmin


class RetentionReportAdmin(ReadOnlyModelAdmin):
    """Per form type version: what the disposal run takes now, soon, and at the next cut.

    Seen with ``audit.view_retentionreport``; counts and dates only, never a document.
    """

    list_display = (
        "__str__",
        "retention_years",
        "cutoff",
        "due_now",
        "due_in_30_days",
        "due_in_90_days",
        "next_cutoff_date",
        "due_at_next_cutoff",
        "refused_scans_due_now",
    )
    list_display_links = None
    ordering = ("code", "-version")

    def _outlook(self, obj: RetentionReport) -> Outlook:
        # Each column asks for the same outlook; compute it once per row.
        cached: Outlook | None = getattr(obj, "_retention_outlook", None)
        if cached is None:
            cached = outlook(obj, today_in_tokyo())
            obj._retention_outlook = cached  # type: ignore[attr-defined]
        return cached

    @admin.display(description=_("received before"))
    def cutoff(self, obj: RetentionReport) -> Any:
        return self._outlook(obj).cutoff

    @admin.display(description=_("due now"))
    def due_now(self, obj: RetentionReport) -> int:
        return self._outlook(obj).due_now

    @admin.display(description=_("due in the next 30 days"))
    def due_in_30_days(self, obj: RetentionReport) -> int:
        return self._outlook(obj).due_in_30_days

    @admin.display(description=_("due in the next 90 days"))
    def due_in_90_days(self, obj: RetentionReport) -> int:
        return self._outlook(obj).due_in_90_days

    @admin.display(description=_("next cut-off date"))
    def next_cutoff_date(self, obj: RetentionReport) -> Any:
        return self._outlook(obj).next_cutoff_date

    @admin.display(description=_("due at the next cut-off"))
    def due_at_next_cutoff(self, obj: RetentionReport) -> int:
        return self._outlook(obj).due_at_next_cutoff

    @admin.display(description=_("refused scans due now"))
    def refused_scans_due_now(self, obj: RetentionReport) -> int:
        return self._outlook(obj).refused_scans_due_now


def register(site: admin.AdminSite | None = None) -> None:
    site = site or admin.site
    if not site.is_registered(RetentionReport):
        site.register(RetentionReport, RetentionReportAdmin)
