"""Benchmark page registration (ocr.pipeline.align) on perturbed rendered blanks.

    .venv/bin/python scripts/bench_align.py [-n 40] [--forms furusato-onestop,kyuyo-shiharai]

Each page is a standard blank with pen scribbles, rotated by up to +-5 degrees (30 % of them
upside down), scanned at 200, 300 or 600 dpi (+-5 %), shifted, JPEG-compressed. Runs OpenCV
on one thread (the per-core figure) and prints seconds per page (wall and CPU), the
alignment error of the comb cell corners against the known transform, the score
distribution, and the scores of pages that must be rejected (another form, blank, noise).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forms_catalog.layouts import STANDARD_LAYOUTS, get_layout
from forms_catalog.render import render_page
from ocr.pipeline.align import align_page, prepare_reference


def scribble(page: np.ndarray, rng: np.random.Generator, strokes: int = 30) -> np.ndarray:
    out = page.copy()
    h, w = out.shape[:2]
    for _ in range(strokes):
        colour = [(150, 40, 20), (30, 30, 30), (120, 30, 10)][int(rng.integers(3))]
        start = (int(rng.integers(100, w - 300)), int(rng.integers(100, h - 300)))
        points = np.cumsum(rng.normal(0, 25, (12, 2)), axis=0) + start
        cv2.polylines(out, [points.astype(np.int32)], False, colour, int(rng.integers(3, 7)))
    return out


def random_scan(
    page: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """A perturbed scan of ``page``, the reference -> scan transform, whether it is upside
    down, and its nominal dpi."""
    h, w = page.shape[:2]
    turn = bool(rng.random() < 0.3)
    angle = rng.uniform(-5, 5) + 180 * turn
    dpi = int(rng.choice([200, 300, 600]))
    scale = dpi / 300 * float(rng.uniform(0.95, 1.05))
    rotate = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])
    shift = rng.integers(-80, 80, 2)
    move = np.array([[scale, 0, shift[0]], [0, scale, shift[1]], [0, 0, 1.0]])
    full = move @ rotate
    size = (round(w * scale), round(h * scale))
    flags = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scan = cv2.warpAffine(page, full[:2], size, flags=flags, borderValue=(255, 255, 255))
    quality = int(rng.choice([60, 75, 90]))
    _, buf = cv2.imencode(".jpg", scan, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), full, turn, dpi


def comb_corners(code: str) -> np.ndarray:
    layout = get_layout(code)
    points = [
        (cell.x, y)
        for spec in layout.fields
        for cell in spec.cell_rects()
        for y in (cell.y, cell.bottom)
    ]
    return np.float64([points])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="perturbed pages in total")
    parser.add_argument("--forms", default=",".join(STANDARD_LAYOUTS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    codes = args.forms.split(",")
    blanks = {
        c: cv2.cvtColor(np.asarray(render_page(get_layout(c))), cv2.COLOR_RGB2BGR) for c in codes
    }
    refs = {c: prepare_reference(b) for c, b in blanks.items()}

    wall, cpu, errors, scores, failures, dpis = [], [], [], [], [], []
    for i in range(args.n):
        code = codes[i % len(codes)]
        scan, full, turn, dpi = random_scan(scribble(blanks[code], rng), rng)
        dpis.append(dpi)
        t0, c0 = time.perf_counter(), time.process_time()
        result = align_page(scan, refs[code])
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        corners = comb_corners(code)
        moved = cv2.perspectiveTransform(corners, result.homography @ full)
        errors.append(float(np.abs(moved - corners).max()))
        scores.append(result.score)
        if not result.ok or result.rotated_180 != turn or errors[-1] > 2.0:
            failures.append(f"{code} page {i}: ok={result.ok} {result.reason} err={errors[-1]:.2f}")

    bad_scores = []
    for i, code in enumerate(codes):
        other = codes[(i + 1) % len(codes)]
        scan, *_ = random_scan(scribble(blanks[other], rng), rng)
        bad_scores.append(("other form", align_page(scan, refs[code])))
    shape = blanks[codes[0]].shape
    bad_scores.append(("blank", align_page(np.full(shape, 255, np.uint8), refs[codes[0]])))
    noise = rng.integers(0, 256, shape, dtype=np.uint8)
    bad_scores.append(("noise", align_page(noise, refs[codes[0]])))

    def stats(values: list[float]) -> str:
        p = np.percentile(values, [0, 5, 50, 95, 100])
        return "min {:.3f}  p5 {:.3f}  median {:.3f}  p95 {:.3f}  max {:.3f}".format(*p)

    print(f"pages: {args.n} over {', '.join(codes)}; OpenCV threads: 1")
    print(f"seconds/page wall: {stats(wall)}  mean {np.mean(wall):.3f}")
    print(f"seconds/page CPU:  {stats(cpu)}  mean {np.mean(cpu):.3f}")
    for dpi in (200, 300, 600):
        mine = [c for c, d in zip(cpu, dpis, strict=True) if d == dpi]
        if mine:
            print(f"  {dpi} dpi ({len(mine)} pages) CPU s/page: {stats(mine)}")
    print(f"comb corner error px: {stats(errors)}")
    print(f"score (good pages): {stats(scores)}")
    for name, result in bad_scores:
        print(
            f"must reject, {name}: ok={result.ok} reason={result.reason} score={result.score:.3f}"
        )
    print(f"failures: {len(failures)}")
    for line in failures:
        print("  " + line)


if __name__ == "__main__":
    main()
