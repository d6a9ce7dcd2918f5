"""Intake is bounded and cannot be knocked over.

Every frame and page is checked from its header; one file and one upload bring a bounded
number of pixels; nothing is decoded in the request (the reading task rasterises); and
whatever goes wrong with one file ends that file, with a reason, and only that file.
"""

from __future__ import annotations

import time

import pytest
from PIL import Image

from ocr import intake, storage
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, SourceFile
from ocr.pipeline.engines.base import FakeEngine
from ocr.pipeline.ingest import MESSAGES, IngestError, Limits, inspect, iter_pages
from ocr.processing import run_document
from tests.ocr import bombs, samples

LIMITS = Limits(max_bytes=5_000_000, max_pixels=60_000_000, max_pages=20)
A4 = (1240, 1754)


def _png(size: tuple[int, int] = A4, shade: int = 255) -> bytes:
    return samples.encode(Image.new("RGB", size, (shade, shade, shade)), "PNG")


def _near(size: tuple[int | None, int | None], expected: tuple[int, int]) -> bool:
    """Within the pixel the PDF renderer may round up by."""
    return all(v is not None and abs(v - e) <= 1 for v, e in zip(size, expected, strict=True))


def _batch(form_type) -> Batch:
    return create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)


def test_every_frame_of_a_tiff_is_checked_from_its_header() -> None:
    with pytest.raises(IngestError) as caught:
        inspect(bombs.tiff_with_huge_frame(), LIMITS)
    assert caught.value.code == "too_many_pixels"


def test_decoding_checks_each_frame_again() -> None:
    data = bombs.tiff_with_huge_frame()
    info = inspect(data, Limits(5_000_000, 100_000_000, 20))
    with pytest.raises(IngestError) as caught:
        list(iter_pages(data, info, LIMITS))
    assert caught.value.code == "too_many_pixels"


def test_a_pdf_of_many_huge_pages_is_refused_from_its_headers_in_a_moment() -> None:
    data = bombs.pdf_of_huge_pages()
    limits = Limits(5_000_000, 60_000_000, 20, max_file_pixels=400_000_000)
    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        inspect(data, limits)
    assert caught.value.code == "file_too_many_pixels"
    assert time.monotonic() - started < 2, "nothing was rendered"


@pytest.mark.django_db
def test_a_tiff_with_a_huge_second_frame_ends_that_file_only(catalog, monkeypatch) -> None:
    queued: list[int] = []
    monkeypatch.setattr(intake, "enqueue_document", queued.append)
    furusato = catalog["furusato-onestop"]
    batch = _batch(furusato)
    files = [
        ("first.png", _png()),
        ("bomb.tif", bombs.tiff_with_huge_frame()),
        ("last.png", _png(shade=250)),
    ]
    result = ingest_files(batch, files)

    bomb = batch.files.get(original_name="bomb.tif")
    assert (bomb.status, bomb.error_code) == (SourceFile.Status.REJECTED, "too_many_pixels")
    assert bomb.error_message == MESSAGES["too_many_pixels"]
    assert bomb.file, "kept, encrypted, as received"
    accepted = [d.source_file.original_name for d in result.documents]
    assert accepted == ["first.png", "last.png"]
    assert batch.status == Batch.Status.PROCESSING, "not left open"
    assert queued == [d.pk for d in result.documents], "the others are queued, not left waiting"


@pytest.mark.django_db
def test_any_error_while_taking_a_file_in_ends_that_file_with_a_reason(
    catalog, monkeypatch
) -> None:
    furusato = catalog["furusato-onestop"]
    strange = _png(shade=200)
    real_inspect = intake.inspect

    def inspect_failing_on_one(data: bytes, limits: Limits):
        if data == strange:
            raise RuntimeError("an unexpected failure")
        return real_inspect(data, limits)

    monkeypatch.setattr(intake, "inspect", inspect_failing_on_one)
    batch = _batch(furusato)
    result = ingest_files(batch, [("strange.png", strange), ("good.png", _png())])

    failed = batch.files.get(original_name="strange.png")
    assert (failed.status, failed.error_code) == (SourceFile.Status.REJECTED, "intake_error")
    assert failed.error_message == MESSAGES["intake_error"]
    assert [d.source_file.original_name for d in result.documents] == ["good.png"]
    assert batch.status == Batch.Status.PROCESSING


