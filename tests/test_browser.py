"""Real browser tests: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_login_page_is_japanese_and_loads_nothing_from_outside(live_server, page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/admin/")
    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert "ログイン" in page.title()
    assert page.locator("label[for=id_username]").inner_text().startswith("ユーザー名")
    assert page.locator("#site-name").inner_text() == "yomitoru AI-OCR 帳票読取"
    assert requested and all(url.startswith(live_server.url) for url in requested)


def test_clerk_logs_in_and_sees_the_japanese_admin(live_server, page) -> None:
    User.objects.create_user("clerk", password="correct-horse-battery-staple", is_staff=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "correct-horse-battery-staple")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#content h1").inner_text() == "ホーム"
    assert page.locator("#user-tools").inner_text().startswith("ようこそ")
