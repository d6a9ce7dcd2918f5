"""Read documents built directly, for tests about what people may see (not about reading).

``clean_scan`` and ``skip_alignment`` serve the tests that do run the reading task but are not
about alignment: a generated page already in the reference frame, taken as it is.
"""

from __future__ import annotations

import io
import random
from functools import cache

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from forms_catalog.layouts import get_layout
from forms_catalog.models import FormType
from lab.synthetic.generator import generate_form
from ocr import reading, storage
from ocr.intake import create_batch, ingest_files, page_images
from ocr.models import Batch, Document, ExtractedField
from ocr.pipeline.align import AlignmentResult, PreparedReference
from yomitoru.lib import mynumber
from yomitoru.lib.crypto import lookup_digest


@cache
def _clean_form(code: str, seed: int) -> tuple[bytes, np.ndarray, dict[str, str]]:
    form = generate_form(get_layout(code), random.Random(seed), artefacts=False)
    buffer = io.BytesIO()
    form.pages[0].convert("RGB").save(buffer, format="PNG", compress_level=1)
    image = np.ascontiguousarray(np.asarray(form.pages[0].convert("RGB"))[:, :, ::-1])
    return buffer.getvalue(), image, form.truth


def clean_scan(code: str, seed: int = 1) -> tuple[bytes, dict[str, str]]:
    """A generated page of CODE in the reference frame (no scan artefacts) as PNG, its truth."""
    png, _, truth = _clean_form(code, seed)
    return png, truth


def skip_alignment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading task takes each page as aligned, as it is: for ``clean_scan`` pages only.

    Aligning a real page (ORB, RANSAC, refinement) costs about a second; a test about what the
    task does with a reading, not about alignment, has no need of it.
    """

    def as_it_is(
        scan: np.ndarray, reference: np.ndarray | PreparedReference, **kwargs: object
    ) -> AlignmentResult:
        assert isinstance(reference, PreparedReference)
        width, height = reference.size
        assert scan.shape[:2] == (height, width), "only a page in the reference frame"
        return AlignmentResult(
            aligned=scan, homography=np.eye(3), score=1.0, ok=True, anchor_ratio=1.0
        )

    monkeypatch.setattr(reading, "align_page", as_it_is)


def read_document(form_type: FormType, seed: int = 1) -> tuple[Document, dict[str, str]]:
    """A verified document whose page is already in the reference frame (no scan artefacts)."""
    png, image, truth = _clean_form(form_type.code, seed)
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    document = ingest_files(batch, [(f"scan-{seed}.png", png)]).documents[0]
    page = document.pages.get()
    # As the reading task does first: the scan's page image, rasterised from the stored file.
    page_images(document, [page])
    storage.save_image(page.aligned_image, f"{document.pk}-1-aligned", image)
    page.alignment = page.Alignment.ALIGNED
    page.save()
    for definition in form_type.fields.all():
        value = truth.get(definition.key, "")
        digest = ""
        if definition.sensitive and value:
            digest = lookup_digest(mynumber.normalize(value), settings.INDEX_HMAC_KEY)
        ExtractedField.objects.create(
            document=document,
            definition=definition,
            ocr_value=value,
            final_value=value,
            value_digest=digest,
            confidence=0.99,
            status=ExtractedField.Status.CONFIRMED,
        )
    Document.objects.filter(pk=document.pk).update(status=Document.Status.VERIFIED)
    document.refresh_from_db()
    return document, truth


def png_array(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))
