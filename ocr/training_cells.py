"""Verified digit cells as an encrypted training set: how a municipality teaches the reader.

The digit recogniser improves from what its clerks corrected, without any data leaving the
machine: an administrator exports the cells of fields a person verified, and
``scripts/train_digits.py --fine-tune`` learns from them on the same machine.

What goes in, and only that (the design's rule: recognised data is used to digitise the form,
never to train a model, unless a person explicitly exports a set without sensitive fields):

- fields a person decided (corrected or confirmed, with who and when) on documents whose value
  is settled (verified or exported);
- of the kinds amount, date, wareki_date, phone and postal_code, never a field marked
  sensitive: no My Number, no corporate number, no free digits (an account number could be
  anything), whatever the form type says;
- each cell cut again from the stored aligned page exactly as the reader cuts it
  (``cells.comb_cells``, then ``digits.prepare_cell``: the 28x28 image the network sees),
  paired with the verified digit; a field whose written cells do not number its digits is
  left out (the pairing would be a guess).

The file holds the 28x28 images, their digits and kinds, shuffled across fields and
documents, with no document, field or form reference: it teaches digits, it does not keep
records. It is encrypted with the project's file keys (``FILE_ENCRYPTION_KEYS``), so it opens
only on an instance holding them. The export is one act of one person with a dedicated
permission (``ocr.export_training_cells``, held by superusers unless granted), recorded by ONE
audit entry of counts, never a value.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import cv2
import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.access import Access, log_access
from forms_catalog.kinds import FieldKind
from forms_catalog.models import FormPage
from ocr import storage
from ocr.models import Document, ExtractedField, Page
from ocr.pipeline import cells as cell_cutting
from ocr.pipeline.engines import digits
from ocr.pipeline.engines.base import FieldGeometry, PageImages
from yomitoru.lib.crypto import decrypt_bytes, encrypt_bytes

PERMISSION = "ocr.export_training_cells"
# The only kinds whose cells may be exported. My Numbers and corporate numbers are never
# among them (nor is a field marked sensitive, whatever its kind).
TRAINING_KINDS = frozenset(
    {
        FieldKind.AMOUNT,
        FieldKind.DATE,
        FieldKind.WAREKI_DATE,
        FieldKind.PHONE,
        FieldKind.POSTAL_CODE,
    }
)
NEVER_KINDS = frozenset({FieldKind.MYNUMBER, FieldKind.CORPORATE_NUMBER})
# A set is bounded: the digits of ~5,000 fields, ~40 MB of pages read one at a time.
MAX_CELLS = 50_000
# Documents whose fields and pages are fetched per query.
CHUNK = 100
FORMAT = "yomitoru-training-cells/1"
SETTLED = (Document.Status.VERIFIED, Document.Status.EXPORTED)
DECIDED_BY_A_PERSON = (ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED)

assert not TRAINING_KINDS & NEVER_KINDS


class TrainingExportRefused(Exception):
    """The export cannot be made: ``code`` is stable, ``message`` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass
class TrainingCells:
    """Cells as the network sees them (N, 28, 28) uint8 ink 255 on 0, their digits, kinds."""

    images: np.ndarray
    labels: np.ndarray
    kinds: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class ExportSummary:
    """What an export took and left out: counts only (what the audit entry records)."""

    cells: int = 0
    fields: int = 0
    documents: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    # Fields left out: left blank (nothing to learn), written cells not matching the digits,
    # page not stored or not aligned.
    blank: int = 0
    mismatched: int = 0
    no_page: int = 0
    truncated: bool = False

    def as_details(self) -> dict[str, object]:
        return {
            "cells": self.cells,
            "fields": self.fields,
            "documents": self.documents,
            "by_kind": dict(sorted(self.by_kind.items())),
            "skipped_blank": self.blank,
            "skipped_mismatched": self.mismatched,
            "skipped_no_page": self.no_page,
            "truncated": self.truncated,
        }


