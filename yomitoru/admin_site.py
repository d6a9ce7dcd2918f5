"""The one admin site: staff work happens here, in Japanese."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class YomitoruAdminSite(admin.AdminSite):
    site_header = _("yomitoru AI-OCR")
    site_title = _("yomitoru")
    index_title = _("Form reading and verification")
    enable_nav_sidebar = True


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For rows that machines or the audit trail write: nobody adds, changes or deletes them
    through the admin, superusers included."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
