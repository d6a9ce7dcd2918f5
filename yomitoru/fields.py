"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

import cryptography.fernet
from django.db import models
from encrypted_model_fields.fields import EncryptedTextField, decrypt_str


class UndecryptableValue(Exception):
    """A stored value could not be decrypted with any configured key.

    The message never contains the stored value: ciphertext is not shown to anyone.
    """


class StrictEncryptedTextField(EncryptedTextField):
    """Encrypted text that raises instead of returning ciphertext when a key is wrong.

    django-encrypted-model-fields returns the stored string unchanged when decryption fails,
    which would show ciphertext as if it were the value (and hide a lost key). Here a wrong
    or missing key is an error that names the problem, never the value. In Python the value
    is always plaintext; only the database holds ciphertext.
    """

    def to_python(self, value: Any) -> Any:
        return models.TextField.to_python(self, value)

    def from_db_value(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        try:
            return decrypt_str(value)
        except cryptography.fernet.InvalidToken:
            raise UndecryptableValue(
                "An encrypted value cannot be decrypted with the configured "
                "FIELD_ENCRYPTION_KEYS (wrong or missing key)."
            ) from None
