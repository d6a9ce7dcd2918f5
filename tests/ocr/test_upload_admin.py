"""Staff upload several scans at once into a new batch, in the admin."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ocr.models import Batch, SourceFile
from tests.personas import department_clerks, login

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1240, 1754), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def clerks(catalog):
    return department_clerks(catalog["furusato-onestop"])


def upload(client, form_type, department, files):
    return client.post(
        reverse("admin:ocr_batch_upload"),
        {"form_type": form_type.pk, "department": department.pk, "scans": files},
    )


@pytest.mark.parametrize("persona", ["owner", "no_mynumber"])
def test_a_clerk_with_process_right_uploads_several_files(client, catalog, clerks, persona):
    user = clerks[persona]
    login(client, user)
    furusato = catalog["furusato-onestop"]
    files = [
        SimpleUploadedFile("scan-1.png", png_bytes(), content_type="image/png"),
        SimpleUploadedFile("scan-2.pdf", b"this is not a pdf", content_type="application/pdf"),
    ]
    response = upload(client, furusato, user.groups.get(), files)

    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:ocr_batch_change", args=[batch.pk])
    assert batch.source == Batch.Source.ADMIN and batch.created_by == user
    statuses = dict(batch.files.values_list("original_name", "status"))
    assert statuses == {"scan-1.png": "accepted", "scan-2.pdf": "rejected"}
    rejected = batch.files.get(status=SourceFile.Status.REJECTED)
    assert rejected.error_code == "unsupported_type"
    assert batch.documents.count() == 1


def test_an_outsider_cannot_upload_to_another_departments_form(client, catalog, clerks):
    outsider = clerks["outsider"]
    login(client, outsider)
    page = client.get(reverse("admin:ocr_batch_upload"))
    assert page.status_code == 200
    assert catalog["furusato-onestop"].name not in page.content.decode()

    files = [SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")]
    response = upload(client, catalog["furusato-onestop"], outsider.groups.get(), files)
    assert response.status_code == 200, "the form is shown again with an error"
    assert Batch.objects.count() == 0


def test_batch_list_shows_progress_and_refreshes_while_processing(client, catalog, clerks):
    user = clerks["owner"]
    login(client, user)
    upload(
        client,
        catalog["furusato-onestop"],
        user.groups.get(),
        [SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")],
    )
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.PROCESSING
    page = client.get(reverse("admin:ocr_batch_change", args=[batch.pk])).content.decode()
    assert '<progress value="0" max="1">' in page
    assert 'http-equiv="refresh"' in page
