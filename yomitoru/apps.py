from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class YomitoruAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "yomitoru.admin_site.YomitoruAdminSite"


class YomitoruConfig(AppConfig):
    default = True
    name = "yomitoru"
    verbose_name = _("yomitoru")

    def ready(self) -> None:
        # Registers the system checks (Tesseract, keys, writable data folder).
        from yomitoru import checks  # noqa: F401
