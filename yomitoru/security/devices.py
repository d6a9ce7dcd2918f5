"""The administrator's page of authenticators (TOTP devices): see, open, delete; no secret.

django-otp's own admin shows a device's key on its change page and its QR code on a config
page: anyone with the view right could copy a clerk's second factor and pass as them. Here
no page shows the key or a QR code, and no device is added or changed by an administrator
(a key they chose, or a device moved to another person). A lost phone is handled by deleting
the device; the person then enrols a new one themselves, and is shown its key that once.
Opening a device's page is an audit entry (the audit app installs its subclass of DeviceAdmin:
audit.admin.accounts); deleting it is one too (audit.registry).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern
from django_otp.plugins.otp_totp.models import TOTPDevice

# What a device page may show: whose it is, and when it was made and last used.
SHOWN_FIELDS = ("user", "name", "confirmed", "created_at", "last_used_at")


class DeviceAdmin(admin.ModelAdmin):
    list_display = SHOWN_FIELDS
    list_filter = ("confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS

    def get_urls(self) -> list[URLPattern]:
        # The admin's own pages only: django-otp's config and QR code pages are not mounted.
        return admin.ModelAdmin.get_urls(self)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def install_device_admin(
    site: admin.AdminSite | None = None, device_admin: type[DeviceAdmin] = DeviceAdmin
) -> None:
    """Replace django-otp's registration (called once the admin has autodiscovered)."""
    site = site or admin.site
    if site.is_registered(TOTPDevice):
        site.unregister(TOTPDevice)
    site.register(TOTPDevice, device_admin)