# --------------------------------------------------------------------------- what goes in


def can_export_training_cells(user: User) -> bool:
    return bool(user.is_active and user.has_perm(PERMISSION))


def training_fields(*, since: date | None = None, form_code: str = "") -> QuerySet[ExtractedField]:
    """The readings whose cells may teach the recogniser (see the module docstring)."""
    readings = ExtractedField.objects.filter(
        status__in=DECIDED_BY_A_PERSON,
        verified_by__isnull=False,
        document__status__in=SETTLED,
        definition__kind__in=sorted(TRAINING_KINDS),
        definition__sensitive=False,
        definition__cells__gt=0,
    ).exclude(definition__kind__in=sorted(NEVER_KINDS))
    if since is not None:
        readings = readings.filter(verified_at__date__gte=since)
    if form_code:
        readings = readings.filter(document__form_type__code=form_code)
    return readings


def verified_digits(kind: str, value: str) -> str:
    """The digits a person verified, in the order they are written in the cells.

    An amount, a phone number and a postal code are their digits; a date "2025-12-01" is
    written 20251201, a wareki date "R07.12.01" 071201 (the era is circled, not written).
    """
    if kind not in TRAINING_KINDS:
        raise ValueError("not a training kind")
    return re.sub(r"[^0-9]", "", value)


def paired_cells(
    page: PageImages, geometry: FieldGeometry, value: str
) -> list[tuple[np.ndarray, int]] | None:
    """The field's written cells as the reader prepares them, each with its verified digit;
    None when the written cells do not number the digits (or nothing is written)."""
    wanted = verified_digits(geometry.kind, value)
    prepared = [digits.prepare_cell(crop)[0] for crop in cell_cutting.comb_cells(page, geometry)]
    written = [image for image in prepared if image is not None]
    if not wanted or len(written) != len(wanted):
        return None
    return [(image, int(digit)) for image, digit in zip(written, wanted, strict=True)]


@lru_cache(maxsize=16)
def _reference(form_page_id: int, _name: str) -> np.ndarray:
    """The blank reference page, decoded once per process (the reader's frame)."""
    form_page = FormPage.objects.get(pk=form_page_id)
    with form_page.reference_image.open("rb") as handle:
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("reference image cannot be decoded")
    return image


def _page_images(document: Document) -> dict[int, PageImages]:
    """The document's aligned pages with their references, by page number."""
    references = {p.number: p for p in document.form_type.pages.all()}
    out = {}
    for page in document.pages.all():
        reference = references.get(page.number)
        if page.alignment != Page.Alignment.ALIGNED or not page.aligned_image or not reference:
            continue
        out[page.number] = PageImages(
            storage.read_image(page.aligned_image),
            _reference(reference.pk, reference.reference_image.name),
        )
    return out


def _document_ids(readings: QuerySet[ExtractedField]) -> list[int]:
    return list(readings.order_by("document_id").values_list("document_id", flat=True).distinct())


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def collect_training_cells(
    *, since: date | None = None, form_code: str = "", max_cells: int = MAX_CELLS
) -> tuple[TrainingCells, ExportSummary]:
    """Every cell the rules let in (at most ``max_cells``), cut again from the stored pages."""
    readings = training_fields(since=since, form_code=form_code)
    summary = ExportSummary()
    images: list[np.ndarray] = []
    labels: list[int] = []
    kinds: list[str] = []
    for ids in _chunks(_document_ids(readings)):
        documents = Document.objects.filter(pk__in=ids).select_related("form_type")
        by_document: dict[int, list[ExtractedField]] = {}
        for reading in readings.filter(document_id__in=ids).select_related("definition"):
            by_document.setdefault(reading.document_id, []).append(reading)
        for document in documents.order_by("pk"):
            # One document's pages at a time: a 300 dpi page is ~25 MB decoded.
            pages = _page_images(document)
            taken = 0
            for reading in by_document.get(document.pk, []):
                definition = reading.definition
                if not verified_digits(definition.kind, reading.final_value):
                    summary.blank += 1
                    continue
                page = pages.get(definition.page)
                if page is None:
                    summary.no_page += 1
                    continue
                geometry = FieldGeometry.from_dict(definition.as_export_dict())
                pairs = paired_cells(page, geometry, reading.final_value)
                if pairs is None:
                    summary.mismatched += 1
                    continue
                if len(labels) + len(pairs) > max_cells:
                    summary.truncated = True
                    break
                images += [image for image, _ in pairs]
                labels += [digit for _, digit in pairs]
                kinds += [definition.kind] * len(pairs)
                summary.fields += 1
                summary.by_kind[definition.kind] += len(pairs)
                taken += 1
            summary.documents += bool(taken)
            if summary.truncated:
                break
        if summary.truncated:
            break
    summary.cells = len(labels)
    return _shuffled(images, labels, kinds), summary


