"""Loading the standard forms into the database, and versioning form types."""

from __future__ import annotations

import io
from functools import cache

from django.db import transaction

from forms_catalog.definitions import (
    ReferenceImage,
    export_definition,
    import_definition,
    layout_definition,
)
from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.layouts.base import FormLayout
from forms_catalog.models import DEFAULT_RATES, FormPage, FormType, KeyingRate
from forms_catalog.render import render_page

# Attributes compared to decide whether a stored version still matches its layout.
_COMPARED = ("name", "dpi", "page_count", "page_width", "page_height", "retention_years", "fields")


@cache
def _reference_png(code: str, number: int) -> bytes:
    # Rendering is deterministic, so one process renders each blank once.
    buffer = io.BytesIO()
    render_page(STANDARD_LAYOUTS[code], number).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _reference_images(layout: FormLayout) -> list[ReferenceImage]:
    return [
        ReferenceImage(number, f"{layout.code}-p{number}.png", _reference_png(layout.code, number))
        for number in range(1, layout.pages + 1)
    ]


def load_layout(layout: FormLayout) -> tuple[FormType, bool]:
    """Make the layout the current version of its code; return (form type, created).

    Loading twice changes nothing; a changed layout becomes a new version, so documents
    already read keep the version they were read with.
    """
    current = FormType.objects.filter(code=layout.code, is_current=True).first()
    wanted = layout_definition(layout)
    if current is not None:
        stored = export_definition(current)
        if all(stored[key] == wanted[key] for key in _COMPARED):
            return current, False
    return import_definition(wanted, _reference_images(layout)), True


def load_standard_catalog() -> list[tuple[FormType, bool]]:
    """The four standard forms, and the default keying rates where none is set (a database
    flushed by a test, or emptied by hand, gets them back; a rate someone set stays)."""
    load_default_keying_rates()
    return [load_layout(layout) for layout in STANDARD_LAYOUTS.values()]


def load_default_keying_rates() -> None:
    for kind, (per_character, per_field) in DEFAULT_RATES.items():
        KeyingRate.objects.get_or_create(
            kind=kind,
            defaults={"seconds_per_character": per_character, "seconds_per_field": per_field},
        )


@transaction.atomic
def new_version(form_type: FormType) -> FormType:
    """Copy a form type into a new current version that can be edited freely."""
    references = [
        ReferenceImage(page.number, page.reference_image.name.rsplit("/", 1)[-1], _read(page))
        for page in form_type.pages.all()
    ]
    definition = export_definition(form_type)
    return import_definition(definition, references, department=form_type.department.name)


def _read(page: FormPage) -> bytes:
    with page.reference_image.open("rb") as handle:
        return handle.read()
