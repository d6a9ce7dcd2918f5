"""A file named after the My Number on it: the number never reaches a list or the audit log.

The name shown (lists, the batch page, messages, command output, audit entries) has the number
redacted at intake; the name as received is kept only encrypted, and never audited.
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from django.db import connection
from django.urls import reverse
from PIL import Image

from audit.models import AuditEntry
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, SourceFile
from tests.ocr import samples
from tests.personas import department_clerks, login
from yomitoru.lib import mynumber
from yomitoru.lib.sensitive_text import contains_number

pytestmark = pytest.mark.django_db

# My Numbers (valid check digits) as people write them into file names.
OTHER = mynumber.synthetic(random.Random(7))
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NAMES = [
    "006967362709.png",
    "0069－6736－2709.pdf",
    "スキャン_0069.6736.2709_山田.tif",
    "　".join((OTHER[:4], OTHER[4:8], OTHER[8:])).translate(FULL_WIDTH) + ".jpg",
]


def _png(shade: int) -> bytes:
    return samples.encode(Image.new("RGB", (1240, 1754), (shade, shade, shade)), "PNG")


def _digits(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


def _assert_not_in_audit(source_file: SourceFile, name: str) -> None:
    """Neither the name nor its number in any entry of the file, in any field.

    The number is looked for among all the digits of an entry, whatever separates them; the
    detector is not run over whole entries, because their timestamps are long digit runs.
    """
    entries = AuditEntry.objects.get_for_object(source_file)
    assert entries.exists()
    for entry in entries:
        assert "received_name" not in (entry.changes or {})
        assert not contains_number(entry.object_repr)
        for key in ("original_name", "received_name"):
            for value in (entry.changes or {}).get(key, []):
                assert not contains_number(str(value))
        text = (
            f"{entry.object_repr} {entry.changes} {entry.serialized_data} {entry.additional_data}"
        )
        assert name not in text
        assert _digits(name) not in _digits(text)


def test_a_number_in_a_file_name_is_redacted_everywhere_it_is_shown(catalog, client) -> None:
    assert all(contains_number(name) for name in NAMES)
    furusato = catalog["furusato-onestop"]
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.ADMIN)
    files = [
        (NAMES[0], _png(250)),  # accepted
        (NAMES[1], b"not a pdf at all"),  # rejected
        (NAMES[2], _png(250)),  # duplicate of the first
        (NAMES[3], _png(240)),  # accepted
    ]
    ingest_files(batch, files)
    received = list(batch.files.order_by("pk"))
    assert [f.status for f in received] == ["accepted", "rejected", "duplicate", "accepted"]

    for (name, _), source_file in zip(files, received, strict=True):
        source_file.refresh_from_db()
        assert not contains_number(source_file.original_name)
        assert not contains_number(str(source_file))
        assert "［番号削除］" in source_file.original_name
        _assert_not_in_audit(source_file, name)
        # The name as received: kept, but only encrypted.
        assert source_file.received_name == name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT original_name, received_name FROM ocr_sourcefile WHERE id = %s",
                [source_file.pk],
            )
            shown, stored = cursor.fetchone()
        assert shown == source_file.original_name
        assert _digits(name) not in _digits(stored), "ciphertext only"
    # The rest of the name stays as typed.
    assert received[2].original_name == "スキャン_［番号削除］_山田.tif"

    owner = department_clerks(furusato)["owner"]
    login(client, owner)
    pages = [
        reverse("admin:ocr_batch_change", args=[batch.pk]),
        reverse("admin:ocr_sourcefile_changelist"),
        reverse("admin:ocr_sourcefile_change", args=[received[0].pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "［番号削除］" in content, url
        for name, _ in files:
            assert name not in content and _digits(name) not in _digits(content), url


def test_a_name_without_a_number_is_kept_as_is_and_nothing_else_is_stored(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
    ingest_files(batch, [("C:\\scans\\山田太郎-2024.png", _png(230))])
    source_file = batch.files.get()
    assert source_file.original_name in {"山田太郎-2024.png", "C:\\scans\\山田太郎-2024.png"}
    assert source_file.received_name is None