def _shuffled(images: list[np.ndarray], labels: list[int], kinds: list[str]) -> TrainingCells:
    """The cells in a random order: a field's digits do not follow each other in the file."""
    order = np.random.default_rng().permutation(len(labels))
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    return TrainingCells(
        images=stacked[order].astype(np.uint8),
        labels=np.asarray(labels, np.int64)[order] if labels else np.zeros(0, np.int64),
        kinds=np.asarray(kinds, dtype="<U16")[order] if kinds else np.zeros(0, "<U16"),
    )


# --------------------------------------------------------------------------- the file


def pack_training_set(cells: TrainingCells, summary: ExportSummary) -> bytes:
    """The set as an npz, encrypted with the file keys (no pickles inside)."""
    header = {"format": FORMAT, "created_at": timezone.now().isoformat(), **summary.as_details()}
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        images=cells.images,
        labels=cells.labels,
        kinds=cells.kinds,
        header=np.asarray(json.dumps(header)),
    )
    return encrypt_bytes(buffer.getvalue(), settings.FILE_ENCRYPTION_KEYS)


def unpack_training_set(token: bytes) -> tuple[TrainingCells, dict[str, object]]:
    """Decrypt and read a set written by ``pack_training_set`` (FileDecryptionError when the
    keys are not this instance's)."""
    data = decrypt_bytes(token, settings.FILE_ENCRYPTION_KEYS)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        header = json.loads(str(npz["header"]))
        if header.get("format") != FORMAT:
            raise ValueError("not a training set of this format")
        cells = TrainingCells(
            images=npz["images"].astype(np.uint8),
            labels=npz["labels"].astype(np.int64),
            kinds=npz["kinds"].astype("<U16"),
        )
    return cells, header


# --------------------------------------------------------------------------- the act


def export_training_cells(
    *,
    acting_user: User,
    since: date | None = None,
    form_code: str = "",
    max_cells: int = MAX_CELLS,
) -> tuple[bytes, ExportSummary]:
    """An administrator's export of the verified digit cells: the encrypted file's bytes.

    Refused without the permission (with an audit entry of the refusal); otherwise ONE audit
    entry records the act with its counts and filters.
    """
    if not can_export_training_cells(acting_user):
        log_access(
            acting_user,
            acting_user,
            Access.EXPORT_REFUSED,
            details={"refusal": "no_training_export_right", "export": "training_cells"},
        )
        raise TrainingExportRefused(
            "no_training_export_right",
            _("Only an administrator with the training-set right may export digit cells."),
        )
    if max_cells <= 0:
        raise TrainingExportRefused("max_cells", _("The maximum number of cells must be positive."))
    cells, summary = collect_training_cells(since=since, form_code=form_code, max_cells=max_cells)
    token = pack_training_set(cells, summary)
    log_access(
        acting_user,
        acting_user,
        Access.TRAINING_EXPORT,
        count=summary.cells,
        details={
            **summary.as_details(),
            "since": since.isoformat() if since else "",
            "form": form_code,
            "max_cells": max_cells,
        },
    )
    return token, summary
