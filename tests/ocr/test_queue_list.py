"""The queue list as a clerk reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse

from ocr.models import Document
from tests.ocr.waiting import waiting_document
from tests.personas import department_clerks, login


def test_the_queue_shows_times_in_tokyo_time(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    clerk = department_clerks(furusato)["owner"]
    document = waiting_document(furusato)
    Document.objects.filter(pk=document.pk).update(
        created_at=datetime(2026, 12, 3, 14, 51, tzinfo=UTC)
    )

    page = login(Client(), clerk).get(reverse("admin:ocr_reviewitem_changelist"))

    text = page.content.decode()
    assert "23:51" in text
    assert "14:51" not in text
    assert "<h1>確認待ち一覧</h1>" in text


def test_the_document_page_links_only_to_pages_a_clerk_may_open(catalog) -> None:
    """The verifier and the form type are shown as text: a clerk may not open users or form
    types, and a link would lead to 権限がありません."""
    from ocr.review.services import claim_next, submit_document

    furusato = catalog["furusato-onestop"]
    clerk = department_clerks(furusato)["owner"]
    document = waiting_document(furusato, review=())
    claim_next(acting_user=clerk)
    submit_document(document, acting_user=clerk)
    client = login(Client(), clerk)

    page = client.get(reverse("admin:ocr_document_change", args=[document.pk])).content.decode()

    assert reverse("admin:auth_user_change", args=[clerk.pk]) not in page
    assert reverse("admin:forms_catalog_formtype_change", args=[furusato.pk]) not in page
    assert furusato.name in page
