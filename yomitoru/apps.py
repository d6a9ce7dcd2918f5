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
        from yomitoru.logs import install_redacting_record_factory
        from yomitoru.security.devices import install_device_admin
        from yomitoru.security.users import install_user_admin

        # Last line of defence: no 12/13-digit run reaches any log handler.
        install_redacting_record_factory()

        # The admin has autodiscovered by now (its app is listed first): swap in our UserAdmin.
        install_user_admin()
        # And django-otp's device admin, which shows the key: ours never does.
        install_device_admin()
        # What the audit log adds to these (lockouts as entries, the actors it names kept, the
        # opening of a device's page logged) is connected by AuditConfig.ready.
