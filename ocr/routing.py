"""Routing: which readings a person must look at.

A field is auto-accepted only when its confidence clears its kind's threshold AND its value
validates. Everything else goes to the verification queue. Thresholds come from the project's
measurements (``manage.py evaluate --calibrate``), are shipped in THRESHOLDS_PATH and loaded
into the KindThreshold table, where staff can see them in the admin.

A threshold is per kind, and per form type where one form reads a kind worse than the others
(``forms`` in THRESHOLDS_PATH): that form's row replaces the kind's row for its documents, and
a form row without a threshold means the kind is always reviewed on that form.
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


def current_thresholds(form_code: str = "") -> dict[str, float]:
    """Kind -> threshold for documents of ``form_code`` (the kinds' own rows when empty)."""
    rows = KindThreshold.objects.filter(form_code__in={"", form_code}).values_list(
        "kind", "form_code", "threshold"
    )
    pooled = {kind: value for kind, code, value in rows if not code}
    own = {kind: value for kind, code, value in rows if code}
    merged = {**pooled, **own}
    return {kind: value for kind, value in merged.items() if value is not None}


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
    rows = {(kind, ""): row for kind, row in data["kinds"].items()}
    for code, kinds in data.get("forms", {}).items():
        rows.update({(kind, code): row for kind, row in kinds.items()})
    for stored in KindThreshold.objects.all():
        if (stored.kind, stored.form_code) not in rows:
            stored.delete()
    for (kind, code), row in rows.items():
        KindThreshold.objects.update_or_create(
            kind=kind,
            form_code=code,
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
    return len(rows)


def save_thresholds(
    chosen: dict[str, dict[str, float | None]],
    measured_with: str,
    measured_at: str,
    forms: dict[str, dict[str, dict[str, float | None]]] | None = None,
) -> None:
    body = {
        "measured_with": measured_with,
        "measured_at": measured_at,
        "kinds": chosen,
        "forms": forms or {},
    }
    THRESHOLDS_PATH.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
