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
