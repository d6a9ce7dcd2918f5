"""CSV export of read documents for the core systems and RPA."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from forms_catalog.models import FieldDefinition, FormType
from ocr.models import Document, ExtractedField
from yomitoru.lib.csvsafe import spreadsheet_safe
from yomitoru.lib.mynumber import MASK

# Documents whose values are final: read with confidence, or checked by a person.
EXPORTABLE = (
    Document.Status.AUTO_ACCEPTED,
    Document.Status.VERIFIED,
    Document.Status.EXPORTED,
)


def csv_bytes(
    form_type: FormType, documents: Iterable[Document], *, show_sensitive: bool
) -> tuple[bytes, int]:
    """UTF-8 (with BOM, for Excel) CSV of the documents; sensitive values masked unless shown."""
    definitions = list(form_type.fields.order_by("order"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Column names come from form definitions, which may be imported from a file.
    columns = [spreadsheet_safe(d.export_column or d.key) for d in definitions]
    writer.writerow(["document_id", "batch_id", *columns])
    count = 0
    for document in documents:
        # Readings and corrections are free text and may start like a formula.
        values = [spreadsheet_safe(v) for v in _values(document, definitions, show_sensitive)]
        writer.writerow([document.pk, document.batch_id, *values])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count


def _values(document: Document, definitions: list[FieldDefinition], show: bool) -> list[str]:
    fields = {f.definition_id: f for f in document.fields.all()}
    row = []
    for definition in definitions:
        field = fields.get(definition.pk)
        value = _final(field) if field else ""
        row.append(MASK if definition.sensitive and value and not show else value)
    return row


def _final(field: ExtractedField) -> str:
    return field.final_value if field.final_value else ""
