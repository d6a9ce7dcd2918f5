"""Staff upload several scans at once into a new batch, in the admin."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ocr.models import Batch, Page, SourceFile
from tests.ocr import bombs
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
    response = upload(client, furusato, furusato.department, files)

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
    # No form type to upload to: the page itself is refused.
    assert client.get(reverse("admin:ocr_batch_upload")).status_code == 403
    files = [SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")]
    response = upload(client, catalog["furusato-onestop"], outsider.groups.get(), files)
    assert response.status_code == 403
    assert Batch.objects.count() == 0


def test_batch_list_shows_progress_and_refreshes_while_processing(client, catalog, clerks):
    user = clerks["owner"]
    login(client, user)
    upload(
        client,
        catalog["furusato-onestop"],
        catalog["furusato-onestop"].department,
        [SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")],
    )
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.PROCESSING
    page = client.get(reverse("admin:ocr_batch_change", args=[batch.pk])).content.decode()
    assert '<progress value="0" max="1">' in page
    assert 'http-equiv="refresh"' in page


def test_an_upload_of_too_many_files_is_refused_whole(client, catalog, clerks, settings):
    settings.INGEST_MAX_FILES = 3
    user = clerks["owner"]
    login(client, user)
    furusato = catalog["furusato-onestop"]
    files = [
        SimpleUploadedFile(f"scan-{n}.png", png_bytes(), content_type="image/png") for n in range(4)
    ]
    response = upload(client, furusato, furusato.department, files)
    assert response.status_code == 200, "the form is shown again with the reason"
    [error] = response.context["form"].errors.as_data()["scans"]
    assert error.code == "too_many_files" and error.params == {"max": 3}
    assert Batch.objects.count() == 0 and SourceFile.objects.count() == 0


def test_an_upload_is_stored_and_checked_not_rasterised(client, catalog, clerks):
    user = clerks["owner"]
    login(client, user)
    furusato = catalog["furusato-onestop"]
    files = [
        # 20 pages of 59.9 MP: refused from its headers, in a moment.
        SimpleUploadedFile("poster.pdf", bombs.pdf_of_huge_pages(), content_type="application/pdf"),
        # 20 pages of 14 MP: taken in, its pages rasterised later by the reading task.
        SimpleUploadedFile(
            "big.pdf", bombs.pdf_of_huge_pages(points=900), content_type="application/pdf"
        ),
    ]
    started = time.monotonic()
    response = upload(client, furusato, furusato.department, files)
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    batch = Batch.objects.get()
    poster = batch.files.get(original_name="poster.pdf")
    assert (poster.status, poster.error_code) == ("rejected", "file_too_many_pixels")
    assert batch.files.get(original_name="big.pdf").status == "accepted"
    assert batch.documents.count() == 20
    assert not Page.objects.filter(document__batch=batch).exclude(image="").exists()
    assert elapsed < 10, f"took {elapsed:.1f} s"
