"""Files built to make intake work too hard or fall over: small on disk, huge or broken inside."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def tiff_with_huge_frame(side: int = 9000) -> bytes:
    """A two-frame TIFF: a small first page, then a ``side`` x ``side`` frame (81 MP by
    default). Solid white in Group 4 keeps the file at a few kilobytes."""
    small = Image.new("1", (1240, 1754), 1)
    huge = Image.new("1", (side, side), 1)
    buffer = io.BytesIO()
    small.save(buffer, format="TIFF", save_all=True, append_images=[huge], compression="group4")
    return buffer.getvalue()


def pdf_of_huge_pages(pages: int = 20, points: int = 1857) -> bytes:
    """Blank pages of ``points`` x ``points``: 1857 pt is 7738 px at 300 dpi, 59.9 MP a page,
    just inside the per-page limit; twenty of them are 1.2 billion pixels in ~3 KB."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=points, height=points)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_with_damaged_pixels(size: tuple[int, int] = (1240, 1754)) -> bytes:
    """A PNG whose every header and checksum is right but whose compressed pixels are not:
    only decoding finds out."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    start = data.find(b"IDAT")
    (length,) = struct.unpack(">I", data[start - 4 : start])
    data[start + 4] ^= 0xFF  # the zlib header of the pixel stream
    data[start + 5] ^= 0xFF
    crc = zlib.crc32(bytes(data[start : start + 4 + length]))
    data[start + 4 + length : start + 8 + length] = struct.pack(">I", crc)
    return bytes(data)
