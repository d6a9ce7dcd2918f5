"""Model fields shared by the apps."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from encrypted_model_fields.fields import EncryptedTextField


class UndecryptableValue(Exception):
    """A stored value could not be decrypted with any configured key.

    The message never contains the stored value: ciphertext is not shown to anyone.
    """


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def field_cipher() -> MultiFernet:
    """The cipher for FIELD_ENCRYPTION_KEY as configured now (the first key encrypts)."""
    keys = settings.FIELD_ENCRYPTION_KEY
    return _cipher(tuple(keys) if isinstance(keys, list | tuple) else (keys,))


def decrypt_value(token: str) -> str:
    try:
        return field_cipher().decrypt(token.encode()).decode("utf-8")
    except InvalidToken:
        raise UndecryptableValue(
            "An encrypted value cannot be decrypted with the configured "
            "FIELD_ENCRYPTION_KEYS (wrong or missing key)."
        ) from None


def encrypt_value(value: str) -> str:
    return field_cipher().encrypt(value.encode("utf-8")).decode("ascii")


class StrictEncryptedTextField(EncryptedTextField, models.TextField):
    """Encrypted text that raises instead of returning ciphertext when a key is wrong.

    django-encrypted-model-fields returns the stored string unchanged when decryption fails,
    which would show ciphertext as if it were the value (and hide a lost key). Here a wrong
    or missing key is an error that names the problem, never the value. The keys are read
    from settings at each use (not once at import), so rotation takes effect at once. In
    Python the value is always plaintext; only the database holds ciphertext.
    """

    def to_python(self, value: Any) -> Any:
        return models.TextField.to_python(self, value)

    def from_db_value(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return decrypt_value(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = models.TextField.get_db_prep_save(self, value, connection)
        if value is None:
            return value
        return encrypt_value(str(value))
