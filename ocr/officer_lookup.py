"""The documents holding a My Number, for the security officer's lookup (audit.lookup).

Registered with audit by ``OcrConfig.ready``: the officer's page is audit's, the documents and
the digest are this app's. The number is found by its keyed digest (``my_number_digest``, the
one place it is computed); no right of the officer's applies, every document counts.
"""

from __future__ import annotations

from django.db.models import Min

from audit.lookup import Holding
from ocr.disclosure import my_number_digest
from ocr.models import Document, ExtractedField


def documents_holding(number: str) -> Holding:
    digest = my_number_digest(number)
    found = ExtractedField.objects.filter(value_digest=digest).values_list("document_id", flat=True)
    ids = sorted(set(found))
    documents = Document.objects.filter(pk__in=ids)
    return Holding(
        document_ids=ids,
        form_type_ids=sorted(set(documents.values_list("form_type_id", flat=True))),
        first_received=documents.aggregate(first=Min("created_at"))["first"],
    )
