"""Re-encrypt every encrypted value and stored file under the newest key.

Put the new key first in FIELD_ENCRYPTION_KEYS / FILE_ENCRYPTION_KEYS (old keys after it),
run this command, and the old keys can then be removed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction

from yomitoru.fields import StrictEncryptedTextField, field_cipher
from yomitoru.lib.crypto import file_cipher

# (model label, file fields) whose stored files are encrypted with FILE_ENCRYPTION_KEYS.
ENCRYPTED_FILES = (
    ("ocr.SourceFile", ("file",)),
    ("ocr.Page", ("image", "aligned_image")),
)


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.fields if isinstance(f, StrictEncryptedTextField)]
        if names:
            found.append((model, names))
    return found


class Command(BaseCommand):
    help = "Re-encrypt all encrypted values and files under the first configured key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        values = self._rotate_values(batch_size)
        files = self._rotate_files()
        self.stdout.write(f"re-encrypted {values} values and {files} files under the newest key")

    def _rotate_values(self, batch_size: int) -> int:
        """Rotate ciphertext in place with raw SQL: no plaintext is ever loaded into models."""
        cipher = field_cipher()
        quote = connection.ops.quote_name
        count = 0
        for model, names in encrypted_columns():
            table = quote(model._meta.db_table)
            pk = quote(str(model._meta.pk.column))
            columns = [quote(str(model._meta.get_field(n).column)) for n in names]  # type: ignore[union-attr]
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}")  # noqa: S608
                rows = cursor.fetchall()
            for start in range(0, len(rows), batch_size):
                with transaction.atomic(), connection.cursor() as cursor:
                    for row_pk, *tokens in rows[start : start + batch_size]:
                        rotated = [cipher.rotate(t.encode()).decode() if t else t for t in tokens]
                        assignments = ", ".join(f"{c} = %s" for c in columns)
                        cursor.execute(
                            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                            [*rotated, row_pk],
                        )
                        count += sum(1 for t in tokens if t)
        return count

    def _rotate_files(self) -> int:
        cipher = file_cipher(settings.FILE_ENCRYPTION_KEYS)
        count = 0
        for label, fields in ENCRYPTED_FILES:
            model = apps.get_model(label)
            for obj in model._base_manager.all().iterator():
                for name in fields:
                    stored = getattr(obj, name)
                    if not stored:
                        continue
                    with stored.open("rb") as handle:
                        token = handle.read()
                    storage, path = stored.storage, stored.name
                    storage.delete(path)
                    storage.save(path, ContentFile(cipher.rotate(token)))
                    count += 1
        return count
