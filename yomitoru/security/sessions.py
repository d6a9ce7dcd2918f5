"""Session lifetime: an absolute limit on top of the idle timeout, and ending a user's sessions.

The idle timeout is Django's own: SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST pushes
the server-side expiry forward on every request, so a session unused for that long is gone.
The absolute limit ends a session SESSION_ABSOLUTE_HOURS after sign-in however busy it is.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

# When this session was first seen signed in (Unix seconds).
SIGNED_IN_AT_KEY = "_yomitoru_signed_in_at"


def now_seconds() -> int:
    return int(timezone.now().timestamp())


def is_signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class AbsoluteSessionTimeoutMiddleware:
    """Place after AuthenticationMiddleware and before RequireTwoFactorMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_signed_in(request):
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            if signed_in_at is None:
                request.session[SIGNED_IN_AT_KEY] = now_seconds()
            elif now_seconds() - int(signed_in_at) > settings.SESSION_ABSOLUTE_HOURS * 3600:
                # Flushes the session; the view then sees an anonymous user.
                logout(request)
        response = self.get_response(request)
        # The login view itself signs the user in: stamp the new session right away.
        if is_signed_in(request) and SIGNED_IN_AT_KEY not in request.session:
            request.session[SIGNED_IN_AT_KEY] = now_seconds()
        return response


def session_store_class() -> type[DatabaseSessionStore]:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        raise ImproperlyConfigured("Ending a user's sessions needs a database session engine.")
    return store


def end_user_sessions(user: Any) -> int:
    """Delete every stored session of this user; returns how many were ended."""
    store = session_store_class()
    user_key = str(user.pk)
    ended = 0
    for session in store.get_model_class().objects.all().iterator():
        if store().decode(session.session_data).get(SESSION_KEY) == user_key:
            store(session_key=session.session_key).delete()
            ended += 1
    return ended
