"""Where a batch's work stands, as the batch list shows it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ocr.models import Document, Page
from ocr.progress import progress_of
from tests.ocr.waiting import new_batch, waiting_document
from tests.personas import department_clerks, login

D = Document.Status


@pytest.fixture
def furusato(catalog):
    return catalog["furusato-onestop"]


def test_progress_counts_pages_documents_and_waiting_fields_per_batch(furusato) -> None:
    batch, other = new_batch(furusato), new_batch(furusato)
    waiting = waiting_document(furusato, batch=batch, review=("name", "phone"))
    waiting_document(furusato, batch=batch, review=("name",), status=D.IN_REVIEW)
    for status in (D.VERIFIED, D.AUTO_ACCEPTED, D.EXPORTED, D.REJECTED, D.FAILED):
        waiting_document(furusato, batch=batch, review=(), status=status)
    waiting_document(furusato, batch=other, review=("name",))
    Page.objects.create(document=waiting, number=1, width=10, height=10)
    Page.objects.create(
        document=waiting, number=2, width=10, height=10, alignment=Page.Alignment.ALIGNED
    )

    counted = progress_of([batch.pk, other.pk])

    mine = counted[batch.pk]
    assert (mine.pages, mine.pages_read) == (2, 1)
    assert (mine.waiting, mine.fields_waiting) == (2, 3)
    assert (mine.verified, mine.exported, mine.rejected, mine.failed) == (2, 1, 1, 1)
    assert (counted[other.pk].waiting, counted[other.pk].fields_waiting) == (1, 1)
    assert progress_of([]) == {}


def test_the_batch_list_shows_where_each_batch_stands(furusato) -> None:
    clerk = department_clerks(furusato)["owner"]
    batch = new_batch(furusato)
    waiting_document(furusato, batch=batch, review=("name", "phone"))
    waiting_document(furusato, batch=batch, review=(), status=D.VERIFIED)

    page = login(Client(), clerk).get(reverse("admin:ocr_batch_changelist")).content.decode()

    assert "確認待ち 1 件（項目 2）" in page
    assert "確認済 1" in page
