"""Register a scanned page to its form type's blank reference image (pipeline step 2).

1. Coarse: both pages as luminance (black print dominant, dropout red lighter but kept) at
   half the reference resolution; the scan's dpi is inferred from its width (600 dpi scans
   are area-averaged first). ORB features capped per grid cell (forms crowd features into
   the title), Hamming ratio-test matches, RANSAC affine. ORB is rotation invariant, so an
   upside-down page matches directly; a poor match is retried on the page turned 180°.
2. Fine: one reference patch per cell of a 4x6 grid (frame and comb corners, marks, text)
   is found by normalised cross-correlation (+-24 px) in the coarsely warped scan at full
   resolution; their sub-pixel shifts give a correcting homography (RANSAC; an affine when
   it agrees within 0.25 px, which also makes the final warp ~2x faster).
3. ``ok`` = plausible transform (area, rotation near 0/180°, shear, perspective) and
   ``correlation`` (warped page's ink vs the reference's printed structure) >= MIN_CORRELATION
   and ``score`` = ``anchor_ratio`` (patches found where expected) x ``correlation`` >=
   SCORE_THRESHOLD; otherwise a stable ``reason`` code and a Japanese ``message`` (review).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

WORK_SCALE = 0.5  # coarse pass scale relative to the reference resolution
CHECK_SCALE = 0.25  # resolution of the structure correlation check
ORB_FEATURES = 2000
SPREAD_GRID = (6, 8)  # feature balancing grid (columns, rows)
RATIO = 0.8  # Lowe ratio test
RANSAC_PX = 3.0  # reprojection threshold at the working scale
MIN_INLIERS = 25
RETRY_INLIERS = 100  # fewer coarse inliers than this: also try the page turned by 180 degrees
PATCH = 64  # refinement patch side, full reference resolution
SEARCH = 24  # refinement search radius, full reference resolution
PATCH_GRID = (4, 6)  # refinement anchor grid (columns, rows)
MIN_PATCH_NCC = 0.6
MIN_ANCHORS = 8
MAX_SCALE_DEV = 0.25  # relative page area change allowed beyond the inferred dpi change
MAX_ANGLE_DEG = 10.0
MAX_SHEAR = 0.05  # |cos| of the angle between the mapped page axes
MAX_PERSPECTIVE = 0.05  # relative length difference of opposite page sides
# Measured (scripts/bench_align.py, synthetic filled scans): good pages correlation >= 0.72,
# score >= 0.63; other forms / garbage correlation <= 0.39, score <= 0.15 if they get here;
# the top half of a page alone scores ~0.34.
MIN_CORRELATION = 0.5
SCORE_THRESHOLD = 0.45

MESSAGES = {
    "too_few_features": "特徴点が少なすぎます（白紙またはスキャン不良の可能性があります）。",
    "no_consistent_match": "帳票の基準画像と一致しません（別の帳票の可能性があります）。",
    "implausible_transform": "位置合わせ結果が不自然です（傾き・倍率・用紙を確認してください）。",
    "low_correlation": "印刷された枠線が基準画像と一致しません（別の帳票の可能性があります）。",
    "low_score": "位置合わせの信頼度が低いため、確認が必要です。",
}


@dataclass(frozen=True)
class AlignmentResult:
    aligned: np.ndarray  # BGR, reference size, white outside the scan (only scaled if no fit)
    homography: np.ndarray  # 3x3 float64, scan pixels -> reference pixels
    score: float = 0.0  # [0, 1]: anchor_ratio x correlation
    ok: bool = False
    reason: str = ""  # stable code when not ok
    message: str = ""  # Japanese explanation for staff when not ok
    rotated_180: bool = False
    inliers: int = 0  # coarse feature matches consistent with the page geometry
    inlier_ratio: float = 0.0  # of the ratio-test matches
    anchor_ratio: float = 0.0  # refinement patches found where expected
    correlation: float = 0.0  # printed-structure correlation after warping
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedReference:
    """Everything computed once per reference image; reuse it for every page of a form."""

    size: tuple[int, int]  # (width, height) at full resolution
    keypoints: tuple[cv2.KeyPoint, ...]  # at the working scale
    descriptors: np.ndarray
    ink: np.ndarray  # blurred, zero-mean, unit-norm ink map at the check scale
    anchors: tuple[tuple[int, int, np.ndarray], ...]  # (x, y, patch) at full resolution


@dataclass
class _Match:
    homography: np.ndarray  # working scan -> working reference
    inliers: int
    ratio: float


def structure_gray(image: np.ndarray) -> np.ndarray:
    """Luminance: black print ~0, dropout red ~147, blue ink ~60, paper ~255."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


