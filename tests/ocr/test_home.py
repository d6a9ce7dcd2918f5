"""Each person's home page: their work, their counts, nothing of other departments."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from tests.ocr.documents import read_document
from tests.personas import department_clerks, login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalog):
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    document, truth = read_document(furusato)
    manager = make_user("manager", Group.objects.create(name="所属長"))
    assign_perm("forms_catalog.view_statistics", manager.groups.get(), furusato)
    return people, manager, document, truth


def home(client, user) -> str:
    login(client, user)
    return client.get(reverse("admin:index")).content.decode()


def test_the_clerk_sees_what_waits_with_links_into_the_list(client, world) -> None:
    people, _manager, document, _truth = world
    page = home(client, people["owner"])
    assert 'id="home-work"' in page
    assert document.form_type.name in page
    assert 'id="home-work-upload"' in page
    assert 'id="home-statistics"' not in page


def test_the_outsider_sees_no_work_of_another_department(client, world) -> None:
    people, _manager, document, _truth = world
    page = home(client, people["outsider"])
    assert 'id="home-work"' not in page
    assert document.form_type.name not in page


def test_the_manager_sees_counts_and_nothing_personal(client, world) -> None:
    _people, manager, document, truth = world
    page = home(client, manager)
    assert 'id="home-statistics"' in page
    assert document.form_type.name in page
    assert 'id="home-work"' not in page
    assert reverse("admin:ocr_document_changelist") not in page
    assert reverse("admin:ocr_batch_upload") not in page
    assert truth["name"] not in page and truth["mynumber"] not in page
    # The verified document is counted under its status.
    row = page[page.index(document.form_type.name) :]
    assert "<td>1</td>" in row.split("</tr>")[0]
