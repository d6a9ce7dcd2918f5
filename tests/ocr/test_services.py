"""Human acts on documents: each one saved row by row, so the audit log names who did it."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from audit.models import AuditEntry
from ocr.models import Document
from ocr.services import mark_exported
from tests.ocr.documents import read_document
from tests.ocr.exports import export_through_screens
from tests.personas import department_clerks, login

pytestmark = pytest.mark.django_db


def document_updates(document: Document) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Document),
            object_pk=str(document.pk),
            action=AuditEntry.Action.UPDATE,
        )
    )


def test_marking_exported_writes_one_entry_per_document_naming_the_actor(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    clerk = department_clerks(furusato)["owner"]
    documents = [read_document(furusato, seed)[0] for seed in (1, 2)]

    # Outside any request (a command, a task): the actor still comes from the call.
    mark_exported(documents, acting_user=clerk)

    for document in documents:
        document.refresh_from_db()
        assert document.status == Document.Status.EXPORTED
        assert document.exported_at is not None
        [entry] = document_updates(document)
        assert entry.actor == clerk
        assert entry.changes_dict["status"] == [Document.Status.VERIFIED, Document.Status.EXPORTED]


def test_the_export_download_names_the_clerk_and_keeps_the_request_context(client, catalog):
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    clerk = people["owner"]
    document, _ = read_document(furusato)
    login(client, clerk)

    response = export_through_screens(client, login(Client(), people["no_mynumber"]), document)

    assert response.status_code == 200
    [entry] = document_updates(document)
    assert entry.actor == clerk
    # Written after the export was marked: the request's own context still applies.
    export = AuditEntry.objects.get(
        action=AuditEntry.Action.ACCESS, additional_data__access="export"
    )
    assert (export.actor, export.remote_addr) == (clerk, "127.0.0.1")
