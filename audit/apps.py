from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.models import User
        from django.db.models.signals import pre_delete

        from audit.actors import refuse_deleting_an_actor
        from audit.admin.accounts import install_account_admins
        from audit.home import officer_tools
        from audit.lockout import record_lockout
        from audit.registry import register_models
        from yomitoru.admin_site import register_home_panel

        register_models()
        register_home_panel(officer_tools)
        # Every django-axes lockout becomes an audit entry: connected here and nowhere else.
        user_locked_out.connect(record_lockout, dispatch_uid="audit.lockout")
        # A person named in the audit log as actor is deactivated, never deleted.
        pre_delete.connect(refuse_deleting_an_actor, sender=User, dispatch_uid="audit.keep_actors")
        # yomitoru's user and device admins (installed by its ready, which runs first), with
        # what the log adds to them.
        install_account_admins()
