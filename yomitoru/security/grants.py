"""Object permissions (django-guardian) as this project reads them: granted on the object.

A global permission never opens every object (``accept_global_perms=False``), and neither does
being a superuser (``with_superuser=False``): the same rule as ``ocr.permissions``. The
permission is named by its label ("forms_catalog.view_mynumber"), so the layers below the app
that defines the model ask without importing it (two-factor, the officer's reports).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user


def objects_granted(user: Any, perm: str) -> QuerySet[Any]:
    """The objects of PERM's model on which USER holds PERM ("app_label.codename"), directly
    or through a group."""
    return get_objects_for_user(user, perm, accept_global_perms=False, with_superuser=False)
