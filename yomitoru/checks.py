"""System checks: what the instance needs from the machine, checked at start."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_tesseract(app_configs: Any, **kwargs: Any) -> list[Error]:
    """libtesseract (through tesserocr) with its Japanese language data."""
    try:
        import tesserocr
    except ImportError:
        return [
            Error(
                "tesserocr (Python binding of libtesseract) is not installed.",
                hint="make setup (apt-get install libtesseract-dev libleptonica-dev pkg-config, "
                "then pip install -r requirements.txt)",
                id="yomitoru.E001",
            )
        ]
    _, languages = tesserocr.get_languages()
    if "jpn" not in languages:
        return [
            Error(
                "Tesseract has no Japanese language data (jpn).",
                hint="apt-get install tesseract-ocr-jpn",
                id="yomitoru.E002",
            )
        ]
    return []


@register()
def check_data_dir(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    for folder in (settings.DATA_DIR, settings.MEDIA_ROOT, settings.LOG_DIR):
        if not os.access(folder, os.W_OK):
            errors.append(
                Error(f"{folder} is not writable.", hint="Check DATA_DIR.", id="yomitoru.E003")
            )
    return errors


@register()
def check_private_data(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The data folder and the SQLite files hold sessions and TOTP keys: nobody else reads them."""
    errors = []
    paths = [str(settings.DATA_DIR)]
    head_log_folder = settings.AUDIT_HEAD_LOG.parent
    if head_log_folder.exists():
        paths.append(str(head_log_folder))
    database = settings.DATABASES["default"]
    if str(database["ENGINE"]).endswith("sqlite3"):
        name = str(database["NAME"])
        paths += [p for p in (name, f"{name}-wal", f"{name}-shm") if os.path.exists(p)]
    for path in paths:
        if os.stat(path).st_mode & 0o077:
            errors.append(
                Error(
                    f"{path} can be read by other users of the machine.",
                    hint=f"chmod go-rwx {path}",
                    id="yomitoru.E004",
                )
            )
    return errors


@register(deploy=True)
def check_keyfile_mode(app_configs: Any, **kwargs: Any) -> list[Warning]:
    from yomitoru.keys import KEYFILE_NAME

    path = settings.DATA_DIR / KEYFILE_NAME
    if path.exists() and path.stat().st_mode & 0o077:
        return [
            Warning(
                f"{path} is readable by other users.",
                hint=f"chmod 600 {path}",
                id="yomitoru.W001",
            )
        ]
    return []