@pytest.mark.django_db
def test_intake_decodes_nothing_and_the_reading_task_rasterises_each_document(
    catalog, monkeypatch
) -> None:
    furusato = catalog["furusato-onestop"]  # one page per document
    pages = [Image.new("RGB", (200, 280), "white"), Image.new("RGB", (300, 200), "white")]
    pdf = samples.encode(pages[0], "PDF", save_all=True, append_images=pages[1:], resolution=30)
    decoded: list[int] = []
    real_iter_pages = intake.iter_pages

    def counting_iter_pages(*args, **kwargs):
        for image in real_iter_pages(*args, **kwargs):
            decoded.append(1)
            yield image

    monkeypatch.setattr(intake, "iter_pages", counting_iter_pages)
    result = ingest_files(_batch(furusato), [("two.pdf", pdf)])

    assert decoded == [], "nothing decoded while taking the file in"
    first, second = result.documents
    # Page rows as the headers declare them (300 x 200 px at 30 dpi, read at 300 dpi), so the
    # batch shows its progress from the start.
    declared = second.pages.get()
    assert not declared.image
    assert _near((declared.width, declared.height), (3000, 2000))

    assert run_document(second.pk, FakeEngine({})) == "succeeded"
    assert decoded == [1], "only this document's page"
    page = second.pages.get()
    assert page.image and _near((page.width, page.height), (3000, 2000))
    assert storage.read_image(page.image).shape == (page.height, page.width, 3)
    assert not first.pages.get().image
    # Read again: the stored page is used, nothing is decoded twice.
    assert run_document(second.pk, FakeEngine({})) == "succeeded"
    assert decoded == [1]


@pytest.mark.django_db
def test_pages_the_reader_cannot_decode_reject_their_file_with_the_reason(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    batch = _batch(furusato)
    [document] = ingest_files(batch, [("damaged.png", bombs.png_with_damaged_pixels())]).documents

    assert run_document(document.pk, FakeEngine({})) == "failed"

    source = SourceFile.objects.get(pk=document.source_file_id)
    assert (source.status, source.error_code) == (SourceFile.Status.REJECTED, "corrupt_file")
    assert source.error_message == MESSAGES["corrupt_file"]
    run = document.runs.get()
    assert (run.error_code, run.error_message) == ("corrupt_file", MESSAGES["corrupt_file"])
    assert Document.objects.get(pk=document.pk).status == Document.Status.FAILED
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE


@pytest.mark.django_db
def test_a_file_of_too_many_pixels_in_all_is_refused(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    batch = _batch(furusato)
    started = time.monotonic()
    [refused] = ingest_files(batch, [("poster.pdf", bombs.pdf_of_huge_pages())]).rejected
    assert time.monotonic() - started < 5
    assert (refused.error_code, refused.error_message) == (
        "file_too_many_pixels",
        MESSAGES["file_too_many_pixels"],
    )
    assert refused.page_count is None and batch.documents.count() == 0


@pytest.mark.django_db
def test_one_upload_brings_a_bounded_number_of_pixels_and_files(catalog, settings) -> None:
    settings.INGEST_MAX_UPLOAD_PIXELS = A4[0] * A4[1] * 5 // 2
    settings.INGEST_MAX_FILES = 4
    furusato = catalog["furusato-onestop"]
    batch = _batch(furusato)
    files = [
        ("1.png", _png(shade=251)),
        ("2.png", _png(shade=252)),
        ("3.png", _png(shade=253)),  # a third full page is more than the upload may bring
        ("4.png", _png((300, 400))),  # a small one still fits
        ("5.png", _png((300, 400), shade=254)),  # one file too many
    ]
    result = ingest_files(batch, files)

    outcome = {f.original_name: (f.status, f.error_code) for f in result.files}
    assert outcome == {
        "1.png": ("accepted", ""),
        "2.png": ("accepted", ""),
        "3.png": ("rejected", "upload_too_many_pixels"),
        "4.png": ("accepted", ""),
        "5.png": ("rejected", "upload_too_many_files"),
    }
    assert all(f.file for f in result.files), "refused files are kept as received"
    assert {f.error_message for f in result.rejected} == {
        MESSAGES["upload_too_many_pixels"],
        MESSAGES["upload_too_many_files"],
    }
