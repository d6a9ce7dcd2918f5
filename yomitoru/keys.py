"""The instance's secrets: generated once into a mode-600 env file under DATA_DIR.

Settings read each key from the process environment first, then from this file. With DEBUG
off nothing is generated implicitly: a missing or weak key refuses to start, so a production
instance never runs on keys nobody knows about. ``python -m yomitoru.keys`` (run by ``make``)
creates the file for an embedded instance.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEYFILE_NAME = "secrets.env"

# SECRET_KEY signs sessions; FIELD_ENCRYPTION_KEYS encrypt values in the database (first key
# encrypts, all decrypt: rotation); INDEX_HMAC_KEY keys the lookup digest of My Numbers and
# must never be stored in the database; FILE_ENCRYPTION_KEYS encrypt scans and page images;
# AUDIT_SEAL_KEY keys the hash chain over the audit log, so rows cannot be re-sealed from
# inside the database.
KEY_NAMES = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "INDEX_HMAC_KEY",
    "FILE_ENCRYPTION_KEYS",
    "AUDIT_SEAL_KEY",
)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def generate_keys() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": _fernet_key(),
        "INDEX_HMAC_KEY": secrets.token_urlsafe(48),
        "FILE_ENCRYPTION_KEYS": _fernet_key(),
        "AUDIT_SEAL_KEY": secrets.token_urlsafe(48),
    }


def read_keyfile(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


def write_keyfile(path: Path, keys: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "# yomitoru instance secrets. Back this file up apart from the data; never commit it.\n"
    body += "".join(f"{name}={keys[name]}\n" for name in KEY_NAMES)
    # Create with mode 600 from the start: no window in which the file is world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)


def ensure_keyfile(data_dir: Path) -> Path:
    """Create the keyfile with fresh keys if it does not exist yet; return its path."""
    path = data_dir / KEYFILE_NAME
    if not path.exists():
        write_keyfile(path, generate_keys())
    return path


def _check_fernet_keys(name: str, value: str) -> list[str]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty")
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(f"{name} must be comma-separated 32-byte Fernet keys")
    return keys


def load_keys(data_dir: Path, *, debug: bool, environ: Mapping[str, str] = os.environ) -> dict:
    """Return the checked keys; refuse (ImproperlyConfigured) a missing or weak one."""
    path = data_dir / KEYFILE_NAME
    if debug:
        ensure_keyfile(data_dir)
    stored = read_keyfile(path)
    values = {name: environ.get(name) or stored.get(name, "") for name in KEY_NAMES}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ImproperlyConfigured(
            f"Missing keys {', '.join(missing)}: set them in the environment or create "
            f"{path} with `python -m yomitoru.keys {data_dir}`"
        )
    secret = values["SECRET_KEY"]
    if len(secret) < 50 or secret.startswith("django-insecure") or len(set(secret)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is weak: use at least 50 random characters")
    for name in ("INDEX_HMAC_KEY", "AUDIT_SEAL_KEY"):
        if len(values[name]) < 32:
            raise ImproperlyConfigured(f"{name} is weak: use at least 32 random characters")
    return {
        "SECRET_KEY": secret,
        "FIELD_ENCRYPTION_KEYS": _check_fernet_keys(
            "FIELD_ENCRYPTION_KEYS", values["FIELD_ENCRYPTION_KEYS"]
        ),
        "INDEX_HMAC_KEY": values["INDEX_HMAC_KEY"],
        "FILE_ENCRYPTION_KEYS": _check_fernet_keys(
            "FILE_ENCRYPTION_KEYS", values["FILE_ENCRYPTION_KEYS"]
        ),
        "AUDIT_SEAL_KEY": values["AUDIT_SEAL_KEY"],
    }


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATA_DIR", "var"))
    print(ensure_keyfile(target.resolve()))
