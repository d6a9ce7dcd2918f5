"""Values and files are encrypted at rest; a wrong key is an error; keys can be rotated."""

from __future__ import annotations

import base64
import io
import random
import secrets

import pytest
from django.core.management import call_command
from django.db import connection

from ocr import storage
from ocr.intake import create_batch, ingest_files, page_images
from ocr.models import Batch, ExtractedField
from tests.ocr.samples import blank_form_png
from yomitoru.fields import UndecryptableValue
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import FileDecryptionError

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def stored(catalog):
    furusato = catalog["furusato-onestop"]
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
    document = ingest_files(batch, [("scan.png", blank_form_png("furusato-onestop"))]).documents[0]
    page_images(document)
    number = mynumber.synthetic(random.Random(5))
    field = ExtractedField.objects.create(
        document=document,
        definition=furusato.fields.get(key="mynumber"),
        ocr_value=number,
        final_value=number,
    )
    return field, number, document


def raw_value(field: ExtractedField) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ocr_value FROM ocr_extractedfield WHERE id = %s", [field.pk])
        return cursor.fetchone()[0]


def test_values_are_ciphertext_in_the_database(stored) -> None:
    field, number, _ = stored
    assert number not in raw_value(field)
    assert ExtractedField.objects.get(pk=field.pk).ocr_value == number


def test_a_wrong_key_is_a_clear_error_never_ciphertext(stored, settings) -> None:
    field, number, _ = stored
    settings.FIELD_ENCRYPTION_KEY = [new_key()]
    with pytest.raises(UndecryptableValue) as caught:
        ExtractedField.objects.get(pk=field.pk)
    message = str(caught.value)
    assert "FIELD_ENCRYPTION_KEYS" in message
    assert number not in message and raw_value(field) not in message


def test_a_wrong_file_key_is_a_clear_error(stored, settings) -> None:
    _, _, document = stored
    settings.FILE_ENCRYPTION_KEYS = [new_key()]
    with pytest.raises(FileDecryptionError, match="FILE_ENCRYPTION_KEYS"):
        storage.read_image(document.pages.get().image)


def test_rotation_re_encrypts_everything_so_old_keys_can_be_dropped(stored, settings) -> None:
    field, number, document = stored
    old_field_key, old_file_key = settings.FIELD_ENCRYPTION_KEY[0], settings.FILE_ENCRYPTION_KEYS[0]
    page = document.pages.get()
    image_before = storage.read_image(page.image)
    token_before = raw_value(field)

    settings.FIELD_ENCRYPTION_KEY = [new_key(), old_field_key]
    settings.FILE_ENCRYPTION_KEYS = [new_key(), old_file_key]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    # The field's four encrypted columns: the reading, the final value, the cell readings and
    # the first blind entry.
    assert "re-encrypted 4 values" in out.getvalue()
    assert raw_value(field) != token_before

    settings.FIELD_ENCRYPTION_KEY = settings.FIELD_ENCRYPTION_KEY[:1]
    settings.FILE_ENCRYPTION_KEYS = settings.FILE_ENCRYPTION_KEYS[:1]
    reloaded = ExtractedField.objects.get(pk=field.pk)
    assert (reloaded.ocr_value, reloaded.final_value) == (number, number)
    page.refresh_from_db()
    assert (storage.read_image(page.image) == image_before).all()
    assert storage.read_file(document.source_file.file) == blank_form_png("furusato-onestop")
