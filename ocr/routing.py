"""Routing: which readings a person must look at.

A field is auto-accepted only when its confidence clears its kind's measured threshold AND
its value validates. Everything else goes to the verification queue.
"""

from __future__ import annotations

from ocr.models import ExtractedField, KindThreshold


def current_thresholds() -> dict[str, float]:
    return dict(KindThreshold.objects.values_list("kind", "threshold"))


def route(kind: str, confidence: float, errors: list, thresholds: dict[str, float]) -> str:
    threshold = thresholds.get(kind)
    if threshold is None or errors or confidence < threshold:
        return ExtractedField.Status.NEEDS_REVIEW
    return ExtractedField.Status.AUTO_ACCEPTED
