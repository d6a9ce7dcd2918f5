"""The data export for the core systems and RPA."""

from __future__ import annotations

import csv
import io

import pytest

from ocr.exports import csv_bytes
from ocr.models import ExtractedField
from tests.ocr.documents import read_document

pytestmark = pytest.mark.django_db


def test_read_text_that_looks_like_a_formula_is_exported_as_text(catalog) -> None:
    form_type = catalog["furusato-onestop"]
    document, _ = read_document(form_type)
    name = ExtractedField.objects.get(document=document, definition__key="name")
    # A person's correction, or a reading, is free text: it may start like a formula.
    name.final_value = '=HYPERLINK("http://example.invalid/","詳細")'
    name.save(update_fields=["final_value"])

    body, count = csv_bytes(form_type, [document], show_sensitive=False)

    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = rows[0].index(name.definition.export_column or "name")
    assert count == 1
    assert rows[1][column] == "'" + name.final_value
