"""Disposal deletes what it should (files really gone), keeps its record, and the dry run
lists exactly the set the real run then disposes."""

from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from audit.models import AuditEntry, DisposalRecord
from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition, FormType
from ocr import storage
from ocr.intake import create_batch, ingest_files, page_images
from ocr.models import Batch, Document, ExtractedField, Page, SourceFile
from ocr.retention import dispose, documents_due, expiry_cutoff, outlook
from ocr.tasks import dispose_expired_task
from tests.personas import make_user
from yomitoru.fields import decrypt_value
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# Fiscal year 2026 has begun: with 5 years' retention, everything received before
# 2021-04-01 (fiscal year 2020 and earlier) is due.
TODAY = date(2026, 4, 1)


def tokyo(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def received(document: Document, when: datetime) -> None:
    Document.objects.filter(pk=document.pk).update(created_at=when)


def media_paths(document: Document) -> list[Path]:
    names = [document.source_file.file.name]
    for page in document.pages.all():
        names += [page.image.name, page.aligned_image.name]
    assert all(names)
    return [Path(settings.MEDIA_ROOT) / name for name in names]


def raw_fields(document: Document) -> list[tuple[str, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ocr_value, final_value, value_digest, cell_confidences "
            "FROM ocr_extractedfield WHERE document_id = %s ORDER BY id",
            [document.pk],
        )
        return cursor.fetchall()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("dispose_expired", *args, stdout=out)
    return out.getvalue()


def scan(seed: int) -> bytes:
    image = np.full((120, 200, 3), 255, np.uint8)
    image[seed, seed] = 0  # a different file each time, or the second is a duplicate
    return storage.encode_png(image)


def read(form_type: FormType, seed: int) -> tuple[Document, dict[str, str]]:
    """A verified document with a page image, an aligned image and encrypted values."""
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    # People name scans after the person on them: the name must go with the file.
    document = ingest_files(batch, [(f"山田太郎-{seed}.png", scan(seed))]).documents[0]
    page_images(document)
    page = document.pages.get()
    storage.save_image(page.aligned_image, f"{document.pk}-1-aligned", np.zeros((12, 20, 3)))
    page.save()
    number = mynumber.synthetic(random.Random(seed))
    truth = {"mynumber": number, "name": f"山田 太郎{seed}"}
    for definition in form_type.fields.all():
        value = truth[definition.key]
        ExtractedField.objects.create(
            document=document,
            definition=definition,
            ocr_value=value,
            final_value=value,
            value_digest=lookup_digest(number, settings.INDEX_HMAC_KEY)
            if definition.sensitive
            else "",
            cell_confidences=[0.9] * definition.cells,
            status=ExtractedField.Status.CONFIRMED,
        )
    Document.objects.filter(pk=document.pk).update(status=Document.Status.VERIFIED)
    document.refresh_from_db()
    return document, truth


@pytest.fixture
def form_type() -> FormType:
    department = Group.objects.create(name="市民税課")
    form_type = FormType.objects.create(
        code="shinkoku", name="申告書", department=department, page_width=200, page_height=120
    )
    box = {"x": 10, "y": 10, "w": 100, "h": 20}
    FieldDefinition.objects.create(
        form_type=form_type,
        key="mynumber",
        label="個人番号",
        kind=FieldKind.MYNUMBER,
        cells=12,
        sensitive=True,
        **box,
    )
    FieldDefinition.objects.create(
        form_type=form_type, key="name", label="氏名", kind=FieldKind.TEXT_JA, **box
    )
    return form_type


@pytest.fixture
def documents(form_type):
    assert form_type.retention_years == 5
    old, truths = [], []
    for seed in (1, 2):
        document, truth = read(form_type, seed)
        old.append(document)
        truths.append(truth)
    kept, _ = read(form_type, 3)
    # Both sides of the cut-off, to the minute, in Tokyo time.
    received(old[0], tokyo(2019, 6, 1, 10, 0))
    received(old[1], tokyo(2021, 3, 31, 23, 59))
    received(kept, tokyo(2021, 4, 1, 0, 0))
    return {"old": old, "kept": kept, "truths": truths, "form_type": form_type}


def test_the_rule_counts_from_april_after_the_fiscal_year_of_receipt() -> None:
    furusato = FormType(retention_years=5)
    assert expiry_cutoff(furusato, date(2026, 3, 31)) == date(2020, 4, 1)
    assert expiry_cutoff(furusato, date(2026, 4, 1)) == date(2021, 4, 1)
    furusato.retention_years = 1
    assert expiry_cutoff(furusato, date(2026, 12, 1)) == date(2025, 4, 1)


def test_dry_run_lists_exactly_what_the_real_run_disposes(documents) -> None:
    old, kept = documents["old"], documents["kept"]
    old_ids = sorted(d.pk for d in old)
    paths = [p for d in old for p in media_paths(d)]
    kept_paths = media_paths(kept)
    before = {d.pk: raw_fields(d) for d in old}
    assert all(p.is_file() for p in paths + kept_paths)

    listing = run("--dry-run", "--today", TODAY.isoformat())
    listed = sorted(int(n) for n in re.search(r"documents ids: ([\d, ]+)", listing)[1].split(", "))
    assert listed == old_ids
    assert "shinkoku v1: 2 documents, received 2019-06-01 to 2021-03-31" in listing
    # The dry run changed nothing.
    assert all(p.is_file() for p in paths)
    assert not DisposalRecord.objects.exists()
    assert {d.status for d in Document.objects.filter(pk__in=old_ids)} == {"verified"}

    entries_before = AuditEntry.objects.count()
    output = run("--today", TODAY.isoformat())
    assert "2 documents" in output and "by system" in output

    # Exactly the listed set is disposed; the rows stay, with their status.
    disposed = Document.objects.filter(status=Document.Status.DISPOSED)
    assert sorted(disposed.values_list("pk", flat=True)) == listed
    assert all(d.disposed_at is not None for d in disposed)
    # Files really gone from the media folder, and their names gone from the rows.
    assert not any(p.exists() for p in paths)
    assert set(Page.objects.filter(document__in=old).values_list("image", "aligned_image")) == {
        ("", "")
    }
    for document in disposed:
        assert document.source_file.file.name == ""
        assert document.source_file.status == SourceFile.Status.ACCEPTED
        assert document.source_file.original_name == ""
    # Values and digests erased in the raw database; an erased value decrypts to "".
    for document in old:
        rows = raw_fields(document)
        assert rows and len(rows) == len(before[document.pk])
        for (ocr, final, digest, cells), (old_ocr, old_final, _, _) in zip(
            rows, before[document.pk], strict=True
        ):
            assert ocr != old_ocr and final != old_final
            assert decrypt_value(ocr) == "" and decrypt_value(final) == ""
            assert digest == "" and cells == "[]"
    assert any(digest for _, _, digest, _ in before[old[0].pk])

    # One record, with the right counts and nothing personal in it.
    record = DisposalRecord.objects.get()
    fields_per_document = documents["form_type"].fields.count()
    assert (record.documents, record.pages, record.files) == (2, 2, 6)
    assert record.field_values == 2 * fields_per_document
    assert (record.form_code, record.form_version) == ("shinkoku", 1)
    assert record.cutoff_date == date(2021, 4, 1) and record.run_date == TODAY
    assert (record.first_document_id, record.last_document_id) == tuple(old_ids)
    assert (record.received_from, record.received_until) == (date(2019, 6, 1), date(2021, 3, 31))
    assert record.actor is None and record.actor_label == "system"
    assert "5 years" in record.rule
    text = " ".join(str(getattr(record, f.attname)) for f in DisposalRecord._meta.fields)
    assert "山田" not in text and ".png" not in text and ".enc" not in text
    for truth in documents["truths"]:
        assert truth["mynumber"] not in text.replace("-", "")
        assert truth["name"] not in text

    # One audit entry for the group, naming the record, with counts only.
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(DisposalRecord), object_pk=str(record.pk)
    )
    assert AuditEntry.objects.count() == entries_before + 1
    entry = entries.get()
    assert entry.action == AuditEntry.Action.DELETE
    assert entry.additional_data == {
        "disposal": record.pk,
        "form_type": record.form_type_id,
        "documents": 2,
        "rejected_files": 0,
        "actor": "system",
    }

    # Idempotent: nothing left to dispose, no second record.
    assert "nothing to dispose" in run("--today", TODAY.isoformat())
    assert dispose(Document.objects.all(), today=TODAY) == []
    assert DisposalRecord.objects.count() == 1

    # The newer document is untouched.
    kept.refresh_from_db()
    assert kept.status == Document.Status.VERIFIED and kept.disposed_at is None
    assert all(p.is_file() for p in kept_paths)
    values = dict(kept.fields.values_list("definition__key", "final_value"))
    assert values["name"] == "山田 太郎3" and any(d for _, _, d, _ in raw_fields(kept))
    assert kept.source_file.original_name == "山田太郎-3.png"


def test_dispose_never_takes_a_document_still_in_retention(documents, django_user_model) -> None:
    officer = django_user_model.objects.create_user("officer")
    records = dispose([documents["kept"], *documents["old"]], actor=officer, today=TODAY)
    assert [r.documents for r in records] == [2]
    assert records[0].actor == officer and records[0].actor_label == "officer"
    assert documents_due(TODAY).count() == 0
    # A year later the kept one falls due as well.
    assert list(documents_due(date(2027, 4, 1))) == [documents["kept"]]


def test_the_scheduled_task_disposes_and_returns_counts_only(documents) -> None:
    now = timezone.now()
    Document.objects.update(created_at=now - timedelta(days=365 * 10))
    result = dispose_expired_task()
    assert result == {
        "records": 1,
        "documents": 3,
        "pages": 3,
        "files": 9,
        "field_values": 3 * documents["form_type"].fields.count(),
        "rejected_files": 0,
    }
    assert dispose_expired_task()["documents"] == 0


def refused(form_type: FormType, name: str, data: bytes, when: datetime) -> SourceFile:
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    [source] = ingest_files(batch, [(name, data)]).rejected
    SourceFile.objects.filter(pk=source.pk).update(created_at=when)
    source.refresh_from_db()
    return source


def test_scans_refused_at_intake_fall_due_by_the_same_rule(documents) -> None:
    form_type = documents["form_type"]
    # Kept when refused (nothing received is lost), and named after the person on it.
    old = refused(form_type, "山田太郎-破損.png", b"\x89PNG\r\n\x1a\n broken", tokyo(2020, 5, 1))
    assert old.status == SourceFile.Status.REJECTED and old.file.name
    old_path = Path(settings.MEDIA_ROOT) / old.file.name
    assert old_path.is_file()
    # A second copy of an accepted scan: flagged, not stored, but its name is personal too.
    accepted = documents["old"][0].source_file
    copy = refused(form_type, "山田太郎-再送.png", scan(1), tokyo(2020, 6, 1))
    assert copy.status == SourceFile.Status.DUPLICATE and accepted.sha256 == copy.sha256
    recent = refused(form_type, "山田太郎-新.png", b"plain text", tokyo(2025, 5, 1))
    recent_path = Path(settings.MEDIA_ROOT) / recent.file.name
    # The retention report counts them too.
    assert outlook(form_type, TODAY).refused_scans_due_now == 2

    listing = run("--dry-run", "--today", TODAY.isoformat())
    listed = re.search(r"rejected scans ids: ([\d, ]+)", listing)[1]
    assert sorted(int(n) for n in listed.split(", ")) == [old.pk, copy.pk]
    assert old_path.is_file()

    output = run("--today", TODAY.isoformat())
    assert "2 rejected scans" in output
    assert not old_path.exists() and recent_path.is_file()
    for source in (old, copy):
        source.refresh_from_db()
        assert (source.file.name, source.original_name) == ("", "")
        # The reason stays: what was refused and why is still on record.
        assert source.status in (SourceFile.Status.REJECTED, SourceFile.Status.DUPLICATE)
        assert source.error_code
    recent.refresh_from_db()
    assert recent.original_name == "山田太郎-新.png"

    record = DisposalRecord.objects.get(rejected_files=2)
    assert (record.documents, record.files, record.first_document_id) == (0, 1, None)
    assert (record.received_from, record.received_until) == (date(2020, 5, 1), date(2020, 6, 1))
    text = " ".join(str(getattr(record, f.attname)) for f in DisposalRecord._meta.fields)
    assert "山田" not in text and ".png" not in text
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(DisposalRecord), object_pk=str(record.pk)
    )
    assert entry.additional_data["rejected_files"] == 2
    # Once is enough.
    assert "no rejected scans to dispose" in run("--dry-run", "--today", TODAY.isoformat())
    assert outlook(form_type, TODAY).refused_scans_due_now == 0


def test_the_daily_schedule_exists_after_migrate() -> None:
    schedule = Schedule.objects.get(name="dispose_expired")
    assert schedule.func == "ocr.tasks.dispose_expired_task"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert schedule.next_run.astimezone(TOKYO).time().hour == 2


def test_the_retention_report_shows_what_falls_due(client, documents) -> None:
    form_type = documents["form_type"]
    view = outlook(form_type, date(2026, 3, 15))
    # Fiscal year 2020's document falls due on April 1, within 30 days.
    assert (view.due_now, view.due_in_30_days, view.due_in_90_days) == (1, 1, 1)
    assert (view.next_cutoff_date, view.due_at_next_cutoff) == (date(2026, 4, 1), 1)

    url = reverse("admin:audit_retentionreport_changelist")
    outsider = make_user("outsider", form_type.department)
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    officer = make_user("officer", form_type.department, perms=("view_retentionreport",))
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200
    assert "shinkoku" in response.content.decode()
    assert "廃棄対象の不受理スキャン画像の数" in response.content.decode()
    assert client.get(reverse("admin:audit_disposalrecord_changelist")).status_code == 403
