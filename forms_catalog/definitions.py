"""Form definitions as JSON: the shape of ``export_form`` and ``import_form``.

This is how a municipality adds its own form, and how the standard layouts become rows: one
format, one loader. Field geometry is in pixels at the form's dpi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.dispatch import Signal
from guardian.shortcuts import assign_perm, get_groups_with_perms

from forms_catalog.kinds import COMB_KINDS, FieldKind
from forms_catalog.layouts.base import FormLayout
from forms_catalog.models import FieldDefinition, FormPage, FormType
from yomitoru.lib.sensitive_text import contains_number

# Sent when a form type gets a new version (``previous``, ``form_type``): the apps above copy
# what they keep per version (the export mapping, ocr.exports.mapping).
form_type_versioned = Signal()

FIELD_KEYS = ("key", "label", "kind", "page", "x", "y", "w", "h", "cells", "sensitive")


class DefinitionError(ValueError):
    """A form definition that cannot be loaded; the message says what is wrong."""


@dataclass(frozen=True)
class ReferenceImage:
    page: int
    filename: str
    content: bytes


def layout_definition(layout: FormLayout) -> dict[str, Any]:
    """The definition JSON of a standard layout."""
    return {
        "code": layout.code,
        "name": layout.name,
        "version": layout.version,
        "department": layout.department,
        "retention_years": layout.retention_years,
        "dpi": layout.dpi,
        "page_count": layout.pages,
        "page_width": layout.width,
        "page_height": layout.height,
        "fields": [spec.to_dict() for spec in layout.fields],
    }


def export_definition(form_type: FormType) -> dict[str, Any]:
    return {
        "code": form_type.code,
        "name": form_type.name,
        "version": form_type.version,
        "department": form_type.department.name,
        "retention_years": form_type.retention_years,
        "second_entry_by_other_clerk": form_type.second_entry_by_other_clerk,
        "allow_batch_confirm": form_type.allow_batch_confirm,
        "dpi": form_type.dpi,
        "page_count": form_type.page_count,
        "page_width": form_type.page_width,
        "page_height": form_type.page_height,
        "fields": [field.as_export_dict() for field in form_type.fields.all()],
    }


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise DefinitionError(f"{where}: '{key}' is missing")
    value = data[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise DefinitionError(f"{where}: '{key}' must be {kind.__name__}")
    return value


def _no_number(text: str, where: str) -> None:
    # Names and labels reach lists and the audit log: no My Number, however written.
    if contains_number(text):
        raise DefinitionError(f"{where}: holds a number (My Number or corporate number)")


def validate_definition(data: Any) -> None:
    """Raise DefinitionError naming the first problem in a definition JSON."""
    if not isinstance(data, dict):
        raise DefinitionError("the definition must be a JSON object")
    _require(data, "code", str, "form")
    _no_number(_require(data, "name", str, "form"), "form name")
    width = _require(data, "page_width", int, "form")
    height = _require(data, "page_height", int, "form")
    pages = data.get("page_count", 1)
    fields = _require(data, "fields", list, "form")
    seen: set[str] = set()
    for index, field in enumerate(fields):
        where = f"field {index + 1}"
        if not isinstance(field, dict):
            raise DefinitionError(f"{where}: must be an object")
        key = _require(field, "key", str, where)
        where = f"field '{key}'"
        if key in seen:
            raise DefinitionError(f"{where}: duplicate key")
        seen.add(key)
        _no_number(_require(field, "label", str, where), f"{where}: label")
        _no_number(str(field.get("export_column", "")), f"{where}: export column")
        kind = _require(field, "kind", str, where)
        if kind not in FieldKind.values:
            raise DefinitionError(f"{where}: unknown kind '{kind}'")
        x, y = _require(field, "x", int, where), _require(field, "y", int, where)
        w, h = _require(field, "w", int, where), _require(field, "h", int, where)
        page = field.get("page", 1)
        if not (1 <= page <= pages):
            raise DefinitionError(f"{where}: page {page} outside 1..{pages}")
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
            raise DefinitionError(f"{where}: region outside the page")
        cells = field.get("cells", 0)
        if not isinstance(cells, int) or cells < 0:
            raise DefinitionError(f"{where}: 'cells' must be a non-negative integer")
        if kind in COMB_KINDS and cells == 0 and kind != FieldKind.DATE:
            raise DefinitionError(f"{where}: kind '{kind}' needs comb cells")
        if kind == FieldKind.MYNUMBER and cells != 12:
            raise DefinitionError(f"{where}: a My Number has 12 cells")
    _check_postal_links(fields)
    _check_date_windows(fields)
    _check_salary_links(fields)


def _check_postal_links(fields: list[dict[str, Any]]) -> None:
    """An address's ``postal_code_field`` names a postal-code field of the same form."""
    kinds = {field["key"]: field["kind"] for field in fields}
    for field in fields:
        link = field.get("postal_code_field", "")
        if not link:
            continue
        where = f"field '{field['key']}'"
        if not isinstance(link, str) or kinds.get(link) != FieldKind.POSTAL_CODE:
            raise DefinitionError(f"{where}: 'postal_code_field' must name a postal_code field")
        if field["kind"] != FieldKind.TEXT_JA:
            raise DefinitionError(f"{where}: only a text_ja address has a postal_code_field")


