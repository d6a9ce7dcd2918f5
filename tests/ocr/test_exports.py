"""CSV export through the services: mappings, the four-eyes rule, one download, the audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from forms_catalog.catalog import new_version
from ocr.exports import mapping
from ocr.exports.services import (
    ExportRefused,
    approve_export,
    build_export,
    download_export,
    expire_exports,
    mark_documents_exported,
    request_export,
)
from ocr.models import Document, ExportColumn, ExportJob, ExtractedField
from tests.ocr.documents import read_document
from tests.personas import department_clerks, login
from yomitoru.lib import wareki

pytestmark = pytest.mark.django_db

E = ExportJob.Status


def rows_of(content: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding), newline="")))


def approved_file(job: ExportJob, approver: User) -> bytes:
    approve_export(job, acting_user=approver)
    build_export(job.pk, acting_user=approver)
    job.refresh_from_db()
    assert job.status == E.READY, job.problems
    content = download_export(job, acting_user=job.requested_by).content
    assert mark_documents_exported(job.pk) == len(job.written_ids)
    assert mark_documents_exported(job.pk) == 0, "run twice, it marks nothing twice"
    return content


@pytest.fixture
def furusato(catalog):
    return catalog["furusato-onestop"]


@pytest.fixture
def people(furusato):
    # owner: process, export and view_mynumber; no_mynumber: process and export (an approver);
    # outsider: another department, no right on this form type.
    return department_clerks(furusato)


def test_an_export_with_my_numbers_waits_for_a_second_person(furusato, people) -> None:
    document, truth = read_document(furusato)
    requester, approver = people["owner"], people["no_mynumber"]

    job = request_export(furusato, acting_user=requester, batch=document.batch)

    assert (job.status, job.includes_mynumber, job.document_ids) == (
        E.AWAITING_APPROVAL,
        True,
        [document.pk],
    )
    # Nothing is written before the approval, and nobody approves their own request.
    assert build_export(job.pk, acting_user=requester).status == E.AWAITING_APPROVAL
    with pytest.raises(ExportRefused) as refused:
        approve_export(job, acting_user=requester)
    assert refused.value.code == "same_person"
    with pytest.raises(ExportRefused) as refused:
        download_export(job, acting_user=requester)
    assert refused.value.code == "not_ready"

    content = approved_file(job, approver)

    header, row = rows_of(content)
    assert row[header.index("個人番号")] == truth["mynumber"]
    assert row[header.index("帳票番号")] == str(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.EXPORTED


def test_the_file_is_downloaded_once_by_its_requester_only(furusato, people) -> None:
    document, _ = read_document(furusato)
    requester, approver = people["owner"], people["no_mynumber"]
    job = request_export(furusato, acting_user=requester, batch=document.batch)
    approve_export(job, acting_user=approver)
    build_export(job.pk, acting_user=approver)

    with pytest.raises(ExportRefused) as refused:
        download_export(job, acting_user=approver)
    assert refused.value.code == "not_requester"
    download_export(job, acting_user=requester)
    with pytest.raises(ExportRefused) as refused:
        download_export(job, acting_user=requester)
    assert refused.value.code == "downloaded"
    job.refresh_from_db()
    assert not job.file, "the encrypted file is removed once fetched"


def test_who_may_request_and_approve(furusato, people) -> None:
    document, _ = read_document(furusato)
    for person, code in (("outsider", "no_export_right"), ("no_mynumber", "no_mynumber_right")):
        with pytest.raises(ExportRefused) as refused:
            request_export(furusato, acting_user=people[person], batch=document.batch)
        assert refused.value.code == code
    job = request_export(furusato, acting_user=people["owner"], batch=document.batch)
    with pytest.raises(ExportRefused) as refused:
        approve_export(job, acting_user=people["outsider"])
    assert refused.value.code == "no_export_right"


def test_requests_and_files_lapse(furusato, people) -> None:
    document, _ = read_document(furusato)
    requester, approver = people["owner"], people["no_mynumber"]
    lapsed = request_export(furusato, acting_user=requester, batch=document.batch)
    lapsed.approval_expires_at = timezone.now() - timedelta(seconds=1)
    lapsed.save(update_fields=["approval_expires_at"])
    with pytest.raises(ExportRefused) as refused:
        approve_export(lapsed, acting_user=approver)
    assert refused.value.code == "expired"

    unfetched = request_export(furusato, acting_user=requester, batch=document.batch)
    approve_export(unfetched, acting_user=approver)
    build_export(unfetched.pk, acting_user=approver)
    unfetched.refresh_from_db()
    stored = unfetched.file.name
    unfetched.download_expires_at = timezone.now() - timedelta(seconds=1)
    unfetched.save(update_fields=["download_expires_at"])

    assert expire_exports(acting_user=approver) == 1

    unfetched.refresh_from_db()
    assert unfetched.status == E.EXPIRED
    assert not unfetched.file and not unfetched.file.storage.exists(stored)


def test_an_export_without_my_numbers_needs_no_approval(furusato, people) -> None:
    document, truth = read_document(furusato)
    ExportColumn.objects.create(form_type=furusato, order=0, header="氏名", source="name")
    ExportColumn.objects.create(
        form_type=furusato,
        order=1,
        header="連携区分",
        source="fixed",
        value="01",
    )
    job = request_export(furusato, acting_user=people["no_mynumber"], batch=document.batch)
    assert (job.status, job.includes_mynumber) == (E.QUEUED, False)
    build_export(job.pk, acting_user=people["no_mynumber"])

    content = download_export(job, acting_user=people["no_mynumber"]).content

    assert rows_of(content) == [["氏名", "連携区分"], [truth["name"], "01"]]


def test_the_download_is_logged_with_documents_columns_and_my_numbers(furusato, people) -> None:
    document, _ = read_document(furusato)
    requester, approver = people["owner"], people["no_mynumber"]
    job = request_export(furusato, acting_user=requester, batch=document.batch)
    approved_file(job, approver)

    [entry] = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, additional_data__access="export"
    )
    data = entry.additional_data
    assert entry.actor == requester
    assert data["documents"] == [document.pk]
    assert data["count"] == 1
    assert data["mynumbers"] is True
    assert data["approved_by"] == approver.pk
    assert "個人番号" in data["columns"]
    approval = AuditEntry.objects.get(
        action=AuditEntry.Action.UPDATE,
        object_pk=str(job.pk),
        additional_data__act="approve_export",
    )
    assert approval.actor == approver


def test_read_text_that_looks_like_a_formula_is_exported_as_text(furusato, people) -> None:
    document, _ = read_document(furusato)
    name = ExtractedField.objects.get(document=document, definition__key="name")
    # A person's correction, or a reading, is free text: it may start like a formula.
    name.final_value = '=HYPERLINK("http://example.invalid/","詳細")'
    name.save(update_fields=["final_value"])
    job = request_export(furusato, acting_user=people["owner"], batch=document.batch)

    header, row = rows_of(approved_file(job, people["no_mynumber"]))

    assert row[header.index(name.definition.export_column)] == "'" + name.final_value


def test_a_cp932_export_reports_what_it_cannot_hold(furusato, people) -> None:
    document, _ = read_document(furusato)
    name = ExtractedField.objects.get(document=document, definition__key="name")
    name.final_value = "𠮷田 花子"
    name.save(update_fields=["final_value"])
    job = request_export(
        furusato, acting_user=people["owner"], batch=document.batch, encoding="cp932"
    )
    approve_export(job, acting_user=people["no_mynumber"])

    assert build_export(job.pk, acting_user=people["no_mynumber"]).status == E.FAILED

    job.refresh_from_db()
    [problem] = job.problems
    assert problem["document"] == document.pk
    assert problem["column"] == name.definition.export_column
    assert "U+20BB7" in problem["reason"]
    assert not job.file
    document.refresh_from_db()
    assert document.status == Document.Status.VERIFIED


def test_mapping_transforms_and_checks(furusato, people) -> None:
    document, _ = read_document(furusato)
    date_key = furusato.fields.filter(kind__in=["date", "wareki_date"]).first()
    assert date_key is not None
    ExportColumn.objects.create(
        form_type=furusato,
        order=0,
        header="日付",
        source=date_key.key,
        transforms=[{"transform": "date", "format": "yyyymmdd"}],
    )
    ExportColumn.objects.create(
        form_type=furusato,
        order=1,
        header="帳票番号",
        source="document_id",
        transforms=[{"transform": "zero_pad", "width": 8}],
    )
    job = request_export(furusato, acting_user=people["no_mynumber"], batch=document.batch)
    build_export(job.pk, acting_user=people["no_mynumber"])
    header, row = rows_of(download_export(job, acting_user=people["no_mynumber"]).content)

    value = ExtractedField.objects.get(document=document, definition=date_key).final_value
    if value[:1].isalpha():  # an era date, "R07.12.01"
        parsed = wareki.parse(value)
        value = wareki.to_gregorian(parsed.era, parsed.year, parsed.month, parsed.day).isoformat()
    assert header == ["日付", "帳票番号"]
    assert row == [value.replace("-", ""), f"{document.pk:08d}"]

    definitions = list(furusato.fields.all())
    for bad in (
        {"source": "nothing", "value": "", "transforms": []},
        {"source": "fixed", "value": "", "transforms": []},
        {"source": "name", "value": "", "transforms": [{"transform": "rot13"}]},
        {"source": "name", "value": "", "transforms": [{"transform": "zero_pad"}]},
        {"source": "name", "value": "", "transforms": [{"transform": "date", "format": "x"}]},
    ):
        with pytest.raises(ValidationError):
            mapping.check_column(definitions=definitions, **bad)


def test_defaults_become_rows_and_a_new_version_keeps_its_mapping(furusato, people) -> None:
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    created = mapping.start_from_defaults(furusato, acting_user=admin)
    assert created == furusato.fields.count() + 2
    assert mapping.start_from_defaults(furusato, acting_user=admin) == 0

    newer = new_version(furusato)

    copied = list(newer.export_columns.values_list("header", "source"))
    assert copied == list(furusato.export_columns.values_list("header", "source"))


def test_administrators_edit_mappings_in_use_and_each_change_is_an_entry(
    client, furusato, people
) -> None:
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    page = reverse("admin:ocr_exportmapping_change", args=[furusato.pk])
    login(client, people["owner"])
    assert client.get(page).status_code == 403, "staff do not edit mappings"
    document, _ = read_document(furusato)
    job = request_export(furusato, acting_user=people["owner"], batch=document.batch)
    approved_file(job, people["no_mynumber"])

    login(client, admin)
    assert client.get(page).context["has_change_permission"] is True
    created = mapping.start_from_defaults(furusato, acting_user=admin)

    entries = AuditEntry.objects.filter(
        action=AuditEntry.Action.CREATE,
        content_type__model="exportcolumn",
        actor=admin,
    )
    assert entries.count() == created > 0
    [download] = AuditEntry.objects.filter(additional_data__access="export")
    assert download.additional_data["columns"] == job.columns, "the file's columns stay named"


def test_the_preview_shows_real_rows_only_to_those_who_may_export_and_logs_them(
    client, furusato, people
) -> None:
    document, truth = read_document(furusato)
    page = reverse("admin:ocr_exportmapping_change", args=[furusato.pk])
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    login(client, admin)
    shown = client.get(page).content.decode()
    assert truth["name"] not in shown, "an administrator without export sees the sample only"
    people["owner"].user_permissions.add(
        *Permission.objects.filter(codename__in=["change_exportcolumn", "view_exportcolumn"])
    )
    login(client, people["owner"])

    shown = client.get(page).content.decode()

    assert truth["name"] in shown and truth["mynumber"] not in shown
    [entry] = AuditEntry.objects.filter(actor=people["owner"], additional_data__preview=True)
    assert entry.additional_data["documents"] == [document.pk]
