"""What a flatbed or document scanner does to a filled form.

Applied to the whole page after the handwriting: the printed blank is pure white and black,
a scan never is. In order: paper tone and fibre texture, uneven lamp light, placement on the
glass (skew up to ±3°, shift, ±3 % scale from the scan resolution), optics blur, the
sensor's black and white levels, sensor noise and dust, then optionally grayscale and JPEG.
The output keeps the input size; the area outside the sheet shows the scanner lid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from lab.synthetic.pen import smooth_noise


@dataclass(frozen=True)
class ScanParams:
    angle: float  # degrees, counter-clockwise
    scale: float
    shift: tuple[float, float]  # pixels
    paper: tuple[int, int, int]  # paper tone under the lamp
    texture: float  # relative amplitude of paper fibre texture
    light: float  # relative darkening towards one edge
    blur: float  # Gaussian sigma, pixels
    black: int  # darkest level the sensor reports
    white: int  # level of clean paper
    noise: float  # sensor noise sigma, grey levels
    dust: int  # dark specks on the glass
    grayscale: bool
    jpeg_quality: int | None


def random_params(rng: np.random.Generator) -> ScanParams:
    warm = rng.uniform(0, 10)
    return ScanParams(
        angle=float(np.clip(rng.normal(0, 1.2), -3.0, 3.0)),
        scale=float(rng.uniform(0.97, 1.03)),
        shift=(float(rng.normal(0, 18)), float(rng.normal(0, 18))),
        paper=(int(252 - warm * 0.3), int(250 - warm * 0.5), int(246 - warm)),
        texture=float(rng.uniform(0.012, 0.03)),
        light=float(rng.uniform(0.0, 0.04)),
        blur=float(rng.uniform(0.45, 0.95)),
        black=int(rng.integers(12, 34)),
        white=int(rng.integers(244, 255)),
        noise=float(rng.uniform(1.5, 4.0)),
        dust=int(rng.integers(0, 14)),
        grayscale=bool(rng.random() < 0.3),
        jpeg_quality=int(rng.integers(72, 93)) if rng.random() < 0.5 else None,
    )


def _paper(shape: tuple[int, int], p: ScanParams, rng: np.random.Generator) -> np.ndarray:
    """A per-pixel paper reflectance (H×W float32, about 1.0)."""
    h, w = shape
    # Cloudy formation of the sheet, plus fine fibres that are stretched along the grain.
    cloud = smooth_noise((h, w), 180.0, rng) - 0.5
    fibres: np.ndarray = rng.standard_normal((h // 2, w // 2)).astype(np.float32)
    fibres = cv2.GaussianBlur(fibres, (0, 0), sigmaX=1.6, sigmaY=0.7)
    fibres = cv2.resize(fibres, (w, h), interpolation=cv2.INTER_LINEAR)
    fibres = fibres / (float(fibres.std()) + 1e-6)
    tex = 1.0 + p.texture * (0.9 * cloud + 0.35 * fibres)
    # The lamp is a little weaker towards one side of the glass.
    ramp = np.linspace(0.0, 1.0, w if rng.random() < 0.5 else h, dtype=np.float32)
    ramp = ramp[::-1] if rng.random() < 0.5 else ramp
    light = 1.0 - p.light * ramp**2
    tex *= light[None, :] if len(ramp) == w else light[:, None]
    return tex.astype(np.float32)


def _dust(img: np.ndarray, count: int, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    for _ in range(count):
        x, y = int(rng.integers(w)), int(rng.integers(h))
        shade = int(rng.integers(60, 170))
        colour = (shade,) * (3 if img.ndim == 3 else 1)
        if rng.random() < 0.93:
            cv2.circle(img, (x, y), int(rng.integers(1, 3)), colour, -1, cv2.LINE_AA)
        else:
            # A short hair or fibre on the glass.
            step = rng.normal(0, 1, 2) * 5
            pts = np.cumsum(step + rng.normal(0, 1.2, (int(rng.integers(6, 20)), 2)), axis=0)
            pts += (x, y)
            faint = tuple(c + 60 for c in colour)
            cv2.polylines(img, [pts.astype(np.int32)], False, faint, 1, cv2.LINE_AA)


def scan(
    image: Image.Image, rng: np.random.Generator, params: ScanParams | None = None
) -> Image.Image:
    """The scanned look of ``image`` (RGB), same size; "L" mode when the scan is grayscale."""
    p = params or random_params(rng)
    # A grayscale scan is taken in gray from the start (a third of the work).
    mode = "L" if p.grayscale else "RGB"
    page: np.ndarray = np.asarray(image.convert(mode), dtype=np.float32)
    h, w = page.shape[:2]
    tone = np.asarray(p.paper, np.float32) / 255.0
    paper = _paper((h, w), p, rng)
    if p.grayscale:
        page *= paper * float(tone.mean())
    else:
        page *= paper[:, :, None] * tone[None, None, :]
    # Placement on the glass: rotation about the centre, scale and shift in one warp.
    m = cv2.getRotationMatrix2D((w / 2, h / 2), p.angle, p.scale)
    m[:, 2] += np.asarray(p.shift)
    lid = (238.0, 238.0, 235.0)
    page = cv2.warpAffine(
        page, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=lid
    )
    page = cv2.GaussianBlur(page, (0, 0), p.blur)
    # The sensor never reports pure black or pure white; its noise is mostly shared by the
    # three colour channels (luminance noise).
    noise = rng.standard_normal((h, w), dtype=np.float32) * p.noise
    page = page * ((p.white - p.black) / 255.0) + p.black
    page += noise if p.grayscale else noise[:, :, None]
    out = np.clip(page, 0, 255).astype(np.uint8)
    _dust(out, p.dust, rng)
    result = Image.fromarray(out)
    if p.jpeg_quality is not None:
        buf = io.BytesIO()
        result.save(buf, "JPEG", quality=p.jpeg_quality)
        buf.seek(0)
        result = Image.open(buf)
        result.load()
    return result
