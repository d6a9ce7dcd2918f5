"""Inspecting an uploaded file and turning it into page images, safely.

The type is decided by content (magic bytes), never by the file name. ``inspect`` reads
headers only: the bytes, the type, the structure (chunks, segments and strips all present),
the page count and the pixels of every page and frame, one by one and in total, so a
decompression bomb, a 10 000-page PDF or a PDF of twenty poster-sized pages is rejected
without decoding anything. ``iter_pages`` decodes; it runs in the reading task, never in a web
request. Every rejection is an ``IngestError`` with a stable code and a Japanese message for
staff; nothing here ever includes file content in a message.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
import zlib
from collections.abc import Iterable, Iterator
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
    "file_too_many_pixels": (
        "ファイル全体の画素数（全ページの合計）が上限を超えています。"
        "ページ数を減らすか、解像度を下げてスキャンしてください。"
    ),
    "upload_too_many_pixels": (
        "1回のアップロードの合計画素数が上限に達したため、このファイルは受け付けませんでした。"
        "分けてアップロードしてください。"
    ),
    "upload_too_many_files": (
        "1回にアップロードできるファイル数の上限を超えたため、このファイルは受け付けませんでした。"
        "分けてアップロードしてください。"
    ),
    "corrupt_file": "ファイルが壊れているか、途中で切れています。",
    "pdf_encrypted": "暗号化（パスワード保護）された PDF は読み取れません。",
    "no_pages": "ページがありません。",
    "duplicate": "同じ様式で同一のファイルが既にアップロードされています。",
    "intake_error": (
        "ファイルを受け付ける処理で予期しないエラーが起きました。"
        "ファイルを確認して、もう一度アップロードしてください。"
    ),
}


class IngestError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = MESSAGES[code]


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    # One page or frame.
    max_pixels: int
    max_pages: int
    # All pages of one file together; None: only the per-page and page limits.
    max_file_pixels: int | None = None


@dataclass(frozen=True)
class FileInfo:
    content_type: str
    page_count: int
    # (width, height) of each page as it will be decoded, read from the headers.
    page_sizes: tuple[tuple[int, int], ...] = ()

    @property
    def pixels(self) -> int:
        return sum(width * height for width, height in self.page_sizes)


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


def _pdf_page_sizes(data: bytes, limits: Limits) -> list[tuple[int, int]]:
    pdf = _open_pdf(data)
    try:
        count = len(pdf)
        if count > limits.max_pages:
            raise IngestError("too_many_pages")
        sizes = []
        scale = PDF_DPI / 72
        for index in range(count):
            page = pdf[index]
            try:
                width, height = page.get_size()
            finally:
                page.close()
            # Rounded up, as the renderer does: the check never undercounts.
            size = (math.ceil(width * scale), math.ceil(height * scale))
            _check_pixels(*size, limits)
            sizes.append(size)
        return sizes
    finally:
        pdf.close()


def _tiff_frame_sizes(data: bytes, limits: Limits) -> list[tuple[int, int]]:
    """Each frame's size from its own header, and its strips or tiles all inside the file.

    Frames are walked one at a time and no further than the page limit: ``n_frames`` would
    walk every directory of a file that claims millions.
    """
    image = _open_image(data, limits)
    sizes = []
    while True:
        _check_pixels(image.width, image.height, limits)
        _check_tiff_strips(image, len(data))
        sizes.append((image.width, image.height))
        try:
            image.seek(len(sizes))
        except EOFError:
            return sizes
        except (OSError, SyntaxError, ValueError, struct.error):
            raise IngestError("corrupt_file") from None
        if len(sizes) >= limits.max_pages:
            raise IngestError("too_many_pages")


# TIFF tags: StripOffsets, StripByteCounts, TileOffsets, TileByteCounts.
_TIFF_DATA_TAGS = ((273, 279), (324, 325))


def _check_tiff_strips(image: Image.Image, length: int) -> None:
    tags = getattr(image, "tag_v2", {})
    for offsets_tag, counts_tag in _TIFF_DATA_TAGS:
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None:
            continue
        if counts is None:
            raise IngestError("corrupt_file")
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if len(counts) != len(offsets):
            raise IngestError("corrupt_file")
        if any(o + c > length for o, c in zip(offsets, counts, strict=True)):
            raise IngestError("corrupt_file")


def _check_png_chunks(data: bytes) -> None:
    """Every chunk whole and its checksum right, up to IEND: a cut or damaged PNG stops here."""
    position = 8
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            break
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[position + 4 : end - 4]) != crc:
            break
        if kind == b"IEND":
            return
        position = end
    raise IngestError("corrupt_file")


# JPEG markers without a length field: TEM, RST0-7, SOI (and EOI, which ends the walk).
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD9)}


def _check_jpeg_segments(data: bytes) -> None:
    """The header segments whole up to the first scan, and an end marker after it.

    Inside the compressed data 0xFF is always followed by 0x00 or a restart marker, so the
    first FF D9 after the scan begins is the image's end: a cut JPEG has none. Whatever a
    phone appends after it (a motion photo's video) does not matter.
    """
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise IngestError("corrupt_file")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            raise IngestError("corrupt_file")
        position += 2 + length
        if marker == 0xDA:  # start of scan
            if data.find(b"\xff\xd9", position) == -1:
                raise IngestError("corrupt_file")
            return
    raise IngestError("corrupt_file")


def inspect(data: bytes, limits: Limits) -> FileInfo:
    """Check type, structure and limits without decoding pixels; raise IngestError if refused."""
    if len(data) > limits.max_bytes:
        raise IngestError("too_large")
    content_type = detect_type(data)
    if content_type == "application/pdf":
        sizes = _pdf_page_sizes(data, limits)
    elif content_type == "image/tiff":
        sizes = _tiff_frame_sizes(data, limits)
    else:
        # PNG and JPEG are read as one page (the first frame of an APNG or an MPO).
        image = _open_image(data, limits)
        if content_type == "image/png":
            _check_png_chunks(data)
        else:
            _check_jpeg_segments(data)
        sizes = [(image.width, image.height)]
    if not sizes:
        raise IngestError("no_pages")
    info = FileInfo(content_type, len(sizes), tuple(sizes))
    if limits.max_file_pixels is not None and info.pixels > limits.max_file_pixels:
        raise IngestError("file_too_many_pixels")
    return info


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


def _render_pdf_page(pdf: pdfium.PdfDocument, index: int, limits: Limits) -> np.ndarray:
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = PDF_DPI / 72
        _check_pixels(math.ceil(width * scale), math.ceil(height * scale), limits)
        try:
            bitmap = page.render(scale=scale)
        except pdfium.PdfiumError:
            raise IngestError("corrupt_file") from None
        try:
            # pdfium renders BGR, OpenCV's order: copied out of pdfium's buffer.
            image = np.array(bitmap.to_numpy()[:, :, :3])
        finally:
            bitmap.close()
    finally:
        page.close()
    return image


def _decode_frame(image: Image.Image, index: int, limits: Limits) -> np.ndarray:
    try:
        image.seek(index)
        # Checked again on the frame itself, before its pixels are decoded.
        _check_pixels(image.width, image.height, limits)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        return _to_bgr(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError("too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
        raise IngestError("corrupt_file") from None


def iter_pages(
    data: bytes, info: FileInfo, limits: Limits, indices: Iterable[int] | None = None
) -> Iterator[np.ndarray]:
    """Decode pages of an inspected file (all, or those at ``indices``) as BGR arrays, one at
    a time: only the page being yielded is held."""
    wanted = list(range(info.page_count) if indices is None else indices)
    if any(not 0 <= index < info.page_count for index in wanted):
        raise IngestError("corrupt_file")
    if info.content_type == "application/pdf":
        pdf = _open_pdf(data)
        try:
            if len(pdf) != info.page_count:
                raise IngestError("corrupt_file")
            for index in wanted:
                yield _render_pdf_page(pdf, index, limits)
        finally:
            pdf.close()
        return
    if info.content_type in {"image/png", "image/jpeg"}:
        for _ in wanted:
            yield _decode_single(data)
        return
    image = _open_image(data, limits)
    for index in wanted:
        yield _decode_frame(image, index, limits)