def _check_date_windows(fields: list[dict[str, Any]]) -> None:
    """``days_ahead`` is a non-negative number of days, on a date field only."""
    for field in fields:
        days = field.get("days_ahead")
        if days is None:
            continue
        where = f"field '{field['key']}'"
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise DefinitionError(f"{where}: 'days_ahead' must be a non-negative integer")
        if field["kind"] not in (FieldKind.DATE, FieldKind.WAREKI_DATE):
            raise DefinitionError(f"{where}: only a date field has 'days_ahead'")


def _check_salary_links(fields: list[dict[str, Any]]) -> None:
    """An employment income's ``salary_field`` names another amount field of the same form."""
    kinds = {field["key"]: field["kind"] for field in fields}
    for field in fields:
        link = field.get("salary_field", "")
        if not link:
            continue
        where = f"field '{field['key']}'"
        if field["kind"] != FieldKind.AMOUNT:
            raise DefinitionError(f"{where}: only an amount has a 'salary_field'")
        if not isinstance(link, str) or link == field["key"] or kinds.get(link) != FieldKind.AMOUNT:
            raise DefinitionError(f"{where}: 'salary_field' must name another amount field")


@transaction.atomic
def import_definition(
    data: dict[str, Any],
    references: list[ReferenceImage] = (),  # type: ignore[assignment]
    *,
    department: str | None = None,
) -> FormType:
    """Create a form type from a definition; an existing code gets a new current version.

    Earlier versions stay as they are, with their documents.
    """
    validate_definition(data)
    group, _ = Group.objects.get_or_create(name=department or data.get("department") or "未設定")
    previous = FormType.objects.filter(code=data["code"]).order_by("-version").first()
    version = previous.version + 1 if previous else int(data.get("version", 1))
    # Row by row, never a bulk write: the audit log records each version change and each field.
    for current in FormType.objects.filter(code=data["code"], is_current=True):
        current.is_current = False
        current.save(update_fields=["is_current"])
    form_type = FormType.objects.create(
        code=data["code"],
        version=version,
        name=data["name"],
        department=group,
        dpi=int(data.get("dpi", 300)),
        page_width=data["page_width"],
        page_height=data["page_height"],
        page_count=int(data.get("page_count", 1)),
        retention_years=int(data.get("retention_years", 5)),
        second_entry_by_other_clerk=bool(data.get("second_entry_by_other_clerk", False)),
        allow_batch_confirm=bool(data.get("allow_batch_confirm", True)),
        is_current=True,
    )
    for order, field in enumerate(data["fields"]):
        FieldDefinition.objects.create(
            form_type=form_type,
            order=order,
            key=field["key"],
            label=field["label"],
            kind=field["kind"],
            page=field.get("page", 1),
            x=field["x"],
            y=field["y"],
            w=field["w"],
            h=field["h"],
            cells=field.get("cells", 0),
            required=bool(field.get("required", False)),
            # A My Number is always sensitive, whatever the definition says.
            sensitive=bool(field.get("sensitive")) or field["kind"] == FieldKind.MYNUMBER,
            options=field.get("options", []),
            export_column=field.get("export_column") or field["label"],
            postal_code_field=field.get("postal_code_field", ""),
            days_ahead=field.get("days_ahead"),
            salary_field=field.get("salary_field", ""),
        )
    if previous is not None:
        _copy_grants(previous, form_type)
        form_type_versioned.send(FormType, previous=previous, form_type=form_type)
    for reference in references:
        page = FormPage(form_type=form_type, number=reference.page)
        page.reference_image.save(reference.filename, ContentFile(reference.content), save=True)
    return form_type


def _copy_grants(previous: FormType, form_type: FormType) -> None:
    """Department rights follow the form to its new version."""
    granted: dict[Group, list[str]] = get_groups_with_perms(previous, attach_perms=True)  # type: ignore[assignment]
    for group, perms in granted.items():
        for perm in perms:
            assign_perm(f"forms_catalog.{perm}", group, form_type)