def _lap(timings: dict[str, float], name: str, start: float) -> float:
    now = time.perf_counter()
    timings[name] = now - start
    return now


def _scaling(s: float) -> np.ndarray:
    return np.diag([s, s, 1.0])


def _ink_map(gray: np.ndarray) -> np.ndarray:
    ink = cv2.GaussianBlur(255.0 - gray.astype(np.float32), (0, 0), 1.0)
    ink -= float(ink.mean())
    norm = float(np.linalg.norm(ink))
    return ink / norm if norm > 0 else ink


def _spread(keypoints: list[cv2.KeyPoint], shape: tuple[int, ...]) -> list[cv2.KeyPoint]:
    """The strongest keypoints, at most twice a fair share per grid cell: otherwise the match
    fits the feature-dense title well and extrapolates badly."""
    if not keypoints:
        return []
    cols, rows = SPREAD_GRID
    pts = np.array([k.pt for k in keypoints], np.float32)
    strength = np.array([k.response for k in keypoints], np.float32)
    column = (pts[:, 0] * cols / shape[1]).astype(int)
    cell = column + cols * (pts[:, 1] * rows / shape[0]).astype(int)
    order = np.lexsort((-strength, cell))  # by cell, strongest first within a cell
    rank = np.arange(len(order)) - np.searchsorted(cell[order], cell[order])
    kept = order[rank < 2 * ORB_FEATURES // (cols * rows)]
    kept = kept[np.argsort(-strength[kept], kind="stable")][:ORB_FEATURES]
    return [keypoints[i] for i in kept]


def _features(work: np.ndarray) -> tuple[tuple[cv2.KeyPoint, ...], np.ndarray | None]:
    # A detector per call: cheap, and safe when pages are aligned in threads.
    orb = cv2.ORB.create(nfeatures=4 * ORB_FEATURES, nlevels=3, fastThreshold=20)
    keypoints, descriptors = orb.compute(work, _spread(list(orb.detect(work, None)), work.shape))
    return tuple(keypoints), descriptors


def _pick_anchors(gray: np.ndarray, work: np.ndarray) -> tuple[tuple[int, int, np.ndarray], ...]:
    """The strongest corner of each grid cell, with its full-resolution patch."""
    corners = cv2.cornerMinEigenVal(work, blockSize=5, ksize=3)
    h, w = work.shape
    cols, rows = PATCH_GRID
    margin = int((PATCH / 2 + SEARCH) * WORK_SCALE) + 2
    floor = 0.1 * float(corners.max())
    half = PATCH // 2
    anchors = []
    for r in range(rows):
        for c in range(cols):
            y0, y1 = max(margin, r * h // rows), min(h - margin, (r + 1) * h // rows)
            x0, x1 = max(margin, c * w // cols), min(w - margin, (c + 1) * w // cols)
            if y1 <= y0 or x1 <= x0:
                continue
            _, best, _, (bx, by) = cv2.minMaxLoc(corners[y0:y1, x0:x1])
            cx, cy = round((x0 + bx) / WORK_SCALE), round((y0 + by) / WORK_SCALE)
            patch = gray[cy - half : cy + half, cx - half : cx + half].copy()
            if best > floor and patch.shape == (PATCH, PATCH) and float(patch.std()) >= 5.0:
                anchors.append((cx, cy, patch))
    return tuple(anchors)


def prepare_reference(reference: np.ndarray) -> PreparedReference:
    """Features, ink map and refinement anchors of a blank reference (BGR or gray)."""
    gray = structure_gray(reference)
    work = _resize(gray, WORK_SCALE)
    keypoints, descriptors = _features(work)
    descriptors = np.zeros((0, 32), np.uint8) if descriptors is None else descriptors
    ink = _ink_map(_resize(work, CHECK_SCALE / WORK_SCALE))
    size = (gray.shape[1], gray.shape[0])
    return PreparedReference(size, keypoints, descriptors, ink, _pick_anchors(gray, work))


def _match(
    keypoints: tuple[cv2.KeyPoint, ...], descriptors: np.ndarray | None, ref: PreparedReference
) -> _Match | None:
    if descriptors is None or len(keypoints) < MIN_INLIERS or len(ref.keypoints) < MIN_INLIERS:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors, ref.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    src = np.array([keypoints[m.queryIdx].pt for m in good], np.float32)
    dst = np.array([ref.keypoints[m.trainIdx].pt for m in good], np.float32)
    affine, mask = cv2.estimateAffine2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX, maxIters=2000
    )
    if affine is None:
        return None
    inliers = int(mask.sum())
    return _Match(np.vstack([affine, [0.0, 0.0, 1.0]]), inliers, inliers / len(good))


def _coarse(work: np.ndarray, ref: PreparedReference) -> tuple[_Match | None, int]:
    """Best working-scale match of the scan, also trying the 180-degree turn when poor."""
    keypoints, descriptors = _features(work)
    best = _match(keypoints, descriptors, ref)
    if len(keypoints) < MIN_INLIERS or (best is not None and best.inliers >= RETRY_INLIERS):
        return best, len(keypoints)
    other = _match(*_features(cv2.rotate(work, cv2.ROTATE_180)), ref)
    if other is not None and (best is None or other.inliers > best.inliers):
        h, w = work.shape  # undo the turn: x -> w - 1 - x, y -> h - 1 - y
        other.homography = other.homography @ np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]])
        best = other
    return best, len(keypoints)


