"""Security headers on every response that passes through the application.

Django's SecurityMiddleware already sets nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy (settings SECURE_*), XFrameOptionsMiddleware sets X-Frame-Options.
This middleware adds what Django 5.2 has no setting for: a Content-Security-Policy that
allows nothing from outside the instance, and ``Cache-Control: no-store`` on every response
to a signed-in user (every admin page may show personal data) and on any response a view
marks sensitive with ``mark_sensitive``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

# No outside source at all. Inline styles are allowed because the Django admin uses style
# attributes; scripts only from our own static files (the admin loads none inline).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    )
)

_SENSITIVE_ATTRIBUTE = "yomitoru_sensitive"


def mark_sensitive(response: HttpResponseBase) -> HttpResponseBase:
    """Mark a response that must never be stored by a browser or proxy, even if anonymous."""
    setattr(response, _SENSITIVE_ATTRIBUTE, True)
    return response


def is_signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Place after AuthenticationMiddleware: the no-store rule needs ``request.user``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # A view may send a stricter policy of its own; none may loosen it by omission.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if getattr(response, _SENSITIVE_ATTRIBUTE, False) or is_signed_in(request):
            # max-age=0, no-cache, no-store, must-revalidate, private (+ Expires).
            add_never_cache_headers(response)
        return response
