"""Encryption of files at rest (scans, page images) and the keyed lookup digest.

Files are encrypted with MultiFernet: the first key encrypts, every listed key decrypts, so
keys can be rotated. The digest is HMAC-SHA256 under a separate key that never enters the
database, so a stolen database cannot be searched for a known My Number.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class FileDecryptionError(Exception):
    """A stored file cannot be decrypted with the configured FILE_ENCRYPTION_KEYS."""


def file_cipher(keys: Sequence[str]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_bytes(data: bytes, keys: Sequence[str]) -> bytes:
    return file_cipher(keys).encrypt(data)


def decrypt_bytes(token: bytes, keys: Sequence[str]) -> bytes:
    try:
        return file_cipher(keys).decrypt(token)
    except InvalidToken:
        raise FileDecryptionError(
            "A stored file cannot be decrypted with FILE_ENCRYPTION_KEYS (wrong or missing key)."
        ) from None


def lookup_digest(normalized_value: str, key: str) -> str:
    """Keyed digest of a normalised value for exact lookup; empty for an empty value."""
    if not normalized_value:
        return ""
    return hmac.new(key.encode(), normalized_value.encode(), hashlib.sha256).hexdigest()
