"""A My Number field is always sensitive, whichever way a definition is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from forms_catalog.definitions import DefinitionError, export_definition, validate_definition
from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition, FormType
from tests.personas import login

pytestmark = pytest.mark.django_db


def mynumber_field(form_type: FormType, **overrides: Any) -> FieldDefinition:
    values: dict[str, Any] = {
        "form_type": form_type,
        "key": "extra_mynumber",
        "label": "個人番号（追加）",
        "kind": FieldKind.MYNUMBER,
        "x": 10,
        "y": 10,
        "w": 600,
        "h": 60,
        "cells": 12,
        "sensitive": False,
    }
    return FieldDefinition(**(values | overrides))


def test_the_database_refuses_a_my_number_field_that_is_not_sensitive(catalog) -> None:
    field = mynumber_field(catalog["furusato-onestop"])
    with pytest.raises(IntegrityError), transaction.atomic():
        field.save()
    existing = catalog["furusato-onestop"].fields.get(kind=FieldKind.MYNUMBER)
    existing.sensitive = False
    with pytest.raises(IntegrityError), transaction.atomic():
        existing.save(update_fields=["sensitive"])


def test_validation_names_the_sensitive_flag(catalog) -> None:
    with pytest.raises(ValidationError) as caught:
        mynumber_field(catalog["furusato-onestop"]).full_clean()
    assert "sensitive" in caught.value.message_dict
    mynumber_field(catalog["furusato-onestop"], sensitive=True).full_clean()
    # Other kinds may still be either.
    mynumber_field(catalog["furusato-onestop"], kind=FieldKind.AMOUNT, cells=8).full_clean()


def _change_form_data(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The form type's change form as the browser would post it back, unchanged."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
        forms += formset.formset.forms
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue  # an unchecked box or an empty field is not posted
            data[bound.html_name] = value
    return data


def test_the_admin_inline_shows_an_error_instead_of_failing(client, catalog) -> None:
    form_type = catalog["furusato-onestop"]
    login(client, User.objects.create_superuser("catalog_admin", password="unused"))
    url = reverse("admin:forms_catalog_formtype_change", args=[form_type.pk])
    data = _change_form_data(client.get(url))
    [sensitive_box] = [
        name
        for name, value in data.items()
        if name.endswith("-kind") and value == FieldKind.MYNUMBER
    ]
    data.pop(sensitive_box.removesuffix("-kind") + "-sensitive")

    response = client.post(url, data)

    assert response.status_code == 200, "the form comes back with an error"
    errors = [
        str(error)
        for formset in response.context["inline_admin_formsets"]
        for form in formset.formset.forms
        for error in form.errors.get("sensitive", [])
    ]
    assert len(errors) == 1
    assert form_type.fields.get(kind=FieldKind.MYNUMBER).sensitive


def test_form_types_carry_the_statistics_permission() -> None:
    assert Permission.objects.filter(
        content_type__app_label="forms_catalog", codename="view_statistics"
    ).exists()


@pytest.mark.parametrize(
    "number", ["006967362709", "0069－6736－2709", "７０００ ０１２０ ５０００２"]
)
def test_names_and_labels_holding_a_number_are_refused(catalog, number: str) -> None:
    """Catalogue texts reach lists and the audit log: a number typed into one is refused."""
    furusato = catalog["furusato-onestop"]
    furusato.name = f"申請書 {number}"
    with pytest.raises(ValidationError) as refused:
        furusato.full_clean()
    assert "name" in refused.value.message_dict
    field = furusato.fields.first()
    assert field is not None
    field.label = f"番号 {number}"
    with pytest.raises(ValidationError) as refused:
        field.full_clean()
    assert "label" in refused.value.message_dict

    definition = export_definition(furusato)
    definition["fields"][0]["label"] = f"番号 {number}"
    with pytest.raises(DefinitionError, match="holds a number"):
        validate_definition(definition)
