"""The measured error rate of auto-accepted fields, from the hidden quality samples.

A quality sample is an auto-accepted reading routed to a clerk (``ocr.processing``). When the
clerk corrects it, the machine would have been wrong; when they confirm it, right. The share
corrected, per field kind, with its 95 % Wilson interval, is what a municipality knows of the
fields nobody looks at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FormType
from ocr.models import Document, ExtractedField

Z_95 = 1.959964


@dataclass(frozen=True)
class ErrorRate:
    kind: str
    label: str
    samples: int
    wrong: int
    rate: float
    low: float
    high: float

    @property
    def percent(self) -> float:
        return self.rate * 100

    @property
    def low_percent(self) -> float:
        return self.low * 100

    @property
    def high_percent(self) -> float:
        return self.high * 100


def wilson(wrong: int, samples: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound at 0 of n, unlike the normal one)."""
    if samples == 0:
        return 0.0, 1.0
    p = wrong / samples
    denominator = 1 + z * z / samples
    centre = (p + z * z / (2 * samples)) / denominator
    half = z * math.sqrt(p * (1 - p) / samples + z * z / (4 * samples * samples)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def error_rates(
    form_types: QuerySet[FormType], documents: QuerySet[Document] | None = None
) -> list[ErrorRate]:
    """Per kind: decided quality samples, how many were wrong, and the interval (one query).

    ``documents`` narrows the samples further (the manager's departments and fiscal year).
    """
    samples = ExtractedField.objects.filter(
        document__form_type__in=form_types,
        review_reason=ExtractedField.Reason.QA_SAMPLE,
        status__in=[ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED],
    )
    if documents is not None:
        samples = samples.filter(document__in=documents)
    rows = (
        samples.values("definition__kind")
        .annotate(
            samples=Count("pk"), wrong=Count("pk", filter=Q(status=ExtractedField.Status.CORRECTED))
        )
        .order_by("definition__kind")
    )
    labels = dict(FieldKind.choices)
    out = []
    for row in rows:
        samples, wrong = row["samples"], row["wrong"]
        low, high = wilson(wrong, samples)
        out.append(
            ErrorRate(
                kind=row["definition__kind"],
                label=str(labels.get(row["definition__kind"], row["definition__kind"])),
                samples=samples,
                wrong=wrong,
                rate=wrong / samples if samples else 0.0,
                low=low,
                high=high,
            )
        )
    return out
