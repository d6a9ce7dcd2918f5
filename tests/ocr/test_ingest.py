"""Bad input gets a clear reason and nothing is lost; good input becomes documents and pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ocr import storage
from ocr.intake import create_batch, ingest_files, page_images
from ocr.models import Batch, SourceFile
from ocr.pipeline.ingest import MESSAGES, IngestError, Limits, inspect, iter_pages
from tests.ocr import samples

LIMITS = Limits(max_bytes=5_000_000, max_pixels=60_000_000, max_pages=20)


def _png(size=(300, 400)) -> bytes:
    return samples.encode(Image.new("RGB", size, "white"), "PNG")


BAD_FILES = {
    "zero-byte.png": (b"", "empty_file"),
    "truncated.png": (_png()[:200], "corrupt_file"),
    "truncated.jpg": (
        samples.encode(Image.new("RGB", (300, 400), "gray"), "JPEG")[:300],
        "corrupt_file",
    ),
    "truncated.tif": (
        samples.encode(Image.new("RGB", (300, 400), "gray"), "TIFF")[:300],
        "corrupt_file",
    ),
    "truncated.pdf": (samples.small_pages_pdf(2)[:400], "corrupt_file"),
    "half.png": (
        samples.encode(Image.effect_noise((800, 1000), 50).convert("RGB"), "PNG")[:400_000],
        "corrupt_file",
    ),
    "half.jpg": (
        samples.encode(Image.effect_noise((800, 1000), 50).convert("RGB"), "JPEG")[:60_000],
        "corrupt_file",
    ),
    "text-as.png": (b"name,number\nsynthetic,0\n", "unsupported_type"),
    "bomb.png": (samples.png_declaring(30000, 30000), "too_many_pixels"),
    "long.pdf": (samples.small_pages_pdf(21), "too_many_pages"),
    "locked.pdf": (samples.encrypted_pdf(), "pdf_encrypted"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_rejected_with_its_reason(name: str) -> None:
    data, code = BAD_FILES[name]
    with pytest.raises(IngestError) as caught:
        list(iter_pages(data, inspect(data, LIMITS), LIMITS))
    assert caught.value.code == code
    assert caught.value.message == MESSAGES[code]


def test_type_is_decided_by_content_not_by_name() -> None:
    jpeg = samples.encode(Image.new("RGB", (300, 400), "white"), "JPEG")
    assert inspect(jpeg, LIMITS).content_type == "image/jpeg"


def test_too_large_is_rejected_before_anything_is_decoded() -> None:
    with pytest.raises(IngestError, match="too_large"):
        inspect(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, Limits(50, 10**6, 5))


def test_multipage_tiff_and_pdf_give_one_image_per_page() -> None:
    tiff = samples.multipage_tiff([_png(), _png((320, 410)), _png()])
    info = inspect(tiff, LIMITS)
    assert (info.content_type, info.page_count) == ("image/tiff", 3)
    assert [p.shape[:2] for p in iter_pages(tiff, info, LIMITS)] == [
        (400, 300),
        (410, 320),
        (400, 300),
    ]
    pdf = samples.small_pages_pdf(2)
    pages = list(iter_pages(pdf, inspect(pdf, LIMITS), LIMITS))
    # 200 x 280 px at 30 dpi is rasterised at 300 dpi.
    assert len(pages) == 2
    for page in pages:
        assert abs(page.shape[0] - 2800) <= 1 and abs(page.shape[1] - 2000) <= 1


@pytest.mark.django_db
def test_a_batch_keeps_every_file_and_goes_on_after_bad_ones(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
    files = [(name, data) for name, (data, _) in sorted(BAD_FILES.items())]
    files.insert(3, ("good.png", _png((1240, 1754))))
    result = ingest_files(batch, files)

    assert batch.files.count() == len(files), "every received file keeps its record"
    assert len(result.rejected) == len(BAD_FILES)
    for source_file in result.rejected:
        assert source_file.status == SourceFile.Status.REJECTED
        assert source_file.error_code == BAD_FILES[source_file.original_name][1]
        assert source_file.error_message
    good = batch.files.get(original_name="good.png")
    assert good.status == SourceFile.Status.ACCEPTED
    assert [d.source_file_id for d in result.documents] == [good.pk]
    [image] = page_images(result.documents[0])
    assert image.shape == (1754, 1240, 3)
    stored = result.documents[0].pages.get()
    assert storage.read_image(stored.image).shape == (1754, 1240, 3)


@pytest.mark.django_db
def test_the_same_file_twice_for_the_same_form_is_flagged_not_read_again(catalog) -> None:
    furusato = catalog["furusato-onestop"]
    data = _png((1240, 1754))
    for _ in range(2):
        batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
        result = ingest_files(batch, [("scan.png", data)])
    assert result.documents == []
    duplicate = result.rejected[0]
    assert (duplicate.status, duplicate.error_code) == ("duplicate", "duplicate")
    # The same bytes for another form type are a different matter.
    kyuyo = catalog["kyuyo-shiharai"]
    other = create_batch(kyuyo, department=kyuyo.department, source=Batch.Source.CLI)
    assert len(ingest_files(other, [("scan.png", data)]).documents) == 1


@pytest.mark.django_db
def test_stored_files_are_encrypted_at_rest(catalog, settings) -> None:
    furusato = catalog["furusato-onestop"]
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
    data = _png((1240, 1754))
    result = ingest_files(batch, [("scan.png", data)])
    source_file = batch.files.get()
    raw = source_file.file.open("rb").read()
    assert not raw.startswith(b"\x89PNG") and raw != data
    assert storage.read_file(source_file.file) == data
    page_images(result.documents[0])
    page_raw = result.documents[0].pages.get().image.open("rb").read()
    assert b"PNG" not in page_raw[:16]
    assert Image.open(io.BytesIO(storage.read_file(result.documents[0].pages.get().image)))
