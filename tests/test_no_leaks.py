"""No My Number anywhere it should not be: not in any table, file or log line.

Synthetic forms with known My Numbers go through the real pipeline and the protected views
(open, image, reveal, export, search); then every column of every table (django-q2's and the
audit log's included), every file under the media folder and every captured log line are
searched for each number, run together, with spaces or with hyphens.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_q.tasks import async_task

from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document
from tests.ocr import samples
from tests.ocr.exports import export_through_screens
from tests.personas import department_clerks, login

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def number_patterns(number: str) -> list[re.Pattern[bytes]]:
    digits = list(number)
    # Digits run together, or separated by a space, a hyphen or an ideographic space.
    spaced = rb"(?:[ \-]|\xe3\x80\x80)?".join(re.escape(d.encode()) for d in digits)
    return [
        re.compile(spaced),
        re.compile(re.escape(number[:4].encode() + b" " + number[4:8].encode())),
    ]


def table_dump() -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(repr(row).encode())
    return b"\n".join(chunks)


def media_dump(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_no_my_number_in_database_media_or_logs(client, catalog, settings, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    furusato, kyuyo = catalog["furusato-onestop"], catalog["kyuyo-shiharai"]
    numbers: list[str] = []
    documents: list[Document] = []
    for form_type, seed in ((furusato, 11), (kyuyo, 12)):
        data, truth = samples.filled_scan(form_type.code, seed)
        numbers += [v for k, v in truth.items() if k.endswith("mynumber") and v]
        batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
        documents += ingest_files(batch, [(f"{form_type.code}.png", data)]).documents
    for document in documents:
        # Through django-q2's own machinery, so its task table is written too.
        async_task("ocr.tasks.process_document", document.pk, sync=True)
    assert numbers and all(d.fields.exists() for d in documents)

    people = department_clerks(furusato)
    owner = people["owner"]
    login(client, owner)
    furusato_doc = next(d for d in documents if d.form_type_id == furusato.pk)
    client.get(reverse("admin:ocr_document_change", args=[furusato_doc.pk]))
    client.get(reverse("admin:ocr_document_page", args=[furusato_doc.pk, 1]))
    client.post(
        reverse("admin:ocr_document_reveal", args=[furusato_doc.pk]),
        {"reason": "確認 " + numbers[0]},
    )
    client.post(reverse("admin:ocr_document_search"), {"mynumber": numbers[0]})
    Document.objects.filter(pk=furusato_doc.pk).update(status=Document.Status.VERIFIED)
    approver = Client()
    login(approver, people["no_mynumber"])
    exported = export_through_screens(client, approver, furusato_doc)
    assert exported["Content-Type"].startswith("text/csv")
    logging.getLogger("ocr").warning("a careless message with %s", numbers[0])

    log_file = Path(settings.LOG_DIR) / "yomitoru.log"
    haystacks = {
        "database": table_dump(),
        "media": media_dump(Path(settings.MEDIA_ROOT)),
        "captured log": "\n".join(r.getMessage() for r in caplog.records).encode(),
        "log file": log_file.read_bytes() if log_file.exists() else b"",
    }
    # The search can see what it must: file names are in the database, files on disk.
    assert b"furusato-onestop.png" in haystacks["database"]
    assert len(haystacks["media"]) > 100_000
    assert "[redacted-number]" in haystacks["captured log"].decode()
    for number in numbers:
        for where, blob in haystacks.items():
            for pattern in number_patterns(number):
                assert not pattern.search(blob), f"a My Number appears in the {where}"
