"""Security headers: CSP with no outside source, no-store for signed-in users, and the rest."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yomitoru.security.headers import (
    CONTENT_SECURITY_POLICY,
    SecurityHeadersMiddleware,
    mark_sensitive,
)

EXPECTED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
PASSWORD = "correct-horse-battery-staple"


def assert_common_headers(response: HttpResponse) -> None:
    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_policy_names_no_outside_source() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "http" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_login_page_has_the_headers(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_common_headers(response)


@pytest.mark.django_db
def test_every_response_to_a_signed_in_user_is_no_store(client: Client) -> None:
    anonymous = client.get("/")  # a plain redirect, nothing personal in it
    assert "no-store" not in anonymous.get("Cache-Control", "")
    client.force_login(User.objects.create_user("clerk", password=PASSWORD, is_staff=True))
    for path in ("/", "/admin/", "/admin/password_change/"):
        response = client.get(path)
        assert_common_headers(response)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_a_view_can_mark_an_anonymous_response_sensitive() -> None:
    request = RequestFactory().get("/anything/")

    def view(_request: object) -> HttpResponse:
        return mark_sensitive(HttpResponse("secret"))  # type: ignore[return-value]

    response = SecurityHeadersMiddleware(view)(request)
    assert "no-store" in response["Cache-Control"]
    plain = SecurityHeadersMiddleware(lambda _r: HttpResponse("public"))(request)
    assert "Cache-Control" not in plain
    assert plain["Content-Security-Policy"] == EXPECTED_CSP


# The admin really works under this policy: a real browser reports no violation.
def test_admin_runs_under_the_policy_with_totp(live_server, page) -> None:
    admin = User.objects.create_superuser("root", password=PASSWORD)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-factor/**")
    assert "二要素認証" in page.title()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    page.fill("#id_token", f"{totp.token():06d}")
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    for path in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{admin.pk}/change/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("#content").count() == 1
    # Admin scripts ran: DateTimeShortcuts.js adds the calendar links beside date_joined.
    assert page.locator(".datetimeshortcuts").count() > 0
    # Chromium reports each CSP violation as a console error; none, and no script error.
    assert not problems, problems
