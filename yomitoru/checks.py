"""System checks: what the instance needs from the machine, checked at start."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_tesseract(app_configs: Any, **kwargs: Any) -> list[Error]:
    binary = shutil.which("tesseract")
    if binary is None:
        return [
            Error(
                "The tesseract binary is not installed.",
                hint="apt-get install tesseract-ocr tesseract-ocr-jpn",
                id="yomitoru.E001",
            )
        ]
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    )
    if "jpn" not in result.stdout.split():
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
