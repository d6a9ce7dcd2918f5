"""Every django-axes lockout becomes a sealed audit entry (axes also keeps its own tables).

Connected once, in YomitoruConfig.ready. The entry names the locked account when it exists;
a lockout on an unknown username is recorded against the User model with no object. The
typed username passes through the same redaction as the logs.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from audit.access import Access
from audit.models import AuditEntry
from yomitoru.logs import redact


def record_lockout(
    sender: Any,
    request: Any = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> AuditEntry:
    data = {"access": Access.LOCKOUT.value, "username": redact(username or "")[:150]}
    if ip_address:
        data["ip"] = ip_address
    common: dict[str, Any] = {
        "action": AuditEntry.Action.ACCESS,
        "actor": None,
        "remote_addr": ip_address or None,
        "additional_data": data,
    }
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        return AuditEntry.objects.log_create(user, force_log=True, **common)
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk="",
        object_repr="lockout",
        **common,
    )
