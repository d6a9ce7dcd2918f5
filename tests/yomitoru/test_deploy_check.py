"""`manage.py check --deploy --fail-level WARNING` is clean with production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Whatever the test run has in its environment must not leak into the production settings.
OVERRIDDEN = (
    "DEBUG",
    "HTTPS",
    "ALLOWED_HOSTS",
    "DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "INDEX_HMAC_KEY",
    "FILE_ENCRYPTION_KEYS",
    "AUDIT_SEAL_KEY",
    "DJANGO_SETTINGS_MODULE",
)


def production_env(data_dir: Path, **changes: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in OVERRIDDEN}
    env.update(
        DJANGO_SETTINGS_MODULE="yomitoru.settings",
        DATA_DIR=str(data_dir),
        DEBUG="0",
        HTTPS="1",
        ALLOWED_HOSTS="ocr.example.lg.jp",
        CSRF_TRUSTED_ORIGINS="https://ocr.example.lg.jp",
    )
    env.update(changes)
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production_and_catches_plain_http(tmp_path: Path) -> None:
    keys = subprocess.run(
        [sys.executable, "-m", "yomitoru.keys", str(tmp_path)],
        cwd=settings.BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert keys.returncode == 0, keys.stderr
    assert (tmp_path / "secrets.env").exists()

    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr

    # The same instance without TLS is not production-ready, and the check says so.
    plain = deploy_check(production_env(tmp_path, HTTPS="0"))
    assert plain.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr, plain.stderr
