"""The round trip: generated scans are read, verified by a scripted clerk through the review
services, exported in both encodings, and the CSV read back equals the truth in every field.

The reading is the real pipeline (alignment, digit recogniser, Tesseract); the clerk keys the
truth where the machine is wrong or unsure, as a person would; the export is the services'
request, four-eyes approval, build and download. A name outside CP932 is reported.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FormType
from ocr.exports.services import (
    approve_export,
    build_export,
    download_export,
    export_columns,
    mark_documents_exported,
    request_export,
)
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, ExportJob, ExtractedField
from ocr.pipeline.validate import normalize
from ocr.review import screen
from ocr.review.services import (
    claim_document,
    confirm_field,
    correct_field,
    enter_blind,
    submit_document,
)
from tests.ocr import samples
from tests.personas import department_clerks

pytestmark = pytest.mark.django_db

FORM = "furusato-onestop"
NOT_IN_CP932 = "𠮷田 花子"  # 𠮷 (U+20BB7) has no Shift_JIS code


def read_batch(form_type: FormType, seeds: range) -> tuple[Batch, dict[int, dict[str, str]]]:
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    scans = [samples.filled_scan(FORM, seed) for seed in seeds]
    result = ingest_files(
        batch, [(f"scan-{i}.png", data) for i, (data, _) in enumerate(scans)], sync=True
    )
    truths = {
        document.pk: dict(truth)
        for document, (_, truth) in zip(result.documents, scans, strict=True)
    }
    return batch, truths


def verify(document: Document, truth: dict[str, str], clerk: User) -> None:
    """What a clerk does on the review screen: key the truth wherever the reading is not it."""
    document = claim_document(document, acting_user=clerk)
    for reading in document.fields.select_related("definition"):
        kind = reading.definition.kind
        wanted = normalize(kind, truth.get(reading.definition.key, ""))
        if screen.is_blind(reading):
            key = truth[reading.definition.key]
            if enter_blind(reading, key, acting_user=clerk).result == "again":
                reading.refresh_from_db()  # keyed once more, as the screen asks
                assert enter_blind(reading, key, acting_user=clerk).result == "corrected"
        elif reading.value == wanted and reading.status == ExtractedField.Status.NEEDS_REVIEW:
            confirm_field(reading, acting_user=clerk)
        elif reading.value != wanted:
            correct_field(reading, truth.get(reading.definition.key, ""), acting_user=clerk)
    submit_document(document, acting_user=clerk)


def exported(job: ExportJob, approver: User) -> bytes:
    approve_export(job, acting_user=approver)
    build_export(job.pk, acting_user=approver)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY, job.problems
    content = download_export(job, acting_user=job.requested_by).content
    mark_documents_exported(job.pk)  # the task the download queues
    return content


def expected_row(form_type: FormType, document: Document, truth: dict[str, str]) -> list[str]:
    """The default mapping, written out: ids, then each field's canonical truth; a checkbox
    as 1/0."""
    kinds = {d.key: d.kind for d in form_type.fields.all()}
    row = []
    for column in export_columns(form_type):
        if column.source == "document_id":
            row.append(str(document.pk))
        elif column.source == "batch_id":
            row.append(str(document.batch_id))
        else:
            value = normalize(kinds[column.source], truth.get(column.source, ""))
            row.append(
                ("1" if value == "1" else "0")
                if kinds[column.source] == FieldKind.CHECKBOX
                else value
            )
    return row


def rows_of(content: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding), newline="")))


def test_generated_scans_come_back_out_of_the_csv_as_they_were_written(catalog) -> None:
    form_type = catalog[FORM]
    people = department_clerks(form_type)
    clerk, approver = people["owner"], people["no_mynumber"]
    batch, truths = read_batch(form_type, range(1, 4))
    other_batch, other_truths = read_batch(form_type, range(4, 6))
    # One resident's name has a character Shift_JIS cannot hold.
    odd = min(truths)
    truths[odd]["name"] = NOT_IN_CP932
    for document in Document.objects.filter(batch__in=[batch, other_batch]).order_by("pk"):
        verify(document, {**truths, **other_truths}[document.pk], clerk)

    for encoding, exported_batch, batch_truths in (
        ("utf-8-sig", batch, truths),
        ("cp932", other_batch, other_truths),
    ):
        job = request_export(form_type, acting_user=clerk, batch=exported_batch, encoding=encoding)
        content = exported(job, approver)

        assert content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        header, *rows = rows_of(content, encoding)
        assert header == [column.header for column in export_columns(form_type)]
        documents = Document.objects.filter(batch=exported_batch).order_by("pk")
        assert rows == [expected_row(form_type, d, batch_truths[d.pk]) for d in documents]
        assert all(d.status == Document.Status.EXPORTED for d in documents)

    # The same batch in Shift_JIS: refused, naming the document and the column.
    job = request_export(form_type, acting_user=clerk, batch=batch, encoding="cp932")
    approve_export(job, acting_user=approver)
    assert build_export(job.pk, acting_user=approver).status == ExportJob.Status.FAILED
    job.refresh_from_db()
    name_column = form_type.fields.get(key="name").export_column
    assert [(p["document"], p["column"]) for p in job.problems] == [(odd, name_column)]
    assert "U+20BB7" in job.problems[0]["reason"]
