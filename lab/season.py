"""A season of synthetic processed documents for the workload dashboard (``seed_demo --season``).

October to March of one fiscal year: ふるさと納税 one-stop applications peak in the last weeks of
December (the deadline is 10 January), 給与支払報告書 at the end of January (deadline 31 January).
Rows only — batches, documents, readings and review sessions, no scan and no OCR — so a season
takes seconds. Every value comes from the synthetic household generator
(``lab.synthetic.values``: fictional names and 555 phone numbers, My Numbers from
``yomitoru.lib.mynumber.synthetic``); the batches' files are named ``demo-season-…``.

Which fields needed a person, which were corrected and how long a review took are drawn from
the rates below (of the order of this project's evaluation, see the README): a review costs
12 s to open and submit, 3 s per confirmed field and the keying of a corrected value.
The rows are written in bulk, so they leave no audit entries: they are not anyone's work.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.models import DEFAULT_RATES, FieldDefinition, FormType
from lab.synthetic.values import form_values
from ocr.disclosure import value_digest
from ocr.models import Batch, Document, ExtractedField, ReviewSession, SourceFile

FILE_PREFIX = "demo-season-"
S = ExtractedField.Status

# kind -> share of written fields the machine accepts; blank fields are accepted at BLANK_AUTO.
# Invented for the demo, to give every figure something to show: better than the measured
# rates of the README's evaluation (where no document went straight through), as a season
# after more calibration might be.
AUTO_RATE: dict[str, float] = {
    FieldKind.MYNUMBER: 0.85,
    FieldKind.CORPORATE_NUMBER: 0.8,
    FieldKind.DIGITS: 0.9,
    FieldKind.AMOUNT: 0.85,
    FieldKind.POSTAL_CODE: 0.85,
    FieldKind.PHONE: 0.75,
    FieldKind.DATE: 0.9,
    FieldKind.WAREKI_DATE: 0.8,
    FieldKind.KATAKANA: 0.65,
    FieldKind.TEXT_JA: 0.6,
}
BLANK_AUTO = 0.99
# kind -> share of the fields a person decides that they correct (the rest they confirm).
CORRECT_RATE: dict[str, float] = {FieldKind.TEXT_JA: 0.5, FieldKind.KATAKANA: 0.45}
DEFAULT_CORRECT_RATE = 0.3
QA_SAMPLE_RATE = 0.02
QA_WRONG_RATE = 0.02
REJECT_RATE = 0.005


@dataclass(frozen=True)
class Peak:
    """Documents a week: ``base`` while the form is in season, plus a bell around ``centre``."""

    centre: tuple[int, int]  # (month, day)
    width_days: float
    height: float
    base: float
    base_until: tuple[int, int]
    tail: float


PEAKS = {
    "furusato-onestop": Peak((12, 24), 14, 110, 12, (1, 10), 2),
    "kyuyo-shiharai": Peak((1, 27), 11, 150, 2, (1, 31), 6),
}


def season_start(today: datetime.date) -> int:
    """The year whose October began the last season that is over (ended in March)."""
    return today.year - 1 if today.month >= 4 else today.year - 2


def season_days(year: int) -> list[datetime.date]:
    first, last = datetime.date(year, 10, 1), datetime.date(year + 1, 3, 31)
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def _in_season(day: datetime.date, month_day: tuple[int, int]) -> datetime.date:
    """The date ``month_day`` of the season (October to March) that ``day`` belongs to."""
    start = day.year if day.month >= 4 else day.year - 1
    month, number = month_day
    return datetime.date(start if month >= 4 else start + 1, month, number)


def documents_on(day: datetime.date, peak: Peak, scale: float) -> float:
    """Expected documents received that day (working days only)."""
    if day.weekday() >= 5:
        return 0.0
    centre = _in_season(day, peak.centre)
    base = peak.base if day <= _in_season(day, peak.base_until) else peak.tail
    bell = peak.height * math.exp(-(((day - centre).days / peak.width_days) ** 2))
    return scale * (base + bell) / 5


@contextmanager
def dated_as_given(*fields: models.DateTimeField) -> Iterator[None]:
    """Let rows of a past season keep the creation time written into them."""
    saved = [field.auto_now_add for field in fields]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in zip(fields, saved, strict=True):
            field.auto_now_add = value


def _created(model: type[models.Model]) -> models.DateTimeField:
    field = model._meta.get_field("created_at")
    assert isinstance(field, models.DateTimeField)
    return field


@dataclass
class Clerks:
    clerk: User
    handler: User
    supervisor: User


def _status(kind: str, value: str, rng: random.Random) -> tuple[str, str]:
    """(status, reason) of one reading."""
    auto = AUTO_RATE.get(kind, 1.0) if value else BLANK_AUTO
    if rng.random() < auto:
        if value and rng.random() < QA_SAMPLE_RATE:
            wrong = rng.random() < QA_WRONG_RATE
            return (S.CORRECTED if wrong else S.CONFIRMED), ExtractedField.Reason.QA_SAMPLE
        return S.AUTO_ACCEPTED, ""
    corrected = rng.random() < CORRECT_RATE.get(kind, DEFAULT_CORRECT_RATE)
    return (S.CORRECTED if corrected else S.CONFIRMED), ExtractedField.Reason.LOW_CONFIDENCE


def _misread(value: str) -> str:
    """What the machine read in a field a person then corrected: one character off."""
    return value[:-1] + ("？" if value[-1:] != "？" else "") if value else "？"


def review_seconds(readings: list[Reading], rng: random.Random) -> float:
    """A review: opening and submitting the document, 3 s a confirmed field (looking at its
    crop), the keying of a corrected one."""
    total = 12.0
    for reading in readings:
        if reading.status == S.CONFIRMED:
            total += 3.0
        elif reading.status == S.CORRECTED:
            per_character, per_field = DEFAULT_RATES.get(reading.definition.kind, (0.4, 2.0))
            total += len(reading.value) * per_character + per_field + 2.0
    return round(total * rng.lognormvariate(0, 0.25), 1)


@dataclass
class Reading:
    definition: FieldDefinition
    value: str
    status: str
    reason: str


@dataclass
class Planned:
    """One document decided before it is written: its rows are written once, in bulk."""

    document: Document
    readings: list[Reading]
    session: ReviewSession | None


class SeasonWriter:
    def __init__(self, form_type: FormType, clerks: Clerks, rng: random.Random) -> None:
        self.form_type = form_type
        self.layout = STANDARD_LAYOUTS[form_type.code]
        self.definitions = {d.key: d for d in FieldDefinition.objects.filter(form_type=form_type)}
        self.clerks = clerks
        self.rng = rng

    def day(self, day: datetime.date, count: int) -> int:
        if count == 0:
            return 0
        zone = timezone.get_current_timezone()
        opened = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=zone)
        batch = Batch.objects.create(
            form_type=self.form_type,
            department=self.form_type.department,
            created_by=self.clerks.clerk,
            source=Batch.Source.FOLDER,
            status=Batch.Status.COMPLETE,
            created_at=opened,
        )
        name = f"{FILE_PREFIX}{self.form_type.code}-{day:%Y%m%d}.pdf"
        source = SourceFile.objects.create(
            batch=batch,
            form_type=self.form_type,
            original_name=name,
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            size=count * 180_000,
            content_type="application/pdf",
            page_count=count * self.form_type.page_count,
            status=SourceFile.Status.ACCEPTED,
            created_at=opened,
        )
        moments = [opened + datetime.timedelta(seconds=20 * n) for n in range(count)]
        plans = [self._plan(batch, source, moment) for moment in moments]
        Document.objects.bulk_create(plan.document for plan in plans)
        ExtractedField.objects.bulk_create(
            (self._field(plan.document, reading) for plan in plans for reading in plan.readings),
            batch_size=1000,
        )
        for plan in plans:
            if plan.session is not None:
                plan.session.document = plan.document
        ReviewSession.objects.bulk_create(plan.session for plan in plans if plan.session)
        return count

    def _plan(self, batch: Batch, source: SourceFile, moment: datetime.datetime) -> Planned:
        readings = []
        for key, value in form_values(self.layout, self.rng).items():
            definition = self.definitions.get(key)
            if definition is not None:
                readings.append(
                    Reading(definition, value, *_status(definition.kind, value, self.rng))
                )
        document = Document(
            batch=batch, source_file=source, form_type=self.form_type, created_at=moment
        )
        person = [r for r in readings if r.status != S.AUTO_ACCEPTED]
        if not person:
            document.status = Document.Status.AUTO_ACCEPTED
            return Planned(document, readings, None)
        return Planned(document, readings, self._review(document, person))

    def _review(self, document: Document, person: list[Reading]) -> ReviewSession:
        """The clerk's session; the document ends verified (or, rarely, rejected)."""
        started = document.created_at + datetime.timedelta(hours=2, minutes=self.rng.randrange(240))
        seconds = review_seconds(person, self.rng)
        ended = started + datetime.timedelta(seconds=seconds * 1.3)
        user = (
            self.clerks.handler
            if any(r.definition.sensitive for r in person)
            else self.clerks.clerk
        )
        rejected = self.rng.random() < REJECT_RATE
        if rejected:
            document.status = Document.Status.REJECTED
            document.rejection = Document.Rejection.ILLEGIBLE
            document.rejected_by, document.rejected_at = user, ended
        else:
            document.status = Document.Status.VERIFIED
            document.verified_by, document.verified_at = user, ended
        return ReviewSession(
            kind=ReviewSession.Kind.DOCUMENT,
            user=user,
            form_type=self.form_type,
            outcome=ReviewSession.Outcome.REJECTED if rejected else ReviewSession.Outcome.SUBMITTED,
            started_at=started,
            ended_at=ended,
            active_seconds=seconds,
            keystrokes=sum(len(r.value) + 1 for r in person),
            fields_corrected=sum(1 for r in person if r.status == S.CORRECTED),
            fields_confirmed=sum(1 for r in person if r.status == S.CONFIRMED),
        )

    def _field(self, document: Document, reading: Reading) -> ExtractedField:
        person = reading.status != S.AUTO_ACCEPTED
        value = reading.value
        return ExtractedField(
            document=document,
            definition=reading.definition,
            ocr_value=_misread(value) if reading.status == S.CORRECTED else value,
            final_value=value,
            value_digest=value_digest(reading.definition, value),
            confidence=round(self.rng.uniform(0.4, 0.8) if person else 0.99, 3),
            status=reading.status,
            review_reason=reading.reason,
            verified_by=(
                (self.clerks.handler if reading.definition.sensitive else self.clerks.clerk)
                if person
                else None
            ),
            verified_at=document.verified_at or document.rejected_at if person else None,
        )


def season_exists() -> bool:
    return SourceFile.objects.filter(original_name__startswith=FILE_PREFIX).exists()


def write_season(year: int, clerks: Clerks, *, scale: float = 1.0, seed: int = 2025) -> dict:
    """Write the season that began in October of ``year``; documents written per form code."""
    rng = random.Random(seed)
    written: dict[str, int] = {}
    dated = (_created(Batch), _created(SourceFile), _created(Document))
    with dated_as_given(*dated), transaction.atomic():
        for code, peak in PEAKS.items():
            form_type = FormType.objects.get(code=code, is_current=True)
            writer = SeasonWriter(form_type, clerks, rng)
            written[code] = sum(
                writer.day(day, _poisson(rng, documents_on(day, peak, scale)))
                for day in season_days(year)
            )
    return written


def _poisson(rng: random.Random, mean: float) -> int:
    """A count around ``mean`` (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
