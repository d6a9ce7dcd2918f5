from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from audit.home import officer_tools
        from audit.registry import register_models
        from yomitoru.admin_site import register_home_panel

        register_models()
        register_home_panel(officer_tools)
