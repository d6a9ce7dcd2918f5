"""``manage.py export_batch``: the export screen's rights, four-eyes rule and audit, for RPA."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from ocr.exports.services import approve_export
from ocr.models import Document, ExportJob
from tests.ocr.documents import read_document
from tests.personas import department_clerks

pytestmark = pytest.mark.django_db


def export_batch(batch_id: int, user: str, out, encoding: str = "utf-8-sig") -> None:
    call_command(
        "export_batch", str(batch_id), "--user", user, "--encoding", encoding, "--out", str(out)
    )


def test_a_user_without_the_right_is_refused_with_a_reason_and_an_entry(catalog, tmp_path) -> None:
    furusato = catalog["furusato-onestop"]
    outsider = department_clerks(furusato)["outsider"]
    document, _ = read_document(furusato)
    out = tmp_path / "out.csv"

    with pytest.raises(CommandError, match="no_export_right"):
        export_batch(document.batch_id, outsider.username, out)

    assert not out.exists()
    [entry] = AuditEntry.objects.filter(actor=outsider, additional_data__access="export_refused")
    assert entry.additional_data["refusal"] == "no_export_right"
    assert entry.additional_data["batch"] == document.batch_id
    assert not ExportJob.objects.exists()


def test_a_my_number_export_waits_for_approval_then_writes_the_file(catalog, tmp_path) -> None:
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    document, truth = read_document(furusato)
    out = tmp_path / "out.csv"

    with pytest.raises(SystemExit) as waiting:
        export_batch(document.batch_id, people["owner"].username, out, "cp932")
    assert waiting.value.code == 3
    assert not out.exists()
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.AWAITING_APPROVAL

    approve_export(job, acting_user=people["no_mynumber"])
    export_batch(document.batch_id, people["owner"].username, out, "cp932")

    header, row = list(csv.reader(io.StringIO(out.read_bytes().decode("cp932"), newline="")))
    assert row[header.index("個人番号")] == truth["mynumber"]
    assert out.read_bytes().count(b"\r\n") == 2
    document.refresh_from_db()
    assert document.status == Document.Status.EXPORTED
    [entry] = AuditEntry.objects.filter(additional_data__access="export")
    assert (entry.actor, entry.additional_data["documents"]) == (people["owner"], [document.pk])
