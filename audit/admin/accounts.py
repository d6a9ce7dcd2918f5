"""The audit log's part in the account pages of yomitoru.security.

- Users: a person the log names as an actor is deactivated, never deleted, so the delete
  button is gone for them (``audit.actors`` also refuses it below the admin).
- Authenticators: opening a device's page writes an access entry.

Installed by AuditConfig.ready, after yomitoru has put its own admins in place.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.access import LogsChangeViewAccess
from audit.actors import has_audit_entries
from yomitoru.security.devices import DeviceAdmin, install_device_admin
from yomitoru.security.users import YomitoruUserAdmin, install_user_admin


class AuditedUserAdmin(YomitoruUserAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A person named in the audit log as the actor is deactivated, never deleted: the
        # entries keep their actor.
        if obj is not None and has_audit_entries(obj):
            return False
        return super().has_delete_permission(request, obj)


class AuditedDeviceAdmin(LogsChangeViewAccess, DeviceAdmin):
    pass


def install_account_admins() -> None:
    install_user_admin(user_admin=AuditedUserAdmin)
    install_device_admin(device_admin=AuditedDeviceAdmin)
