"""Ingest: the one code path behind the admin upload, the CLI and the hot folder.

Every file gets a SourceFile, accepted or not; an accepted file becomes documents and pages,
which are queued for reading. A bad file never stops the rest of the batch: whatever goes
wrong while one file is taken in ends that file with a reason, and the next one is taken.

Taking a file in is cheap and bounded, because it runs in a web request: the file is stored
(encrypted) and checked from its headers alone (type, structure, pages, pixels of every page
and frame, pixels of the whole file and of the whole upload). Its pages are rasterised by the
reading task (``page_images``), one document at a time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from forms_catalog.models import FormType
from ocr import storage
from ocr.models import Batch, Document, Page, SourceFile
from ocr.pipeline.ingest import FileInfo, IngestError, Limits, inspect, iter_pages
from ocr.tasks import enqueue_document, process_document
from yomitoru.lib.sensitive_text import redact

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    batch: Batch
    documents: list[Document] = field(default_factory=list)
    rejected: list[SourceFile] = field(default_factory=list)
    # Every file of the call, in the order given.
    files: list[SourceFile] = field(default_factory=list)


@dataclass
class UploadBudget:
    """What one upload (one call of ``ingest_files``) may still take in."""

    files: int
    pixels: int

    @classmethod
    def configured(cls) -> UploadBudget:
        return cls(files=settings.INGEST_MAX_FILES, pixels=settings.INGEST_MAX_UPLOAD_PIXELS)

    def count_file(self) -> None:
        if self.files <= 0:
            raise IngestError("upload_too_many_files")
        self.files -= 1

    def take_pixels(self, info: FileInfo) -> None:
        if info.pixels > self.pixels:
            raise IngestError("upload_too_many_pixels")
        self.pixels -= info.pixels


def configured_limits() -> Limits:
    return Limits(
        max_bytes=settings.INGEST_MAX_BYTES,
        max_pixels=settings.INGEST_MAX_PIXELS,
        max_pages=settings.INGEST_MAX_PAGES,
        max_file_pixels=settings.INGEST_MAX_FILE_PIXELS,
    )


def declared_pixels(data: bytes, limits: Limits | None = None) -> int:
    """The pixels a file's headers declare, or 0 when intake would refuse it anyway."""
    try:
        return inspect(data, limits or configured_limits()).pixels
    except IngestError:
        return 0


def create_batch(
    form_type: FormType,
    *,
    department: Group,
    source: str,
    user: User | None = None,
) -> Batch:
    return Batch.objects.create(
        form_type=form_type, department=department, source=source, created_by=user
    )


def display_name(name: str) -> str:
    """The file name as lists, messages and the audit log show it: never a number in it.

    Redacted before it is cut to length: a cut could split a number the detector then missed.
    """
    return redact(Path(name).name)[:255]


def _reject(source_file: SourceFile, error: IngestError, status: str) -> SourceFile:
    source_file.status = status
    source_file.error_code = error.code
    source_file.error_message = error.message
    source_file.save(update_fields=["status", "error_code", "error_message"])
    return source_file


def _is_duplicate(form_type: FormType, sha256: str) -> bool:
    # Any version of the same form: the IN-subquery keeps to the (form_type, sha256) index.
    versions = FormType.objects.filter(code=form_type.code).values("pk")
    return SourceFile.objects.filter(
        form_type__in=versions, sha256=sha256, status=SourceFile.Status.ACCEPTED
    ).exists()


