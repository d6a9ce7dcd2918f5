"""Processing documents: idempotent tasks, reasons for every bad scan, IDs-only payloads."""

from __future__ import annotations

import re

import pytest
from django_q.brokers import get_broker
from django_q.models import Task
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from PIL import Image

from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, ExtractedField, OcrRun, Page
from ocr.pipeline.engines.base import FakeEngine, Reading
from ocr.processing import run_document
from ocr.tasks import enqueue_document
from tests.ocr import samples
from tests.ocr.documents import clean_scan, skip_alignment

pytestmark = pytest.mark.django_db


def fake_engine(form_type, truth: dict[str, str]) -> FakeEngine:
    return FakeEngine({d.key: Reading(truth.get(d.key, ""), 0.99) for d in form_type.fields.all()})


def ingest(form_type, files):
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    return ingest_files(batch, files)


def test_rerunning_a_document_leaves_exactly_one_set_of_fields(catalog, monkeypatch) -> None:
    skip_alignment(monkeypatch)
    furusato = catalog["furusato-onestop"]
    data, truth = clean_scan("furusato-onestop", 3)
    document = ingest(furusato, [("scan.png", data)]).documents[0]
    engine = fake_engine(furusato, truth)

    assert run_document(document.pk, engine) == "succeeded"
    first = sorted(document.fields.values_list("definition__key", flat=True))
    assert run_document(document.pk, engine) == "succeeded"

    assert sorted(document.fields.values_list("definition__key", flat=True)) == first
    assert document.fields.count() == furusato.fields.count()
    assert list(document.runs.values_list("attempt", "outcome")) == [
        (1, "succeeded"),
        (2, "succeeded"),
    ]
    assert document.pages.get().alignment == Page.Alignment.ALIGNED


def test_a_document_a_person_corrected_is_not_read_again(catalog, monkeypatch) -> None:
    skip_alignment(monkeypatch)
    furusato = catalog["furusato-onestop"]
    data, truth = clean_scan("furusato-onestop", 3)
    document = ingest(furusato, [("scan.png", data)]).documents[0]
    run_document(document.pk, fake_engine(furusato, truth))
    ExtractedField.objects.filter(document=document, definition__key="name").update(
        status=ExtractedField.Status.CORRECTED
    )
    Document.objects.filter(pk=document.pk).update(status=Document.Status.NEEDS_REVIEW)
    assert run_document(document.pk, fake_engine(furusato, {})) == "skipped"
    assert OcrRun.objects.filter(document=document).count() == 1
    # A skipped run must leave the status alone: nothing moves a document out of processing
    # once no run is going on, so it would vanish from the review queue for good.
    document.refresh_from_db()
    assert document.status == Document.Status.NEEDS_REVIEW


def test_bad_scans_end_with_a_reason_and_the_good_ones_are_read(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    good, truth = samples.filled_scan("furusato-onestop", 4)
    other_form, _ = samples.filled_scan("kyuyo-shiharai", 4)
    files = [
        ("good.png", good),
        ("blank.png", samples.encode(Image.new("RGB", (2480, 3508), "white"), "PNG")),
        ("other-form.png", other_form),
        ("upside-down.png", samples.upside_down(good)),
        ("empty.png", b""),
    ]
    result = ingest(furusato, files)
    assert [f.original_name for f in result.rejected] == ["empty.png"]
    engine = fake_engine(furusato, truth)
    outcomes = {d.source_file.original_name: run_document(d.pk, engine) for d in result.documents}
    assert set(outcomes.values()) == {"succeeded"}, "the run goes on after every bad page"

    def page(name: str) -> Page:
        return Page.objects.get(document__source_file__original_name=name)

    assert page("good.png").alignment == Page.Alignment.ALIGNED
    assert page("upside-down.png").alignment == Page.Alignment.ALIGNED
    assert page("upside-down.png").alignment_error.startswith("rotated_180")
    for name in ("blank.png", "other-form.png"):
        bad = page(name)
        assert bad.alignment == Page.Alignment.FAILED
        assert bad.alignment_error, "the reason is recorded"
        assert bad.document.status == Document.Status.NEEDS_REVIEW
        statuses = set(bad.document.fields.values_list("status", flat=True))
        assert statuses == {ExtractedField.Status.NEEDS_REVIEW}, "never silently misread"
    read = page("good.png").document.fields.get(definition__key="mynumber")
    assert read.ocr_value == truth["mynumber"]


DIGIT_RUN = re.compile(rb"\d(?:[ \-]?\d){11}")


def test_task_payloads_and_results_hold_ids_only(
    catalog, settings, django_capture_on_commit_callbacks
):
    furusato = catalog["furusato-onestop"]
    data, truth = samples.filled_scan("furusato-onestop", 5)
    document = ingest(furusato, [("scan.png", data)]).documents[0]
    broker = get_broker()  # the database table, or Redis when REDIS_URL is set
    broker.purge_queue()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_document(document.pk)
    [(_, payload)] = broker.dequeue()
    payload = payload.decode() if isinstance(payload, bytes) else payload
    task = SignedPackage.loads(payload)
    assert task["func"] == "ocr.tasks.process_document"
    assert task["args"] == (document.pk,)
    assert not task["kwargs"] or set(task["kwargs"]) <= {"task_name", "group"}
    assert len(payload) < 1000, "no image or value travels in a payload"

    async_task("ocr.tasks.process_document", document.pk, sync=True)
    stored = Task.objects.get(func="ocr.tasks.process_document")
    assert stored.args == (document.pk,)
    assert stored.result in {"succeeded", "failed"}
    number = truth["mynumber"].encode()
    for blob in (payload.encode(), repr(stored.args).encode(), repr(stored.result).encode()):
        assert number not in blob
        assert not DIGIT_RUN.search(blob)


def test_changes_made_by_a_task_name_the_system_actor(catalog) -> None:
    from audit.actors import SYSTEM_USERNAME
    from audit.models import AuditEntry
    from ocr.tasks import process_document

    furusato = catalog["furusato-onestop"]
    data, _ = clean_scan("furusato-onestop", 3)
    document = ingest(furusato, [("scan.png", data)]).documents[0]
    process_document(document.pk)
    run_entries = AuditEntry.objects.filter(
        content_type__model="ocrrun", action=AuditEntry.Action.CREATE
    )
    assert run_entries.exists()
    assert {e.actor.username for e in run_entries} == {SYSTEM_USERNAME}
    assert not run_entries.first().actor.is_active
