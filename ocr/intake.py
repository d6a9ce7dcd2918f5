"""Ingest: the one code path behind the admin upload, the CLI and the hot folder.

Every file gets a SourceFile, accepted or not; an accepted file becomes documents and pages,
which are queued for reading. A bad file never stops the rest of the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from forms_catalog.models import FormType
from ocr import storage
from ocr.models import Batch, Document, Page, SourceFile
from ocr.pipeline.ingest import FileInfo, IngestError, Limits, inspect, iter_pages
from ocr.tasks import enqueue_document, process_document


@dataclass
class IngestResult:
    batch: Batch
    documents: list[Document] = field(default_factory=list)
    rejected: list[SourceFile] = field(default_factory=list)


def configured_limits() -> Limits:
    return Limits(
        max_bytes=settings.INGEST_MAX_BYTES,
        max_pixels=settings.INGEST_MAX_PIXELS,
        max_pages=settings.INGEST_MAX_PAGES,
    )


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


def add_file(batch: Batch, name: str, data: bytes, limits: Limits | None = None) -> SourceFile:
    """Record one uploaded file and turn it into documents, or record why it was rejected."""
    limits = limits or configured_limits()
    sha256 = hashlib.sha256(data).hexdigest()
    source_file = SourceFile.objects.create(
        batch=batch,
        form_type=batch.form_type,
        original_name=Path(name).name[:255],
        sha256=sha256,
        size=len(data),
    )
    if _is_duplicate(batch.form_type, sha256):
        return _reject(source_file, IngestError("duplicate"), SourceFile.Status.DUPLICATE)
    if len(data) <= limits.max_bytes:
        # Kept even when rejected: nothing received is lost.
        storage.save_file(source_file.file, f"{source_file.pk}", data)
        source_file.save(update_fields=["file"])
    try:
        info = inspect(data, limits)
        pages = list(iter_pages(data, info, limits))
    except IngestError as error:
        return _reject(source_file, error, SourceFile.Status.REJECTED)
    _create_documents(source_file, info, pages)
    return source_file


@transaction.atomic
def _create_documents(source_file: SourceFile, info: FileInfo, pages: list) -> None:
    source_file.content_type = info.content_type
    source_file.page_count = info.page_count
    source_file.status = SourceFile.Status.ACCEPTED
    source_file.save(update_fields=["content_type", "page_count", "status"])
    per_document = max(source_file.form_type.page_count, 1)
    for start in range(0, len(pages), per_document):
        document = Document.objects.create(
            batch=source_file.batch, source_file=source_file, form_type=source_file.form_type
        )
        for number, image in enumerate(pages[start : start + per_document], start=1):
            page = Page(
                document=document, number=number, width=image.shape[1], height=image.shape[0]
            )
            storage.save_image(page.image, f"{document.pk}-{number}", image)
            page.save()


def ingest_files(
    batch: Batch, files: Iterable[tuple[str, bytes]], *, sync: bool = False
) -> IngestResult:
    result = IngestResult(batch)
    for name, data in files:
        source_file = add_file(batch, name, data)
        if source_file.status != SourceFile.Status.ACCEPTED:
            result.rejected.append(source_file)
            continue
        result.documents.extend(source_file.documents.order_by("pk"))
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
    return result


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
