"""Access logging: who opened, viewed, revealed, exported or searched what.

django-auditlog records changes by itself; reads it does not. Every protected view calls
``log_access`` explicitly, once per access, so a reader of a view sees where it is logged.
An entry names the object and the kind of access, and the form type / batch / document it
concerns for the officer's filters. It never holds a value: every free text it stores (the
reason a person types, any text in the details, the object's name) passes the one detector of
numbers in free text, as a last line of defence behind the doors that refuse such input.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import AuditEntry
from yomitoru.lib.sensitive_text import redact


class Access(models.TextChoices):
    OPEN = "open", _("Opened")
    IMAGE = "image", _("Viewed image")
    CROP = "crop", _("Viewed field image")
    REVEAL = "reveal", _("Revealed My Number")
    # An act, not the document status "Exported" (出力済): its own msgctxt, its own words.
    EXPORT = "export", pgettext_lazy("access kind", "Exported")
    EXPORT_REFUSED = "export_refused", _("Export refused")
    # Verified digit cells of non-sensitive fields, for the recogniser (ocr.training_cells).
    TRAINING_EXPORT = "training_export", _("Exported training cells")
    SEARCH_MYNUMBER = "search_mynumber", _("Searched by My Number")
    AUDIT_VIEW = "audit_view", _("Viewed audit log")
    AUDIT_EXPORT = "audit_export", _("Exported audit log")
    LOCKOUT = "lockout", _("Login locked out")


def scope_of(obj: Any) -> dict[str, int]:
    """The form type, batch and document an object belongs to (for the officer's filters).

    Each model names its own scope (``audit_scope()``): this app knows no other app's models.
    """
    audit_scope = getattr(obj, "audit_scope", None)
    return dict(audit_scope()) if callable(audit_scope) else {}


def log_access(
    actor: User | None,
    obj: models.Model,
    access: Access,
    *,
    reason: str = "",
    count: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """``details``: what was shown (counts, page numbers, flags), never a value."""
    data: dict[str, Any] = {"access": access.value, **scope_of(obj), **(details or {})}
    if reason:
        data["reason"] = redact(reason)[:200]
    if count is not None:
        data["count"] = count
    return AuditEntry.objects.log_create(
        obj,
        force_log=True,
        action=AuditEntry.Action.ACCESS,
        actor=actor,
        object_repr=redact(str(obj)),
        additional_data=_without_numbers(data),
    )


def _without_numbers(value: Any) -> Any:
    """``value`` with every string in it (keys too, at any depth) passed through the detector."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_without_numbers(k): _without_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_numbers(item) for item in value]
    return value


class LogsChangeViewAccess:
    """ModelAdmin mixin: opening an object's page in the admin writes one access entry.

    The entry follows the response, not the method: the admin renders the page for any method
    but POST (and for a POST whose form it shows again). A HEAD is logged like the GET it is.
    """

    change_view_access: Access = Access.OPEN

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        opened = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and opened is not None:
            log_access(cast(User, request.user), opened, self.change_view_access)
        return response
