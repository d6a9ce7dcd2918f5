"""Inspecting an uploaded file and turning it into page images, safely.

The type is decided by content (magic bytes), never by the file name. Limits on bytes,
pixels and pages are checked before anything is fully decoded, so a decompression bomb or a
10 000-page PDF is rejected cheaply. Every rejection is an ``IngestError`` with a stable code
and a Japanese message for staff; nothing here ever includes file content in a message.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

PDF_DPI = 300

MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
)

MESSAGES = {
    "empty_file": "ファイルが空です。",
    "too_large": "ファイルサイズが上限を超えています。",
    "unsupported_type": "対応していないファイル形式です（PNG・JPEG・TIFF・PDF のみ）。",
    "too_many_pixels": "画像の画素数が上限を超えています（解凍爆弾の可能性）。",
    "too_many_pages": "ページ数が上限を超えています。",
    "corrupt_file": "ファイルが壊れているか、途中で切れています。",
    "pdf_encrypted": "暗号化（パスワード保護）された PDF は読み取れません。",
    "no_pages": "ページがありません。",
    "duplicate": "同じ様式で同一のファイルが既にアップロードされています。",
}


class IngestError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = MESSAGES[code]


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_pages: int


@dataclass(frozen=True)
class FileInfo:
    content_type: str
    page_count: int


def detect_type(data: bytes) -> str:
    if not data:
        raise IngestError("empty_file")
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    raise IngestError("unsupported_type")


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise IngestError("corrupt_file")
    if width * height > limits.max_pixels:
        raise IngestError("too_many_pixels")


def _open_image(data: bytes, limits: Limits) -> Image.Image:
    # Opening reads the header only; the pixel check happens before any decoding.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise IngestError("corrupt_file") from None
    _check_pixels(image.width, image.height, limits)
    return image


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IngestError("pdf_encrypted") from None
        raise IngestError("corrupt_file") from None


def inspect(data: bytes, limits: Limits) -> FileInfo:
    """Check type and limits without decoding pixels; raise IngestError when rejected."""
    if len(data) > limits.max_bytes:
        raise IngestError("too_large")
    content_type = detect_type(data)
    if content_type == "application/pdf":
        pdf = _open_pdf(data)
        try:
            pages = len(pdf)
            if pages > limits.max_pages:
                raise IngestError("too_many_pages")
            for index in range(pages):
                width, height = pdf[index].get_size()
                scale = PDF_DPI / 72
                _check_pixels(round(width * scale), round(height * scale), limits)
        finally:
            pdf.close()
    else:
        image = _open_image(data, limits)
        pages = getattr(image, "n_frames", 1)
        if pages > limits.max_pages:
            raise IngestError("too_many_pages")
    if pages == 0:
        raise IngestError("no_pages")
    return FileInfo(content_type, pages)


def _to_bgr(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _decode_single(data: bytes) -> np.ndarray:
    """PNG and JPEG through OpenCV: twice as fast as Pillow on a 300 dpi page.

    Only called after ``inspect`` checked the header's pixel count against the limit, and
    OPENCV_IO_MAX_IMAGE_PIXELS caps OpenCV's own decoder (see settings).
    """
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise IngestError("corrupt_file")
    return image


def iter_pages(data: bytes, info: FileInfo, limits: Limits) -> Iterator[np.ndarray]:
    """Decode the pages of an inspected file as BGR arrays, one at a time."""
    if info.content_type == "application/pdf":
        pdf = _open_pdf(data)
        try:
            for index in range(len(pdf)):
                bitmap = pdf[index].render(scale=PDF_DPI / 72)
                yield _to_bgr(bitmap.to_pil())
        finally:
            pdf.close()
        return
    if info.content_type in {"image/png", "image/jpeg"}:
        yield _decode_single(data)
        return
    image = _open_image(data, limits)
    for index in range(info.page_count):
        try:
            image.seek(index)
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
            _check_pixels(image.width, image.height, limits)
            yield _to_bgr(image)
        except IngestError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError):
            raise IngestError("corrupt_file") from None
