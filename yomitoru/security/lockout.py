"""django-axes without numbers.

axes keeps what a failed login sent: the typed user name (the lockout key), the query and form
data, the browser's user agent. A My Number typed into the user name field, or carried in a
``next`` URL, would stay in its tables for good. Two settings route all of it through the one
detector of numbers in free text:

- ``AXES_USERNAME_CALLABLE = stored_username``: the user name axes keys a lockout on, stores and
  shows, with any number redacted. Deterministic, so the same typed name always gives the same
  key (and every name that is only a number shares one, per address).
- ``AXES_HANDLER = NumberFreeDatabaseHandler``: axes' database handler, given the request's
  query and form data, user agent, accept header and path with any number redacted.

Every lockout also becomes a sealed audit entry: ``audit.lockout.record_lockout``.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.http import HttpRequest, QueryDict

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
