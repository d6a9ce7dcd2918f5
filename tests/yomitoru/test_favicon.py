"""The icon browsers ask for on their own is served from the instance itself."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_static_icon(settings) -> None:
    # Served as in development, from the project's files (collectstatic is not run in tests).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response.url.startswith("/static/")
    assert finders.find(response.url.removeprefix("/static/")) is not None
    icon = client.get(response.url)
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"


def test_admin_pages_link_the_icon_and_keep_the_site_header(client: Client) -> None:
    with translation.override("ja"):
        header = str(admin.site.site_header)
    signed_out = client.get("/admin/login/").content.decode()
    client.force_login(User.objects.create_user("clerk", password="unused", is_staff=True))
    signed_in = client.get("/admin/").content.decode()
    for content in (signed_out, signed_in):
        assert '<link rel="icon" href="/static/yomitoru/favicon.svg"' in content
        assert f'<div id="site-name"><a href="/admin/">{header}</a></div>' in content
