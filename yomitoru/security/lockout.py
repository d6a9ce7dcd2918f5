"""django-axes without numbers, and every lockout as a sealed audit entry.

axes keeps what a failed login sent: the typed user name (the lockout key), the query and form
data, the browser's user agent. A My Number typed into the user name field, or carried in a
``next`` URL, would stay in its tables for good. Two settings route all of it through the one
detector of numbers in free text:

- ``AXES_USERNAME_CALLABLE = stored_username``: the user name axes keys a lockout on, stores and
  shows, with any number redacted. Deterministic, so the same typed name always gives the same
  key (and every name that is only a number shares one, per address).
- ``AXES_HANDLER = NumberFreeDatabaseHandler``: axes' database handler, given the request's
  query and form data, user agent, accept header and path with any number redacted.

``record_lockout`` is connected once, in YomitoruConfig.ready. The entry names the locked
account when it exists; a lockout on an unknown username is recorded against the User model
with no object. The user name it stores has passed the detector.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, QueryDict

from audit.access import Access
from audit.models import AuditEntry
from yomitoru.lib.sensitive_text import redact

# The request attributes axes sets (AxesProxyHandler.update_request) and stores.
_STORED_ATTRIBUTES = ("axes_user_agent", "axes_http_accept", "axes_path_info")


def stored_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """axes' own choice of user name (credentials first, then the form), numbers redacted."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        username = credentials.get(field)
    elif request is not None:
        username = getattr(request, "data", request.POST).get(field)
    else:
        username = None
    return redact(username) if isinstance(username, str) else username


def _redacted_query(query: QueryDict) -> QueryDict:
    redacted = QueryDict(mutable=True)
    for key, values in query.lists():
        redacted.setlist(redact(key), [redact(v) if isinstance(v, str) else v for v in values])
    return redacted


def _redact_attributes(request: HttpRequest | None) -> None:
    for name in _STORED_ATTRIBUTES:
        value = getattr(request, name, None)
        if isinstance(value, str):
            setattr(request, name, redact(value))


class NumberFreeDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler; what it stores of a request has passed the detector."""

    def is_allowed(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        _redact_attributes(request)
        return super().is_allowed(request, credentials)

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        _redact_attributes(request)
        return super().get_failures(request, credentials)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        _redact_attributes(request)
        # axes stores the query and form data as they are (only the password and the user
        # name masked): it is given redacted copies for the length of this call.
        original_get, original_post = request.GET, request.POST
        request.GET, request.POST = _redacted_query(original_get), _redacted_query(original_post)
        try:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            request.GET, request.POST = original_get, original_post

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        _redact_attributes(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        _redact_attributes(request)
        return super().user_logged_out(sender, request, user, **kwargs)


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
