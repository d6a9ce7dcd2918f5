"""The manager's workload figures, per form type and month: counts, rates and seconds only.

The caller scopes the rows (``ocr.permissions.metrics_documents`` / ``metrics_sessions``); the
functions here only count. Definitions (a fiscal year, 年度, runs April to March, Asia/Tokyo):

- A **processed** document is one the reading finished and nobody refused: auto-accepted,
  verified or exported. A rejected, failed or still waiting document is not processed, nor a
  disposed one (its values are gone). It counts in the month it was received (``created_at``).
- A field is **decided by a person** when its status is corrected or confirmed: a clerk typed
  or accepted it on the review screen, or settled its cells in character verification. A
  quality sample (an auto-accepted reading routed to a clerk unknown to them) is decided by a
  person too: a person looked at it.
- **Straight-through**: a processed document none of whose fields was decided by a person,
  every field auto-accepted. A supervisor's confirmation of a whole batch decides no field, so
  such a document is straight-through. Rate = straight-through / processed documents.
- **Correction rate** (per field kind, or over all fields): corrected / decided by a person.
- **Measured time**: the sum of ``ReviewSession.active_seconds`` of the sessions started in the
  month (document review and character verification, whatever their outcome: time spent on a
  document later rejected was spent). A document received on 31 March and reviewed on 1 April
  has its baseline in March and its time in April.
- **Manual keying baseline** (手入力基準): for each field with a value of each processed
  document, ``len(value) × seconds_per_character + seconds_per_field`` of its kind
  (``forms_catalog.KeyingRate``; a kind without a rate counts nothing).
- **Workload reduction** (業務削減率) = 1 − measured time / baseline; none without a baseline.

Cost: about ten grouped queries, one query a month for the field counts, one error-rate query
per form type, and, for each form type
and month whose documents (or the keying rates) changed since it was last counted, one query
that streams the month's values (they are encrypted, so their lengths are counted in Python,
``CHUNK`` rows at a time, nothing kept). A month's baseline is cached under a fingerprint of its
documents: count, sum of ids, last change. So the queries are bounded by form types × 12
months, never by documents; a cold month's time grows linearly with its fields.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FormType, KeyingRate
from ocr.models import Document, ExtractedField, ReviewSession
from ocr.review.quality import ErrorRate, error_rates

PROCESSED = (Document.Status.AUTO_ACCEPTED, Document.Status.VERIFIED, Document.Status.EXPORTED)
DECIDED = (ExtractedField.Status.CORRECTED, ExtractedField.Status.CONFIRMED)
CHUNK = 2000
TOP_FIELDS = 10
BASELINE_CACHE_SECONDS = 7 * 24 * 3600


@dataclass
class Figures:
    """What a form type's documents of one month (or of the year) cost and saved."""

    documents: int = 0
    fields: int = 0
    straight_through: int = 0
    decided: int = 0
    corrected: int = 0
    review_seconds: float = 0.0
    baseline_seconds: float = 0.0

    def add(self, other: Figures) -> None:
        self.documents += other.documents
        self.fields += other.fields
        self.straight_through += other.straight_through
        self.decided += other.decided
        self.corrected += other.corrected
        self.review_seconds += other.review_seconds
        self.baseline_seconds += other.baseline_seconds

    @property
    def straight_through_rate(self) -> float | None:
        return self.straight_through / self.documents if self.documents else None

    @property
    def correction_rate(self) -> float | None:
        return self.corrected / self.decided if self.decided else None

    @property
    def review_seconds_per_document(self) -> float | None:
        return self.review_seconds / self.documents if self.documents else None

    @property
    def baseline_seconds_per_document(self) -> float | None:
        return self.baseline_seconds / self.documents if self.documents else None

    @property
    def reduction(self) -> float | None:
        if not self.baseline_seconds:
            return None
        return 1 - self.review_seconds / self.baseline_seconds


@dataclass(frozen=True)
class KindCorrection:
    kind: str
    label: str
    decided: int
    corrected: int

    @property
    def rate(self) -> float | None:
        return self.corrected / self.decided if self.decided else None


@dataclass(frozen=True)
class CorrectedField:
    """A field people often had to correct: where the form or the reading should improve."""

    code: str
    label: str
    kind_label: str
    decided: int
    corrected: int

    @property
    def rate(self) -> float | None:
        return self.corrected / self.decided if self.decided else None


@dataclass
class FormTypeFigures:
    code: str
    name: str
    months: dict[datetime.date, Figures] = field(default_factory=dict)
    kinds: list[KindCorrection] = field(default_factory=list)
    errors: list[ErrorRate] = field(default_factory=list)

    @property
    def total(self) -> Figures:
        total = Figures()
        for figures in self.months.values():
            total.add(figures)
        return total


