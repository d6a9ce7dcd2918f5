"""Truth values for one synthetic form, in the canonical formats the pipeline stores.

Values are drawn from one ``Household`` so that a form is internally consistent. The meaning
of a field comes from its key (``guardian_``/``child_``/``spouse_``/``dependentN_``/``payer_``
prefixes, ``*_name``, ``birth*``, …) with the field kind as the fallback, so a new layout
built from the same vocabulary gets sensible values without changes here.
"""

from __future__ import annotations

import datetime
import random
import re
from datetime import timedelta

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import FieldSpec, FormLayout
from lab.synthetic import names
from lab.synthetic.household import (
    DEFAULT_SEASON,
    SEASONS,
    Household,
    Person,
    Place,
    income_tax,
    make_household,
)
from yomitoru.lib import wareki

# Optional fields a real applicant often leaves blank, and how often.
_BLANK_RATE = {
    FieldKind.KATAKANA: 0.08,
    FieldKind.PHONE: 0.12,
    FieldKind.WAREKI_DATE: 0.04,
    FieldKind.TEXT_JA: 0.1,
}

# amount field key -> Household.money key (給与支払報告書 and shared names).
_AMOUNTS = {
    "payment_amount": "salary",
    "income_after_deduction": "employment_income",
    "total_deductions": "deductions_total",
    "withholding_tax": "withholding",
    "social_insurance": "social_insurance",
    "life_insurance_deduction": "life_insurance",
    "donation_amount": "donation",
}

_DEPENDENT = re.compile(r"^dependent(\d+)_")


def _owner(key: str, h: Household) -> Person | str | None:
    """Whose field this is: a Person, None (that person does not exist), or "payer"."""
    if key.startswith(("payer_", "employer_")):
        return "payer"
    if key.startswith("spouse_"):
        # On 給与支払報告書 only a spouse who is actually deducted is written down.
        return h.spouse if h.money.get("spouse_deduction") else None
    if key.startswith("child_"):
        return h.children[0] if h.children else None
    match = _DEPENDENT.match(key)
    if match:
        index = int(match.group(1)) - 1
        return h.children[index] if index < len(h.children) else None
    return h.applicant


def _date(spec: FieldSpec, when: datetime.date) -> str:
    if spec.kind == FieldKind.WAREKI_DATE:
        return wareki.from_gregorian(when)
    return when.isoformat()


