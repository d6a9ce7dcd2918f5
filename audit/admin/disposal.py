"""Disposal: the records kept of what was deleted, and the report of what falls due next."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import DisposalRecord, RetentionReport
from ocr.retention import Outlook, outlook, today_in_tokyo
from yomitoru.admin_site import ReadOnlyModelAdmin


@admin.register(DisposalRecord)
class DisposalRecordAdmin(ReadOnlyModelAdmin):
    """The record of each disposal: kept as written, never added, changed or deleted here."""

    list_display = (
        "id",
        "disposed_at",
        "form_code",
        "form_version",
        "documents",
        "pages",
        "files",
        "field_values",
        "rejected_files",
        "cutoff_date",
        "actor_shown",
    )
    list_filter = ("form_code", "actor_label")

    @admin.display(description=_("actor"), ordering="actor_label")
    def actor_shown(self, obj: DisposalRecord) -> str:
        if obj.actor_label == DisposalRecord.SYSTEM_ACTOR:
            return str(_("system"))
        return obj.actor_label

    date_hierarchy = "disposed_at"


@admin.register(RetentionReport)
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
