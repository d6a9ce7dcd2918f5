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
        from axes.signals import user_locked_out
        from django.contrib.auth.models import User
        from django.db.models.signals import pre_delete

        from audit.actors import refuse_deleting_an_actor

        # Registers the system checks (Tesseract, keys, writable data folder).
        from yomitoru import checks  # noqa: F401
        from yomitoru.logs import install_redacting_record_factory
        from yomitoru.security.devices import install_device_admin
        from yomitoru.security.lockout import record_lockout
        from yomitoru.security.users import install_user_admin

        # Last line of defence: no 12/13-digit run reaches any log handler.
        install_redacting_record_factory()

        # Every django-axes lockout becomes an audit entry: connected here and nowhere else.
        user_locked_out.connect(record_lockout, dispatch_uid="yomitoru.audit_lockout")
        # The admin has autodiscovered by now (its app is listed first): swap in our UserAdmin.
        install_user_admin()
        # And django-otp's device admin, which shows the key: ours never does.
        install_device_admin()
        # A person named in the audit log as actor is deactivated, never deleted.
        pre_delete.connect(
            refuse_deleting_an_actor, sender=User, dispatch_uid="yomitoru.keep_audit_actors"
        )