def _page_geometry(h: np.ndarray, size: tuple[int, int]) -> dict[str, float]:
    """Area, rotation, shear and perspective of the scan's page outline in the reference."""
    w, hh = size
    quad = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, hh], [0, hh]]], np.float64), h)[
        0
    ]
    top, right = quad[1] - quad[0], quad[2] - quad[1]
    bottom, left = quad[2] - quad[3], quad[3] - quad[0]
    lengths = [float(np.linalg.norm(v)) + 1e-9 for v in (top, right, bottom, left)]
    return {
        "area": float(cv2.contourArea(quad.astype(np.float32))),
        "angle": float(np.degrees(np.arctan2(top[1], top[0]))),
        "shear": abs(float(np.dot(top, left))) / (lengths[0] * lengths[3]),
        "perspective": max(
            abs(lengths[0] - lengths[2]) / max(lengths[0], lengths[2]),
            abs(lengths[1] - lengths[3]) / max(lengths[1], lengths[3]),
        ),
    }


def _plausible(h: np.ndarray, scan_size: tuple[int, int], ref_size: tuple[int, int]) -> bool:
    if not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
        return False
    geo = _page_geometry(h, scan_size)
    # The scan shows the same paper as the reference: its width maps to the reference width.
    nominal = (ref_size[0] / scan_size[0]) ** 2 * scan_size[0] * scan_size[1]
    tilt = min(abs(geo["angle"]), 180.0 - abs(geo["angle"]))
    return (
        abs(geo["area"] / nominal - 1.0) <= MAX_SCALE_DEV
        and tilt <= MAX_ANGLE_DEG
        and geo["shear"] <= MAX_SHEAR
        and geo["perspective"] <= MAX_PERSPECTIVE
    )


