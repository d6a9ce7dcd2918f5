"""Who must pass a TOTP check, and the middleware that holds them until they do.

TOTP two-factor (django-otp) is required for administrators and for everyone who can see or
export My Numbers. Such a user, once signed in with a password, reaches nothing but the
verification page, the enrolment page (while they have no confirmed device), login, logout
and static files until ``request.user.is_verified()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from yomitoru.security.grants import objects_granted

# Staff holding one of these may create users or hand out rights: administrators.
ADMINISTRATOR_PERMS = ("auth.add_user", "auth.change_user", "auth.add_group", "auth.change_group")
# Object permissions on FormType that open My Numbers.
MYNUMBER_PERMS = ("view_mynumber", "export")

VERIFY_URL_NAME = "two_factor_verify"
ENROL_URL_NAME = "two_factor_enrol"


def needs_two_factor(user: Any) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.is_staff and any(user.has_perm(perm) for perm in ADMINISTRATOR_PERMS):
        return True
    for perm in MYNUMBER_PERMS:
        # A global grant counts too, although no view lets it open a form type.
        if user.has_perm(f"forms_catalog.{perm}"):
            return True
        if objects_granted(user, f"forms_catalog.{perm}").exists():
            return True
    return False


def is_verified(user: Any) -> bool:
    # Installed by django_otp's OTPMiddleware; without it nobody counts as verified.
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def exempt_paths() -> tuple[str, ...]:
    return (
        reverse(VERIFY_URL_NAME),
        reverse(ENROL_URL_NAME),
        reverse("admin:login"),
        reverse("admin:logout"),
    )


def is_exempt(path: str) -> bool:
    return path in exempt_paths() or path.startswith(settings.STATIC_URL)


class RequireTwoFactorMiddleware:
    """Place after OTPMiddleware (and after the absolute session timeout)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not is_exempt(request.path)
            and not is_verified(user)
            and needs_two_factor(user)
        ):
            return redirect_to_login(request.get_full_path(), reverse(VERIFY_URL_NAME))
        return self.get_response(request)
