"""The one admin site: staff work happens here, in Japanese."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class YomitoruAdminSite(admin.AdminSite):
    site_header = _("yomitoru AI-OCR")
    site_title = _("yomitoru")
    index_title = _("Form reading and verification")
    enable_nav_sidebar = True