def _subpixel(response: np.ndarray, x: int, y: int) -> tuple[float, float]:
    """Parabolic sub-pixel peak of a correlation surface around (x, y)."""

    def offset(a: float, b: float, c: float) -> float:
        return 0.0 if a - 2 * b + c >= 0 else 0.5 * (a - c) / (a - 2 * b + c)

    h, w = response.shape
    dx = offset(*response[y, x - 1 : x + 2]) if 0 < x < w - 1 else 0.0
    dy = offset(*response[y - 1 : y + 2, x]) if 0 < y < h - 1 else 0.0
    return x + dx, y + dy


def _refine(gray: np.ndarray, h: np.ndarray, ref: PreparedReference) -> tuple[np.ndarray, float]:
    """``h`` (scan -> reference, full resolution) corrected by patch correlation, and the
    share of reference anchors found consistently (0 when the refinement failed)."""
    half, side = PATCH // 2, PATCH + 2 * SEARCH
    src, dst = [], []
    for cx, cy, patch in ref.anchors:
        x0, y0 = cx - half - SEARCH, cy - half - SEARCH
        to_window = np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1]]) @ h
        window = cv2.warpPerspective(gray, to_window, (side, side), borderValue=255)
        response = cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED)
        _, peak, _, (px, py) = cv2.minMaxLoc(response)
        if peak >= MIN_PATCH_NCC:
            sx, sy = _subpixel(response, px, py)
            # The reference patch centred on (cx, cy) sits at this point of the warped scan.
            src.append((cx + sx - SEARCH, cy + sy - SEARCH))
            dst.append((cx, cy))
    if len(src) < MIN_ANCHORS:
        return h, 0.0
    found, target = np.array(src, np.float32), np.array(dst, np.float32)
    correction, mask = cv2.findHomography(found, target, cv2.RANSAC, 1.5)
    if correction is None or int(mask.sum()) < MIN_ANCHORS:
        return h, 0.0
    # Prefer an affine correction (a flatbed scan is affine; its warp is ~2x faster) when it
    # agrees with the homography within 0.25 px on the consistent anchors.
    keep = mask.ravel() > 0
    affine = cv2.estimateAffine2D(found[keep], target[keep], method=cv2.LMEDS)[0]
    by_h = cv2.perspectiveTransform(found[keep][None], correction)[0]
    if (
        affine is not None
        and np.abs(found[keep] @ affine[:, :2].T + affine[:, 2] - by_h).max() < 0.25
    ):
        correction = np.vstack([affine, [0.0, 0.0, 1.0]])
    return correction @ h, int(mask.sum()) / len(ref.anchors)


def _correlation(work: np.ndarray, k: float, h: np.ndarray, ref: PreparedReference) -> float:
    """Normalised correlation (at CHECK_SCALE) of the warped scan's ink with the reference's
    printed structure; ``work`` is the normalised scan scaled by ``k``."""
    f = CHECK_SCALE / WORK_SCALE
    small = _resize(work, f)
    to_check = _scaling(CHECK_SCALE) @ h @ _scaling(1.0 / (k * f))
    size = (ref.ink.shape[1], ref.ink.shape[0])
    warped = cv2.warpPerspective(small, to_check, size, borderValue=255)
    return max(0.0, float(np.sum(_ink_map(warped) * ref.ink)))