def add_file(
    batch: Batch,
    name: str,
    data: bytes,
    limits: Limits | None = None,
    *,
    budget: UploadBudget | None = None,
) -> SourceFile:
    """Record one uploaded file and turn it into queued documents, or record why not.

    Never raises for a bad or unexpected file: the file ends rejected with a reason.
    """
    received = Path(name).name
    shown = display_name(name)
    source_file = SourceFile.objects.create(
        batch=batch,
        form_type=batch.form_type,
        original_name=shown,
        received_name=received if shown != received else None,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    try:
        return _take_in(source_file, data, limits or configured_limits(), budget)
    except Exception:
        # The class and place only: the file's content never reaches a log.
        logger.exception("source file %s could not be taken in", source_file.pk)
        return _reject(source_file, IngestError("intake_error"), SourceFile.Status.REJECTED)


def _take_in(
    source_file: SourceFile, data: bytes, limits: Limits, budget: UploadBudget | None
) -> SourceFile:
    if _is_duplicate(source_file.form_type, source_file.sha256):
        return _reject(source_file, IngestError("duplicate"), SourceFile.Status.DUPLICATE)
    if len(data) <= limits.max_bytes:
        # Kept even when rejected: nothing received is lost.
        storage.save_file(source_file.file, f"{source_file.pk}", data)
        source_file.save(update_fields=["file"])
    try:
        if budget is not None:
            budget.count_file()
        info = inspect(data, limits)
        if budget is not None:
            budget.take_pixels(info)
    except IngestError as error:
        return _reject(source_file, error, SourceFile.Status.REJECTED)
    _create_documents(source_file, info)
    return source_file


@transaction.atomic
def _create_documents(source_file: SourceFile, info: FileInfo) -> None:
    """Documents and their pages as the headers declare them; images come with reading."""
    source_file.content_type = info.content_type
    source_file.page_count = info.page_count
    source_file.status = SourceFile.Status.ACCEPTED
    source_file.save(update_fields=["content_type", "page_count", "status"])
    per_document = max(source_file.form_type.page_count, 1)
    sizes = info.page_sizes
    for start in range(0, info.page_count, per_document):
        document = Document.objects.create(
            batch=source_file.batch, source_file=source_file, form_type=source_file.form_type
        )
        # One by one, not bulk: each row's creation is audited.
        for number, (width, height) in enumerate(sizes[start : start + per_document], 1):
            Page.objects.create(document=document, number=number, width=width, height=height)


def page_images(document: Document, pages: list[Page] | None = None) -> list[np.ndarray]:
    """The images of a document's pages, in order: rasterised from its source file the first
    time (and stored, encrypted), read back from storage after that.

    Runs in the reading task. Only this document's pages are decoded, one at a time. A file
    whose pages cannot be decoded after all is rejected with the reason, and the error
    raised again for the run to record.
    """
    pages = pages if pages is not None else list(document.pages.order_by("number"))
    missing = [page for page in pages if not page.image]
    decoded = _rasterise(document, missing) if missing else {}
    return [
        decoded[page.number] if page.number in decoded else storage.read_image(page.image)
        for page in pages
    ]


def _rasterise(document: Document, pages: list[Page]) -> dict[int, np.ndarray]:
    source_file = document.source_file
    # This document's pages follow those of the file's earlier documents.
    first = Page.objects.filter(
        document__source_file_id=source_file.pk, document_id__lt=document.pk
    ).count()
    limits = configured_limits()
    images = {}
    try:
        data = storage.read_file(source_file.file)
        info = inspect(data, limits)
        indices = [first + page.number - 1 for page in pages]
        for page, image in zip(pages, iter_pages(data, info, limits, indices), strict=True):
            storage.save_image(page.image, f"{document.pk}-{page.number}", image)
            page.height, page.width = image.shape[:2]
            page.save(update_fields=["image", "width", "height"])
            images[page.number] = image
    except IngestError as error:
        _reject(source_file, error, SourceFile.Status.REJECTED)
        raise
    return images


def ingest_files(
    batch: Batch, files: Iterable[tuple[str, bytes]], *, sync: bool = False
) -> IngestResult:
    """Take in the files of one upload into ``batch`` and queue (or, ``sync``, read) them.

    The upload is bounded (files and pixels, see ``UploadBudget``); the files beyond it are
    recorded and rejected with the reason. Whatever happens, what was taken in is queued and
    the batch's status says so.
    """
    result = IngestResult(batch)
    budget = UploadBudget.configured()
    try:
        for name, data in files:
            source_file = add_file(batch, name, data, budget=budget)
            result.files.append(source_file)
            if source_file.status != SourceFile.Status.ACCEPTED:
                result.rejected.append(source_file)
                continue
            result.documents.extend(source_file.documents.order_by("pk"))
    finally:
        _start_reading(result, sync=sync)
    return result


def _start_reading(result: IngestResult, *, sync: bool) -> None:
    batch = result.batch
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.PROCESSING)
    for document in result.documents:
        if sync:
            process_document(document.pk)
        else:
            enqueue_document(document.pk)
    if not result.documents:
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.DONE)
    for document in result.documents:
        document.refresh_from_db()
    batch.refresh_from_db()


def ingest_paths(
    form_type: FormType,
    paths: Iterable[Path],
    *,
    department: Group,
    source: str,
    user: User | None = None,
    sync: bool = False,
) -> IngestResult:
    batch = create_batch(form_type, department=department, source=source, user=user)
    return ingest_files(batch, ((p.name, p.read_bytes()) for p in paths), sync=sync)
