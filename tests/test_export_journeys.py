"""Export with four eyes, by clicks in Debian's Chromium.

A My Number handler asks for the CSV of a verified batch from the batch page; alone they
cannot fetch it. A second person with the export right approves it from their home page;
the file is written (the worker's task, run here), and the requester downloads it once.
A clerk of another department is offered no export at all. Past the login page no URL is
typed but one: the forged download the test tries on purpose.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from ocr.admin.exports import download_token
from ocr.models import Document, ExportColumn, ExportJob
from ocr.tasks import build_export_task, mark_exported_task
from tests.ocr.documents import read_document
from tests.test_journeys import PASSWORD, assert_japanese_only, shoot
from tests.test_journeys import sign_in as sign_in_only
from tests.test_review_journeys import people, sign_in, with_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sign_out(page) -> None:
    page.click("#logout-form button")


def test_a_my_number_export_needs_a_second_person(
    catalog, live_server, page, browser_context
) -> None:
    furusato = catalog["furusato-onestop"]
    staff = people(furusato)
    requester, approver = staff["owner"], staff["no_mynumber"]
    with_authenticator(requester)
    document, truth = read_document(furusato)

    # The requester: from home to the batch, and its export.
    sign_in(page, live_server.url, requester)
    page.click("#home-work-batches")
    page.click("#result_list tbody tr:first-child th a")
    page.click("#batch-export")
    page.select_option("#id_encoding", "cp932")
    page.click("#export-request")
    page.wait_for_selector("#export-job")
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.AWAITING_APPROVAL
    assert page.locator("#export-waiting").is_visible()
    assert page.locator("#export-download").count() == 0
    assert page.locator("#export-approve").count() == 0, "nobody approves their own export"
    shoot(page, "export-awaiting-approval")
    assert_japanese_only(page)
    # A link made up by the requester fetches nothing before the approval.
    forged = reverse("admin:ocr_exportjob_download", args=[job.pk, download_token(job, requester)])
    page.goto(live_server.url + forged)
    assert page.locator(".messagelist .error").is_visible()
    assert not AuditEntry.objects.filter(additional_data__access="export").exists()

    # The approver, in their own browser: from home to the exports waiting for them.
    second = browser_context.new_page()
    sign_in(second, live_server.url, approver)
    second.click("#home-work-exports")
    second.click("#result_list tbody tr:first-child th a")
    second.click("#export-approve")
    second.wait_for_selector(".messagelist .success")
    job.refresh_from_db()
    assert (job.status, job.approved_by) == (ExportJob.Status.QUEUED, approver)
    assert second.locator("#export-download").count() == 0, "the approver fetches nothing"

    build_export_task(job.pk)  # what the worker does with the queued task

    # The requester again: the file, once.
    page.click("#site-name a")
    page.click("#home-work-exports")
    page.click("#result_list tbody tr:first-child th a")
    assert page.locator("#export-status").inner_text() == str(ExportJob.Status.READY.label)
    shoot(page, "export-ready")
    assert_japanese_only(page)
    with page.expect_download() as fetched:
        page.click("#export-download")
    content = Path(fetched.value.path()).read_bytes()
    header, row = list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))
    assert row[header.index("個人番号")] == truth["mynumber"]
    page.reload()
    assert page.locator("#export-download").count() == 0, "one download only"
    mark_exported_task(job.pk)  # queued by the download: the worker's task, run here
    document.refresh_from_db()
    assert document.status == Document.Status.EXPORTED

    requested, approved = (
        AuditEntry.objects.filter(object_pk=str(job.pk), additional_data__act=act).get()
        for act in ("request_export", "approve_export")
    )
    assert (requested.actor, approved.actor) == (requester, approver)
    [download] = AuditEntry.objects.filter(additional_data__access="export")
    assert download.actor == requester and download.additional_data["mynumbers"] is True
    sign_out(page)

    # A clerk of another department: no export offered, and the form refuses them.
    outsider = staff["outsider"]
    sign_in_only(page, live_server.url, outsider.username)
    page.wait_for_selector("#content")
    assert page.locator("#home-work-exports").count() == 0
    page.goto(live_server.url + reverse("admin:ocr_exportjob_add"))
    assert page.locator("#export-request").count() == 0
    assert ExportJob.objects.count() == 1


def test_an_administrator_maps_the_columns_and_sees_the_preview(catalog, live_server, page):
    furusato = catalog["furusato-onestop"]
    admin = User.objects.create_superuser("admin", password=PASSWORD, first_name="管理者")
    with_authenticator(admin)

    sign_in_only(page, live_server.url, "admin")
    device = TOTPDevice.objects.get(user=admin)
    page.fill("#id_token", f"{totp(device.bin_key):06d}")
    page.click("#two-factor-form input[type=submit]")
    page.click("#home-setup-export-mappings")
    # A version without columns of its own starts from the default ones.
    row = page.locator("#result_list tbody tr", has_text=furusato.name)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "start_from_defaults")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    page.click(f"#result_list a:text-is('{furusato.name}')")
    page.wait_for_selector("#export-preview")

    # The application date as the core system wants it: 令和7年12月1日.
    index = page.eval_on_selector_all(
        "select[name$='-source']",
        "(selects) => selects.findIndex((s) => s.value === 'application_date')",
    )
    transforms = page.locator(f"#id_export_columns-{index}-transforms")
    transforms.fill('[{"transform": "date", "format": "no-such-format"}]')
    page.click("input[name=_continue]")
    # The page comes back with the error (wait for it: the click only sends the form).
    page.wait_for_selector(".errornote")
    assert page.locator(".errorlist").first.is_visible(), "a bad transform is refused"
    transforms = page.locator(f"#id_export_columns-{index}-transforms")
    transforms.fill('[{"transform": "date", "format": "wareki_ja"}]')
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    column = ExportColumn.objects.get(form_type=furusato, source="application_date")
    assert column.transforms == [{"transform": "date", "format": "wareki_ja"}]
    assert "令和7年12月1日" in page.locator("#export-preview").inner_text()
    shoot(page, "export-mapping")
    # The page shows the field keys (identifiers, like form codes) and a sample era date.
    keys = tuple(furusato.fields.values_list("key", flat=True))
    assert_japanese_only(page, data_words=(*keys, "R07.12.01"))
