"""Checks a form definition declares per field: a date's window, a salary pair."""

from __future__ import annotations

import pytest

from forms_catalog.definitions import DefinitionError, export_definition, validate_definition


def test_the_standard_forms_declare_their_salary_pairs(catalog) -> None:
    kyuyo = catalog["kyuyo-shiharai"].fields.get(key="income_after_deduction")
    assert kyuyo.salary_field == "payment_amount"
    kakutei = catalog["kakutei-shinkoku"].fields.get(key="income_salary")
    assert kakutei.salary_field == "revenue_salary"
    assert catalog["kyuyo-shiharai"].fields.get(key="birth_date").days_ahead is None


def test_declarations_survive_export_and_import(catalog) -> None:
    definition = export_definition(catalog["kyuyo-shiharai"])
    income = next(f for f in definition["fields"] if f["key"] == "income_after_deduction")
    assert income["salary_field"] == "payment_amount"
    validate_definition(definition)


def _field(definition: dict, key: str) -> dict:
    return next(f for f in definition["fields"] if f["key"] == key)


@pytest.mark.parametrize(
    ("key", "change", "message"),
    [
        ("income_after_deduction", {"salary_field": "name"}, "must name another amount"),
        ("income_after_deduction", {"salary_field": "income_after_deduction"}, "another"),
        ("name", {"salary_field": "payment_amount"}, "only an amount"),
        ("birth_date", {"days_ahead": -1}, "non-negative"),
        ("birth_date", {"days_ahead": True}, "non-negative"),
        ("payment_amount", {"days_ahead": 30}, "only a date"),
    ],
)
def test_wrong_declarations_are_refused(catalog, key: str, change: dict, message: str) -> None:
    definition = export_definition(catalog["kyuyo-shiharai"])
    _field(definition, key).update(change)
    with pytest.raises(DefinitionError, match=message):
        validate_definition(definition)


def test_a_wider_window_is_accepted_on_a_date(catalog) -> None:
    definition = export_definition(catalog["hoiku-nintei"])
    _field(definition, "application_date")["days_ahead"] = 800
    validate_definition(definition)
