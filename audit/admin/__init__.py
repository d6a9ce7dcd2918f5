"""Admin screens of the audit app: the sealed log for officers, and disposal records."""

from audit.admin import disposal, entries

__all__ = ["disposal", "entries"]