def _tax_return(h: Household, rng: random.Random) -> dict[str, int]:
    """確定申告書 figures: salary plus, for some filers, business, rent, dividends, pension."""
    m = h.money
    age = (h.today - h.applicant.birth).days // 365
    revenue: dict[str, int] = {"salary": m["salary"]}
    income: dict[str, int] = {"salary": m["employment_income"]}
    if rng.random() < 0.35:
        sales = rng.randrange(800_000, 9_000_000) // 1000 * 1000
        revenue["business"] = sales
        income["business"] = round(sales * rng.uniform(0.2, 0.55))
    if rng.random() < 0.12:
        rent = rng.randrange(600_000, 3_000_000) // 1000 * 1000
        revenue["real_estate"] = rent
        income["real_estate"] = round(rent * rng.uniform(0.3, 0.6))
    if rng.random() < 0.2:
        revenue["dividend"] = income["dividend"] = rng.randrange(10_000, 400_000)
    if age >= 65:
        pension = rng.randrange(1_200_000, 2_800_000)
        revenue["pension"] = pension
        income["misc"] = max(0, pension - 1_100_000)
    total_income = sum(income.values())
    deductions = m["deductions_total"]
    taxable = max(0, (total_income - deductions) // 1000 * 1000)
    # The return shows the tax before the 2.1 % surtax; the amount due includes it.
    tax_with_surtax = income_tax(taxable)
    tax = tax_with_surtax * 1000 // 1021 // 100 * 100
    out = {f"revenue_{k}": v for k, v in revenue.items()}
    out |= {f"income_{k}": v for k, v in income.items()}
    out |= {
        "income_total": total_income,
        "deduction_social_insurance": m["social_insurance"],
        "deduction_life_insurance": m["life_insurance"],
        "deduction_spouse": m["spouse_deduction"],
        "deduction_dependents": m["dependant_deduction"],
        "deduction_basic": m["basic_deduction"],
        "deduction_total": deductions,
        "tax_taxable_income": taxable,
        "tax_on_taxable_income": tax,
        "tax_withheld": m["withholding"],
        "tax_due": max(0, tax_with_surtax - m["withholding"]) // 100 * 100,
    }
    return out


def _amount(spec: FieldSpec, h: Household, extra: dict[str, int]) -> str:
    value = extra.get(spec.key)
    if value is None and spec.key in _AMOUNTS:
        value = h.money[_AMOUNTS[spec.key]]
    if value is None:
        return ""
    if value <= 0:
        # Nothing to declare: people leave the box blank rather than write 0.
        return "0" if spec.required else ""
    return str(min(value, 10**spec.cells - 1))


def _text(
    spec: FieldSpec, who: Person | str, place: Place, h: Household, rng: random.Random
) -> str:
    key = spec.key
    if key == "addressee":
        return h.home.city
    if key.endswith("address"):
        return place.address
    if key == "occupation":
        return rng.choice(names.OCCUPATIONS)
    if key.endswith("name"):
        if who == "payer" or key.startswith("employer_"):
            return h.employer.name
        return who.name if isinstance(who, Person) else ""
    if key.endswith("relation"):
        return who.relation if isinstance(who, Person) else ""
    return rng.choice(names.TOWNS)


def _checkbox(spec: FieldSpec, h: Household, rng: random.Random, chosen: set[str]) -> str:
    if spec.required or spec.key.startswith("req_") or spec.key == "consent":
        # The one-stop requirements must all hold for the application to be valid.
        return "1"
    if spec.key.startswith("reason_"):
        return "1" if spec.key in chosen else "0"
    return "1" if rng.random() < 0.4 else "0"


def _reasons(layout: FormLayout, rng: random.Random) -> set[str]:
    """保育を必要とする事由: mostly 就労, sometimes a second reason."""
    keys = [f.key for f in layout.fields if f.key.startswith("reason_")]
    if not keys:
        return set()
    first = "reason_employment" if "reason_employment" in keys and rng.random() < 0.75 else None
    chosen = {first or rng.choice(keys)}
    if rng.random() < 0.15:
        chosen.add(rng.choice(keys))
    return chosen


def _choice(spec: FieldSpec, who: Person | str | None, h: Household, rng: random.Random) -> str:
    values = [o.value for o in spec.options]
    if isinstance(who, Person) and who.sex in values:
        return who.sex
    if spec.key == "certification_type" and h.children:
        age = (h.today - h.children[0].birth).days // 365
        wanted = "3号" if age < 3 else rng.choice(("1号", "2号", "2号"))
        if wanted in values:
            return wanted
    return rng.choice(values) if values else ""


def _value(
    spec: FieldSpec, h: Household, rng: random.Random, extra: dict[str, int], chosen: set[str]
) -> str:
    who = _owner(spec.key, h)
    if who is None:
        return ""
    place = h.employer.place if who == "payer" else h.home
    kind = spec.kind
    if kind == FieldKind.MYNUMBER:
        return who.mynumber if isinstance(who, Person) else ""
    if kind == FieldKind.CORPORATE_NUMBER:
        return h.employer.corporate_number
    if kind == FieldKind.KATAKANA:
        return who.kana if isinstance(who, Person) else ""
    if kind in (FieldKind.WAREKI_DATE, FieldKind.DATE):
        if spec.key.startswith("birth") or "_birth" in spec.key:
            return _date(spec, who.birth) if isinstance(who, Person) else ""
        if spec.key == "donation_date":
            # Donations of the calendar year just ending, made before the application.
            year_end = datetime.date(2025, 12, 31)
            latest = min(h.today, year_end)
            earliest = min(latest, max(datetime.date(2025, 1, 1), h.today - timedelta(days=90)))
            days = (latest - earliest).days
            return _date(spec, earliest + timedelta(days=rng.randint(0, days)))
        return _date(spec, h.today)
    if kind == FieldKind.PHONE:
        return place.phone
    if kind == FieldKind.POSTAL_CODE:
        return place.postal_code
    if kind == FieldKind.AMOUNT:
        return _amount(spec, h, extra)
    if kind == FieldKind.CHECKBOX:
        return _checkbox(spec, h, rng, chosen)
    if kind == FieldKind.CHOICE:
        return _choice(spec, who, h, rng)
    if kind == FieldKind.TEXT_JA:
        return _text(spec, who, place, h, rng)
    if kind == FieldKind.DIGITS:
        return "".join(rng.choice("0123456789") for _ in range(max(1, spec.cells)))
    return ""


def form_values(layout: FormLayout, rng: random.Random) -> dict[str, str]:
    """Truth for every field of ``layout`` (key -> canonical value, "" when left blank)."""
    young = layout.code.startswith("hoiku")
    children = rng.choice((1, 1, 2)) if young else rng.choice((0, 0, 1, 1, 2, 2, 3, 4))
    season = SEASONS.get(layout.code.split("-")[0], DEFAULT_SEASON)
    h = make_household(rng, season=season, young_children=young, children=children)
    extra = _tax_return(h, rng) if any(f.key.startswith("revenue_") for f in layout.fields) else {}
    chosen = _reasons(layout, rng)
    truth: dict[str, str] = {}
    for spec in layout.fields:
        value = _value(spec, h, rng, extra, chosen)
        if value and not spec.required and rng.random() < _BLANK_RATE.get(spec.kind, 0.0):
            value = ""
        truth[spec.key] = value
    return truth
