"""``manage.py read_field --kind KIND [--cells N] FILE...``: read cropped field images.

For testing a scanner and for the benchmark: each FILE is one already-cropped field (a comb
strip, a checkbox, a text line). One JSON object per line is printed (JSON Lines):

    {"file": ..., "value": ..., "confidence": ..., "valid": ..., "needs_review": ...}

``valid`` is the kind's validation of the value; ``needs_review`` is the routing decision with
the measured thresholds (a kind without a KindThreshold row is always needs_review). A file
that cannot be read prints ``"value": null`` and an ``"error"`` code and the command goes on;
it ends with CommandError (exit status 1) if any file failed.

The output holds the values read, My Numbers included: use it on test material only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr.models import ExtractedField
from ocr.pipeline.cropped import CROPPABLE_KINDS, ERAS, cells_for, read_cropped
from ocr.pipeline.validate import validate
from ocr.routing import current_thresholds, route

MIN_SIDE = 8  # pixels; anything smaller is no field image


def load_image(path: Path) -> tuple[np.ndarray | None, str]:
    """(BGR image, "") or (None, error code)."""
    if not path.exists():
        return None, "not_found"
    if not path.is_file():
        return None, "not_a_file"
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None, "unreadable_file"
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        return None, "unreadable_image"
    if min(image.shape[:2]) < MIN_SIDE:
        return None, "image_too_small"
    return image, ""


class Command(BaseCommand):
    help = "Read already-cropped field images as KIND; prints one JSON object per line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--kind", required=True, choices=sorted(CROPPABLE_KINDS))
        parser.add_argument("--cells", type=int, help="comb cells (default per kind)")
        parser.add_argument("--era", choices=ERAS, default="R", help="era of a wareki_date")
        parser.add_argument("--required", action="store_true", help="an empty value is invalid")

    def handle(
        self,
        *args: Any,
        files: list[Path],
        kind: str,
        cells: int | None,
        era: str,
        required: bool,
        **options: Any,
    ) -> None:
        try:
            n = cells_for(kind, cells)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        thresholds = current_thresholds()
        failed = 0
        for path in files:
            line: dict[str, Any] = {"file": str(path)}
            image, code = load_image(path)
            if image is None:
                failed += 1
                line.update(value=None, confidence=0.0, valid=False, needs_review=True, error=code)
            else:
                reading = read_cropped(image, kind, n or None, era=era)
                errors = validate(kind, reading.value, required=required)
                status = route(kind, reading.confidence, errors, thresholds)
                line.update(
                    value=reading.value,
                    confidence=round(reading.confidence, 6),
                    valid=not errors,
                    needs_review=status == ExtractedField.Status.NEEDS_REVIEW,
                )
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be read", returncode=1)
