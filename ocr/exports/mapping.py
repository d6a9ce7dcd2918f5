"""Editing a form type version's export mapping, and previewing what it writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition, FormType
from ocr.exports.columns import (
    FIXED,
    SOURCES,
    Column,
    ColumnError,
    default_columns,
    parse_transforms,
)
from ocr.models import ExportColumn
from ocr.review.services import acting_as
from yomitoru.lib.mynumber import MASK

# What the preview's sample row holds per field kind: obviously made up, valid for its kind.
SAMPLE_VALUES = {
    FieldKind.MYNUMBER: MASK,
    FieldKind.CORPORATE_NUMBER: "1234567890123",
    FieldKind.DIGITS: "0123",
    FieldKind.AMOUNT: "1234567",
    FieldKind.POSTAL_CODE: "1000001",
    FieldKind.PHONE: "03-1234-5678",
    FieldKind.DATE: "2025-12-01",
    FieldKind.WAREKI_DATE: "R07.12.01",
    FieldKind.KATAKANA: "ミホン タロウ",
    FieldKind.TEXT_JA: "見本",
    FieldKind.CHECKBOX: "1",
}


def check_column(
    *, source: str, value: str, transforms: object, definitions: list[FieldDefinition]
) -> None:
    """Raise ValidationError (by form field) when a mapping column cannot be written."""
    keys = {definition.key for definition in definitions}
    if source not in keys and source not in SOURCES:
        raise ValidationError({"source": _("Not a field of this form type.")})
    if source == FIXED and not value:
        raise ValidationError({"value": _("A fixed column needs its value.")})
    try:
        parse_transforms(transforms)
    except ColumnError as error:
        # The reason names the transform and its parameter, as stored (English words).
        raise ValidationError(
            {"transforms": _("These transforms cannot be used: %(reason)s") % {"reason": error}}
        ) from None


@transaction.atomic
def start_from_defaults(form_type: FormType, *, acting_user: User) -> int:
    """Give a version without a mapping the default columns as rows to edit; returns how
    many were created (0 when it has a mapping already)."""
    if form_type.export_columns.exists():
        return 0
    columns = default_columns(form_type.fields.order_by("order", "id"))
    seen: set[str] = set()
    created = 0
    with acting_as(acting_user):
        for order, column in enumerate(columns):
            header = _unique(column.header, seen)
            ExportColumn.objects.create(
                form_type=form_type,
                order=order,
                header=header,
                source=column.source,
                transforms=[{"transform": name, **params} for name, params in column.transforms],
            )
            created += 1
    return created


def copy_to_new_version(
    sender: object, *, previous: FormType, form_type: FormType, **kwargs: object
) -> None:
    """Receiver of ``form_type_versioned``: the new version starts with the previous one's
    columns, but for those whose field it no longer has."""
    keys = set(form_type.fields.values_list("key", flat=True)) | set(SOURCES)
    for column in previous.export_columns.all():
        if column.source in keys:
            ExportColumn.objects.create(
                form_type=form_type,
                order=column.order,
                header=column.header,
                source=column.source,
                value=column.value,
                transforms=column.transforms,
            )


def _unique(header: str, seen: set[str]) -> str:
    candidate, number = header, 2
    while candidate in seen:
        candidate, number = f"{header}_{number}", number + 1
    seen.add(candidate)
    return candidate


@dataclass(frozen=True)
class PreviewCell:
    text: str
    problem: str = ""


def sample_row(columns: list[Column], definitions: list[FieldDefinition]) -> list[PreviewCell]:
    """What each column writes for made-up values of each field's kind."""
    values = {}
    for definition in definitions:
        if definition.kind == FieldKind.CHOICE and definition.options:
            values[definition.key] = str(definition.options[0].get("value", ""))
        else:
            values[definition.key] = SAMPLE_VALUES.get(FieldKind(definition.kind), "")
    return [_cell(column, values, 1, 1) for column in columns]


def document_row(
    columns: list[Column], document_id: int, batch_id: int, values: dict[str, str]
) -> list[PreviewCell]:
    """A real document's row as the file would hold it, My Numbers masked."""
    return [
        PreviewCell(MASK) if column.sensitive else _cell(column, values, document_id, batch_id)
        for column in columns
    ]


def _cell(column: Column, values: dict[str, str], document_id: int, batch_id: int) -> PreviewCell:
    try:
        return PreviewCell(column.render(values, document_id, batch_id))
    except ColumnError as error:
        return PreviewCell("", str(error))
