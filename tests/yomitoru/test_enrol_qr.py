"""TOTP enrolment shows a QR code drawn on the server, and the key as text to type by hand."""

from __future__ import annotations

import re

import pytest
import segno
from django.contrib.auth.models import User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

ENROL = "/account/two-factor/enrol/"


def qr_path(text: str) -> str:
    """The module data of segno's QR code of ``text``, whatever the size it is drawn at."""
    match = re.search(r'class="qrline"[^>]* d="([^"]+)"', segno.make_qr(text).svg_inline())
    assert match is not None
    return match.group(1)


def test_the_enrol_page_embeds_the_qr_code_of_the_setup_uri(client: Client) -> None:
    user: User = User.objects.create_superuser("root", password="unused")
    client.force_login(user)

    response = client.get(ENROL)

    assert response.status_code == 200
    content = response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    qr = re.search(r'<div[^>]* id="totp-qr"[^>]*>\s*(<svg.*?</svg>)', content, re.S)
    assert qr is not None, "an inline SVG in the #totp-qr element"
    assert f'd="{qr_path(device.config_url)}"' in qr.group(1)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', content)
    assert secret is not None, "the key stays readable, for typing into an app"
    assert secret.group(1).replace(" ", "") in device.config_url


def test_the_enrol_page_loads_nothing_from_outside(client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", password="unused"))
    content = client.get(ENROL).content.decode()
    qr = content[content.index('id="totp-qr"') :]
    qr = qr[: qr.index("</svg>")]
    assert "<svg" in qr and "http" not in qr and "data:" not in qr
    # Every address the page loads or links is on this instance (the admin's own inline
    # SVG carries an XML namespace name, which is never fetched).
    addresses = re.findall(r"""(?:src|href|action)=["']([^"']*)["']""", content)
    assert addresses
    for address in addresses:
        assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", address, re.I), address
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", content)
