"""The security officer's home panel: today's entries and the officer's tools."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from yomitoru.admin_site import HomePanel


def today_filter() -> dict[str, str]:
    """The query string of the log's own "today" date filter (DateFieldListFilter)."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + timedelta(days=1)
    return {"timestamp__gte": str(today), "timestamp__lt": str(tomorrow)}


def officer_tools(request: HttpRequest) -> HomePanel | None:
    if not request.user.has_perm("audit.view_auditentry"):
        return None
    today = today_filter()
    count = AuditEntry.objects.filter(
        timestamp__gte=today["timestamp__gte"], timestamp__lt=today["timestamp__lt"]
    ).count()
    log = reverse("admin:audit_auditentry_changelist")
    return HomePanel(
        key="audit",
        title=_("Audit log"),
        columns=[_("entries today")],
        rows=[[{"text": count, "url": f"{log}?{urlencode(today)}"}]],
        links=[
            ("today", _("Today's entries"), f"{log}?{urlencode(today)}"),
            ("mynumber", _("Who saw the documents holding a My Number"), log + "#audit-mynumber"),
            ("unusual", _("Unusual access report"), reverse("admin:audit_auditentry_unusual")),
            ("log", _("Whole audit log"), log),
        ],
        order=30,
    )
