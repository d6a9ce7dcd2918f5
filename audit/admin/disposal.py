"""Disposal: the records kept of what was deleted.

The report of what falls due next (``RetentionReport``) counts documents: its admin is the
reading app's (``ocr.retention_report``).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import DisposalRecord
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