def _warp(image: np.ndarray, h: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Warp into the reference frame, white outside; an affine ``h`` warps ~2x faster."""
    border = (255, 255, 255) if image.ndim == 3 else 255
    if h[2, 0] == 0 and h[2, 1] == 0:
        affine = h[:2] / h[2, 2]
        return cv2.warpAffine(image, affine, size, flags=cv2.INTER_LINEAR, borderValue=border)
    return cv2.warpPerspective(image, h, size, flags=cv2.INTER_LINEAR, borderValue=border)


def _normalise(scan: np.ndarray, ref_width: int) -> tuple[np.ndarray, np.ndarray]:
    """The scan, area-averaged to the reference width when much larger, and that scaling."""
    factor = ref_width / scan.shape[1]
    if factor >= 0.75:
        return scan, np.eye(3)
    small = _resize(scan, factor)
    return small, _scaling(small.shape[1] / scan.shape[1])


def _result(
    image: np.ndarray,
    h: np.ndarray | None,
    pre: np.ndarray,
    ref: PreparedReference,
    reason: str,
    info: dict,
) -> AlignmentResult:
    """The result; ``h`` maps the normalised scan ``image`` to the reference, ``pre`` the
    original scan to ``image``. Without ``h`` the page is only scaled to the reference width."""
    h = _scaling(ref.size[0] / image.shape[1]) if h is None else h
    t = time.perf_counter()
    aligned = _warp(image, h, ref.size)
    aligned = cv2.cvtColor(aligned, cv2.COLOR_GRAY2BGR) if aligned.ndim == 2 else aligned
    _lap(info["timings"], "warp", t)
    message = MESSAGES.get(reason, "")
    return AlignmentResult(aligned, h @ pre, ok=not reason, reason=reason, message=message, **info)


def align_page(
    scan: np.ndarray,
    reference: np.ndarray | PreparedReference,
    *,
    reference_dpi: int = 300,
) -> AlignmentResult:
    """Register ``scan`` (BGR or gray uint8, any resolution) to the blank ``reference``.

    Pass a ``PreparedReference`` (``prepare_reference``) when aligning many pages of one
    form: it saves the reference's feature pass (~0.1 s). ``reference_dpi`` is kept for
    callers' clarity: the scan's resolution is inferred from its width (A4 onto A4).
    """
    del reference_dpi
    timings: dict[str, float] = {}
    info: dict = {"timings": timings}
    t0 = t = time.perf_counter()
    ref = reference if isinstance(reference, PreparedReference) else prepare_reference(reference)
    t = _lap(timings, "prepare_reference", t)

    image, pre = _normalise(scan, ref.size[0])
    gray = structure_gray(image)
    k = WORK_SCALE * ref.size[0] / gray.shape[1]  # normalised scan -> working scale
    work = _resize(gray, k)
    t = _lap(timings, "resize", t)
    match, n_features = _coarse(work, ref)
    t = _lap(timings, "coarse", t)
    if match is None:
        reason = "too_few_features" if n_features < 4 * MIN_INLIERS else "no_consistent_match"
        return _result(image, None, pre, ref, reason, info)
    h = np.linalg.inv(_scaling(WORK_SCALE)) @ match.homography @ _scaling(k)
    info.update(inliers=match.inliers, inlier_ratio=match.ratio)
    if match.inliers < MIN_INLIERS:
        return _result(image, None, pre, ref, "no_consistent_match", info)
    image_size = (image.shape[1], image.shape[0])
    if not _plausible(h, image_size, ref.size):
        return _result(image, None, pre, ref, "implausible_transform", info)

    h, anchor_ratio = _refine(gray, h, ref)
    t = _lap(timings, "refine", t)
    correlation = _correlation(work, k, h, ref)
    score = anchor_ratio * correlation
    rotated = abs(_page_geometry(h, image_size)["angle"]) > 90.0
    info.update(
        anchor_ratio=anchor_ratio, correlation=correlation, score=score, rotated_180=rotated
    )
    _lap(timings, "check", t)
    reason = ""
    if not _plausible(h, image_size, ref.size):
        reason = "implausible_transform"
    elif correlation < MIN_CORRELATION:
        reason = "low_correlation"
    elif score < SCORE_THRESHOLD:
        reason = "low_score"
    result = _result(image, h, pre, ref, reason, info)
    timings["total"] = time.perf_counter() - t0
    return result
