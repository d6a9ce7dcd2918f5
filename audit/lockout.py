"""Every django-axes lockout as a sealed audit entry.

``record_lockout`` is connected once, in AuditConfig.ready. The entry names the locked account
when it exists; a lockout on an unknown username is recorded against the User model with no
object. The user name it stores has passed the detector (axes hands over the name
``yomitoru.security.lockout.stored_username`` gave it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from audit.access import Access
from audit.models import AuditEntry
from yomitoru.lib.sensitive_text import redact


def record_lockout(
    sender: Any,
    request: Any = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> AuditEntry:
    # axes hands over the user name stored_username gave it; redacted again all the same.
    username = redact(username or "")
    data = {"access": Access.LOCKOUT.value, "username": username[:150]}
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
