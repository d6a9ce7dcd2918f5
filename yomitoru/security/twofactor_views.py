"""The TOTP pages: verify a code, or enrol a first authenticator.

Enrolment is only open while the user has no confirmed device: with one, a second device
can be added only by an administrator deleting the first (lost phone), never by someone who
knows just the password. A token is checked with ``django_otp.verify_token``, which locks the
device row, so the same code cannot pass twice even in two simultaneous requests; the device
remembers the last accepted time step (``last_t``) and refuses any code at or before it.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from yomitoru.security.twofactor import ENROL_URL_NAME, VERIFY_URL_NAME, is_verified


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        min_length=6,
        max_length=6,
        strip=True,
        validators=[RegexValidator(r"^\d{6}$", gettext_lazy("Enter the 6-digit code."))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled: the same one on every visit until confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def accept_token(request: HttpRequest, device: TOTPDevice, form: TokenForm) -> TOTPDevice | None:
    """The device, freshly verified, or None with the reason added to the form."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        form.add_error(None, _("Too many wrong codes. Wait a moment and try again."))
        return None
    verified = verify_token(request.user, device.persistent_id, form.cleaned_data["token"])
    if verified is None:
        form.add_error("token", _("The code is not valid. Enter the current code shown now."))
    return verified


def qr_svg(text: str) -> SafeString:
    """``text`` as a QR code in inline SVG markup, drawn here: the page loads nothing else.

    Inline markup needs no image source, so the CSP stays as strict as it is. The light
    background is drawn, not left transparent, so the code stays scannable on the admin's
    dark theme.
    """
    markup = segno.make_qr(text).svg_inline(
        scale=4, dark="#000", light="#fff", title=_("QR code for an authenticator app")
    )
    # segno writes the markup itself and escapes the title; the URI is only encoded as modules.
    return mark_safe(markup)  # noqa: S308


def page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    base = admin.site.each_context(request)
    base["is_nav_sidebar_enabled"] = False
    return render(request, template, {**base, "title": title, **context})


def finish(request: HttpRequest, device: TOTPDevice, next_url: str) -> HttpResponse:
    # A new session key once the second factor is in, as after the password.
    request.session.cycle_key()
    otp_login(request, device)
    return redirect(next_url)


@sensitive_post_parameters("token")
@never_cache
@login_required(login_url="admin:login")
def verify(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if is_verified(request.user):
        return redirect(next_url)
    device = confirmed_device(request.user)
    if device is None:
        return redirect(with_next(ENROL_URL_NAME, next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        verified = accept_token(request, device, form)
        if verified is not None:
            return finish(request, verified, next_url)
    return page(
        request,
        "yomitoru/two_factor_verify.html",
        _("Two-factor verification"),
        form=form,
        next=next_url,
    )


@sensitive_post_parameters("token")
@never_cache
@login_required(login_url="admin:login")
def enrol(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if confirmed_device(request.user) is not None:
        return redirect(with_next(VERIFY_URL_NAME, next_url))
    device = pending_device(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        verified = accept_token(request, device, form)
        if verified is not None:
            verified.confirmed = True
            verified.save(update_fields=["confirmed"])
            messages.success(request, _("Two-factor authentication is set up."))
            return finish(request, verified, next_url)
    secret = b32encode(device.bin_key).decode()
    return page(
        request,
        "yomitoru/two_factor_enrol.html",
        _("Set up two-factor authentication"),
        form=form,
        next=next_url,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        config_url=device.config_url,
        qr_svg=qr_svg(device.config_url),
    )
