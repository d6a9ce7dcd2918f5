"""Department boundaries and the superuser: who sees which batches and documents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit import reports
from ocr.intake import create_batch
from ocr.models import Batch
from ocr.permissions import visible_batches, visible_documents
from tests.ocr.documents import read_document
from tests.personas import STAFF_VIEWS, department_clerks, login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_departments(catalog):
    """Two departments granted the same form type, each with a batch of its own."""
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    document, _truth = read_document(furusato)
    branch = Group.objects.create(name="支所 市民課")
    assign_perm("forms_catalog.process", branch, furusato)
    branch_clerk = make_user("branch_clerk", branch, perms=STAFF_VIEWS)
    branch_batch = create_batch(furusato, department=branch, source=Batch.Source.CLI)
    return people["owner"], branch_clerk, document, branch_batch


def test_a_form_type_right_opens_only_ones_own_departments_batches(two_departments) -> None:
    owner, branch_clerk, document, branch_batch = two_departments
    assert list(visible_batches(owner)) == [document.batch]
    assert list(visible_batches(branch_clerk)) == [branch_batch]
    assert list(visible_documents(owner)) == [document]
    assert not visible_documents(branch_clerk).exists()


def test_the_other_departments_document_is_not_found(client, two_departments) -> None:
    _owner, branch_clerk, document, _branch_batch = two_departments
    login(client, branch_clerk)
    change = client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    assert change.status_code == 302, "the admin treats an invisible document as missing"
    page = client.get(reverse("admin:ocr_document_page", args=[document.pk, 1]))
    assert page.status_code == 404


def test_a_superuser_sees_no_data_without_a_grant_and_is_reported(client, catalog) -> None:
    furusato = catalog["furusato-onestop"]
    document, _truth = read_document(furusato)
    root = User.objects.create_superuser("root", password="unused-in-tests")
    login(client, root)
    assert not visible_documents(root).exists()
    assert client.get(reverse("admin:ocr_document_page", args=[document.pk, 1])).status_code == 404
    # Granted like anyone else, the superuser reads, and the officer's report shows it.
    root.groups.add(furusato.department)
    assign_perm("forms_catalog.process", furusato.department, furusato)
    assert client.get(reverse("admin:ocr_document_change", args=[document.pk])).status_code == 200
    rows = reports.by_superusers(timezone.now() - timedelta(hours=1))
    assert [row.username for row in rows] == ["root"]


def test_the_upload_page_refuses_those_without_a_right(client, catalog) -> None:
    login(client, make_user("nobody", Group.objects.create(name="総務課")))
    assert client.get(reverse("admin:ocr_batch_upload")).status_code == 403


def test_the_upload_refuses_a_department_without_the_right(client, catalog) -> None:
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    handlers = Group.objects.get(name=f"{furusato.department.name} 個人番号取扱担当")
    login(client, people["owner"])
    page = client.get(reverse("admin:ocr_batch_upload")).content.decode()
    assert handlers.name not in page, "only departments that process are offered"
    response = client.post(
        reverse("admin:ocr_batch_upload"),
        {"form_type": furusato.pk, "department": handlers.pk},
    )
    assert response.status_code == 200 and not Batch.objects.exists()
