"""Routing: which readings a person must look at.

A field is auto-accepted only when its confidence clears its kind's threshold AND its value
validates. Everything else goes to the verification queue. Thresholds come from the project's
measurements (``manage.py evaluate --calibrate``), are shipped in THRESHOLDS_PATH and loaded
into the KindThreshold table, where staff can see them in the admin.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_datetime

from ocr.models import ExtractedField, KindThreshold

THRESHOLDS_PATH = (
    Path(__file__).resolve().parent / "pipeline" / "engines" / "models" / "thresholds.json"
)


def current_thresholds() -> dict[str, float]:
    return dict(KindThreshold.objects.values_list("kind", "threshold"))


def route(kind: str, confidence: float, errors: list | tuple, thresholds: dict[str, float]) -> str:
    threshold = thresholds.get(kind)
    if threshold is None or errors or confidence < threshold:
        return ExtractedField.Status.NEEDS_REVIEW
    return ExtractedField.Status.AUTO_ACCEPTED


@transaction.atomic
def load_thresholds(path: Path = THRESHOLDS_PATH) -> int:
    """Replace the stored thresholds with the measured ones in ``path``; returns how many."""
    if not path.exists():
        return 0
    data = json.loads(path.read_text(encoding="utf-8"))
    measured_at = parse_datetime(data["measured_at"])
    KindThreshold.objects.exclude(kind__in=list(data["kinds"])).delete()
    for kind, row in data["kinds"].items():
        KindThreshold.objects.update_or_create(
            kind=kind,
            defaults={
                "threshold": row["threshold"],
                "target_error": row["target_error"],
                "residual_error": row["residual_error"],
                "straight_through": row["straight_through"],
                "sample_fields": row["sample_fields"],
                "measured_with": data["measured_with"][:200],
                "measured_at": measured_at,
            },
        )
    return len(data["kinds"])


def save_thresholds(
    chosen: dict[str, dict[str, float]], measured_with: str, measured_at: str
) -> None:
    body = {"measured_with": measured_with, "measured_at": measured_at, "kinds": chosen}
    THRESHOLDS_PATH.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
