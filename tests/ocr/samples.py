"""Sample scans built by the tests themselves: good ones from the generator, bad ones by hand."""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

import cv2
import numpy as np
from PIL import Image

from forms_catalog.layouts import get_layout
from forms_catalog.render import render_page
from lab.synthetic.generator import generate_form


@cache
def filled_scan(code: str, seed: int = 1, fmt: str = "PNG") -> tuple[bytes, dict[str, str]]:
    """A synthetic filled and scanned form of CODE as file bytes, with its truth."""
    form = generate_form(get_layout(code), random.Random(seed), split="train")
    buffer = io.BytesIO()
    form.pages[0].convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue(), form.truth


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def blank_form_png(code: str) -> bytes:
    return encode(render_page(get_layout(code)), "PNG", compress_level=1)


def upside_down(data: bytes) -> bytes:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    ok, buffer = cv2.imencode(".png", cv2.rotate(image, cv2.ROTATE_180))
    assert ok
    return buffer.tobytes()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def small_pages_pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (200, 280), "white") for _ in range(pages)]
    return encode(images[0], "PDF", save_all=True, append_images=images[1:], resolution=30)


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(small_pages_pdf(1))))
    writer.encrypt("synthetic-password", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def multipage_tiff(pages: list[bytes]) -> bytes:
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pages]
    return encode(
        images[0], "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw"
    )