@dataclass
class Dashboard:
    year: int
    form_types: list[FormTypeFigures]
    # Monday of each ISO week from the first to the last week with a document.
    weeks: list[datetime.date]
    # code -> Monday -> documents received that week.
    weekly: dict[str, dict[datetime.date, int]]
    top_corrected: list[CorrectedField]

    @property
    def total(self) -> Figures:
        total = Figures()
        for form_type in self.form_types:
            total.add(form_type.total)
        return total


# --------------------------------------------------------------------------- fiscal years


def fiscal_year_of(moment: datetime.datetime) -> int:
    local = timezone.localtime(moment)
    return local.year if local.month >= 4 else local.year - 1


def fiscal_year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, 4, 1, tzinfo=zone)
    return start, datetime.datetime(year + 1, 4, 1, tzinfo=zone)


def fiscal_years(documents: QuerySet[Document]) -> list[int]:
    """The fiscal years from the first document received to the last, newest first."""
    span = documents.aggregate(first=Min("created_at"), last=Max("created_at"))
    if span["first"] is None:
        return [fiscal_year_of(timezone.now())]
    first, last = fiscal_year_of(span["first"]), fiscal_year_of(span["last"])
    return list(range(last, first - 1, -1))


def _day(value: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --------------------------------------------------------------------------- the figures


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime(month.year, month.month, 1, tzinfo=zone)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following


def processed_in(documents: QuerySet[Document], year: int) -> QuerySet[Document]:
    start, end = fiscal_year_bounds(year)
    return documents.filter(status__in=PROCESSED, created_at__gte=start, created_at__lt=end)


def _document_counts(processed: QuerySet[Document]) -> list[dict]:
    person = ExtractedField.objects.filter(document=OuterRef("pk"), status__in=DECIDED)
    return list(
        processed.annotate(month=TruncMonth("created_at"), needed_person=Exists(person))
        .values("form_type__code", "month")
        .annotate(
            documents=Count("pk"),
            straight=Count("pk", filter=Q(needed_person=False)),
            id_sum=Sum("pk"),
            changed=Max("updated_at"),
        )
        .order_by()
    )


def _fields_of(processed: QuerySet[Document]) -> QuerySet[ExtractedField]:
    return ExtractedField.objects.filter(document__in=processed)


def _field_counts(processed: QuerySet[Document], months: list[datetime.date]) -> list[dict]:
    """Per form type, month and kind: fields, decided by a person, corrected.

    One query a month, by range: truncating each field's document date to its month costs a
    function call per field on SQLite (seconds at a season's volume).
    """
    rows = []
    for month in months:
        start, end = _month_bounds(month)
        documents = processed.filter(created_at__gte=start, created_at__lt=end)
        counts = (
            _fields_of(documents)
            .values("document__form_type__code", "definition__kind")
            .annotate(
                fields=Count("pk"),
                decided=Count("pk", filter=Q(status__in=DECIDED)),
                corrected=Count("pk", filter=Q(status=ExtractedField.Status.CORRECTED)),
            )
            .order_by()
        )
        rows += [{**row, "month": month} for row in counts]
    return rows


def _session_seconds(sessions: QuerySet[ReviewSession], year: int) -> list[dict]:
    start, end = fiscal_year_bounds(year)
    return list(
        sessions.filter(started_at__gte=start, started_at__lt=end)
        .annotate(month=TruncMonth("started_at"))
        .values("form_type__code", "month")
        .annotate(seconds=Sum("active_seconds"))
        .order_by()
    )


def keying_rates() -> dict[str, tuple[float, float]]:
    return {
        rate.kind: (rate.seconds_per_character, rate.seconds_per_field)
        for rate in KeyingRate.objects.all()
    }


def keying_seconds(value: str, rate: tuple[float, float] | None) -> float:
    """What keying one value by hand takes: nothing for an empty field or an unpriced kind."""
    if not value or rate is None:
        return 0.0
    per_character, per_field = rate
    return len(value) * per_character + per_field


def month_baseline(
    processed: QuerySet[Document], code: str, month: datetime.date, rates: dict
) -> float:
    """Manual keying seconds of one form type's month, streamed over the decrypted values."""
    start, end = _month_bounds(month)
    documents = processed.filter(form_type__code=code, created_at__gte=start, created_at__lt=end)
    rows = _fields_of(documents).values_list("definition__kind", "final_value").order_by()
    return sum(
        keying_seconds(value, rates.get(kind)) for kind, value in rows.iterator(chunk_size=CHUNK)
    )


def _baseline_key(code: str, row: dict, rates: dict) -> str:
    """What the month's baseline depends on: its documents (how many, which, their last
    change: the fields of a processed document change only with the document) and the rates."""
    fingerprint = (
        code,
        _day(row["month"]).isoformat(),
        row["documents"],
        row["id_sum"],
        row["changed"].isoformat(),
        sorted(rates.items()),
    )
    return "ocr.metrics.baseline:" + hashlib.sha256(repr(fingerprint).encode()).hexdigest()


def _baseline(processed: QuerySet[Document], counts: list[dict]) -> dict:
    """(code, month) -> manual keying seconds; a month whose documents and rates are as they
    were is read from the cache, so a year costs one pass only over the months that changed."""
    rates = keying_rates()
    seconds = {}
    for row in counts:
        code, month = row["form_type__code"], _day(row["month"])
        key = _baseline_key(code, row, rates)
        value = cache.get(key)
        if value is None:
            value = month_baseline(processed, code, month, rates)
            cache.set(key, value, BASELINE_CACHE_SECONDS)
        seconds[(code, month)] = value
    return seconds


def weekly_volume(processed: QuerySet[Document]) -> dict[str, dict[datetime.date, int]]:
    rows = (
        processed.annotate(week=TruncWeek("created_at"))
        .values("form_type__code", "week")
        .annotate(documents=Count("pk"))
        .order_by()
    )
    weekly: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    for row in rows:
        weekly[row["form_type__code"]][_day(row["week"])] = row["documents"]
    return dict(weekly)


def week_span(weekly: dict[str, dict[datetime.date, int]]) -> list[datetime.date]:
    mondays = {week for counts in weekly.values() for week in counts}
    if not mondays:
        return []
    first, last = min(mondays), max(mondays)
    return [first + datetime.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def most_corrected(processed: QuerySet[Document], limit: int = TOP_FIELDS) -> list[CorrectedField]:
    """The fields corrected most often, by form type code and field key (all versions)."""
    rows = (
        _fields_of(processed)
        .values("document__form_type__code", "definition__key")
        .annotate(
            label=Max("definition__label"),
            kind=Max("definition__kind"),
            decided=Count("pk", filter=Q(status__in=DECIDED)),
            corrected=Count("pk", filter=Q(status=ExtractedField.Status.CORRECTED)),
        )
        .filter(corrected__gt=0)
        .order_by("-corrected", "document__form_type__code", "definition__key")[:limit]
    )
    labels = dict(FieldKind.choices)
    return [
        CorrectedField(
            code=row["document__form_type__code"],
            label=row["label"],
            kind_label=str(labels.get(row["kind"], row["kind"])),
            decided=row["decided"],
            corrected=row["corrected"],
        )
        for row in rows
    ]


def form_type_names(form_types: QuerySet[FormType]) -> dict[str, str]:
    """Form type code -> the name of its newest version."""
    rows = form_types.order_by("code", "version").values_list("code", "name")
    return dict(rows)


def _kind_corrections(rows: list[dict]) -> dict[str, list[KindCorrection]]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = totals[(row["document__form_type__code"], row["definition__kind"])]
        counts[0] += row["decided"]
        counts[1] += row["corrected"]
    labels = dict(FieldKind.choices)
    out: dict[str, list[KindCorrection]] = defaultdict(list)
    for (code, kind), (decided, corrected) in sorted(totals.items()):
        if decided:
            out[code].append(KindCorrection(kind, str(labels.get(kind, kind)), decided, corrected))
    return out


def dashboard(
    documents: QuerySet[Document],
    sessions: QuerySet[ReviewSession],
    form_types: QuerySet[FormType],
    year: int,
) -> Dashboard:
    """The figures of one fiscal year over already scoped documents and sessions."""
    processed = processed_in(documents, year)
    names = form_type_names(form_types)
    by_code: dict[str, FormTypeFigures] = {}

    def month_of(code: str, month: datetime.datetime | datetime.date) -> Figures:
        figures = by_code.setdefault(code, FormTypeFigures(code, names.get(code, code)))
        return figures.months.setdefault(_day(month), Figures())

    counts = _document_counts(processed)
    for row in counts:
        figures = month_of(row["form_type__code"], row["month"])
        figures.documents, figures.straight_through = row["documents"], row["straight"]
    field_rows = _field_counts(processed, sorted({_day(row["month"]) for row in counts}))
    for row in field_rows:
        figures = month_of(row["document__form_type__code"], row["month"])
        figures.fields += row["fields"]
        figures.decided += row["decided"]
        figures.corrected += row["corrected"]
    for row in _session_seconds(sessions, year):
        month_of(row["form_type__code"], row["month"]).review_seconds += row["seconds"] or 0.0
    for (code, month), seconds in _baseline(processed, counts).items():
        month_of(code, month).baseline_seconds += seconds

    kinds = _kind_corrections(field_rows)
    for code, form_type in by_code.items():
        form_type.months = dict(sorted(form_type.months.items()))
        form_type.kinds = kinds.get(code, [])
        form_type.errors = error_rates(form_types.filter(code=code), documents=processed)
    weekly = weekly_volume(processed)
    return Dashboard(
        year=year,
        form_types=[by_code[code] for code in sorted(by_code)],
        weeks=week_span(weekly),
        weekly=weekly,
        top_corrected=most_corrected(processed),
    )
