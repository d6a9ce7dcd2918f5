"""The security officer's reports over the access log: plain functions returning flat rows.

Nothing here reads a value: rows carry users, times, kinds of access and ids only. Times are
grouped and judged in Asia/Tokyo, whatever the server's clock zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    TruncDate,
    TruncHour,
)
from django.utils import timezone

from audit.access import Access
from audit.actors import entry_person, entry_username
from audit.lookup import Holding
from audit.models import AuditEntry
from forms_catalog.models import FormType
from yomitoru.admin_site import person, person_label
from yomitoru.lib.office_days import closed_weekdays
from yomitoru.security.grants import objects_granted

TOKYO = ZoneInfo("Asia/Tokyo")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class BurstRow:
    """More reveals or exports by one user within one clock hour than the limit allows."""

    user_id: int
    username: str
    person: str
    hour: datetime
    access: str
    count: int
    limit: int


@dataclass(frozen=True)
class AccessRow:
    """One access entry, flattened: who, when, what kind, where, and the reason given."""

    sequence: int
    timestamp: datetime
    user_id: int | None
    username: str
    person: str
    access: str
    form_type_id: int | None
    batch_id: int | None
    document_id: int | None
    reason: str
    count: int | None
    # For an open or an image: whether My Numbers were visible (None: not recorded).
    sensitive_visible: bool | None = None


@dataclass(frozen=True)
class UngrantedRow:
    """Accesses to documents of a form type by a user who no longer holds `process` on it."""

    user_id: int
    username: str
    person: str
    form_type_id: int
    form_type: str
    accesses: int
    first: datetime
    last: datetime


def parse_office_hours(text: str) -> tuple[int, int]:
    """ "08:00-19:00" as minutes since midnight, (480, 1140); the end may be 24:00."""
    match = _HOURS.match(text)
    if match is None:
        raise ValueError(f"OFFICE_HOURS must look like 08:00-19:00, got {text!r}")
    sh, sm, eh, em = (int(group) for group in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    if sm > 59 or em > 59 or not 0 <= start < end <= 24 * 60:
        raise ValueError(f"OFFICE_HOURS must be a window within one day, got {text!r}")
    return start, end


def access_entries(since: datetime, until: datetime | None = None) -> QuerySet[AuditEntry]:
    """Access entries by a known person in [since, until)."""
    entries = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, actor__isnull=False, timestamp__gte=since
    )
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries


def bursts(
    since: datetime,
    *,
    reveals_per_hour: int,
    exports_per_hour: int,
    until: datetime | None = None,
) -> list[BurstRow]:
    """Per user and clock hour (Tokyo): more than the allowed reveals or exports."""
    limits = {Access.REVEAL.value: reveals_per_hour, Access.EXPORT.value: exports_per_hour}
    groups = (
        access_entries(since, until)
        .filter(additional_data__access__in=list(limits))
        .annotate(kind=KT("additional_data__access"), hour=TruncHour("timestamp", tzinfo=TOKYO))
        .values(
            "actor_id", "actor__username", "actor__first_name", "actor__last_name", "kind", "hour"
        )
        # The names the entries keep (the same within one user's hour, bar a rename).
        .annotate(
            n=Count("id"), stored_username=Max("actor_username"), stored_name=Max("actor_name")
        )
        .filter(n__gt=min(limits.values()))
        .order_by("-hour", "actor__username", "kind")
    )
    return [
        BurstRow(
            user_id=g["actor_id"],
            username=g["stored_username"] or g["actor__username"],
            person=_stored_person(g)
            or person(
                g["actor__username"], f"{g['actor__first_name']} {g['actor__last_name']}".strip()
            ),
            hour=g["hour"].astimezone(TOKYO),
            access=g["kind"],
            count=g["n"],
            limit=limits[g["kind"]],
        )
        for g in groups
        # The limit per kind is applied here: a filter on the key-text annotation would be
        # compared as JSON on SQLite.
        if g["n"] > limits[g["kind"]]
    ]


def outside_office_hours(
    since: datetime,
    *,
    office_hours: str,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AccessRow]:
    """Accesses on a day the office is closed (weekends, public holidays, the year-end
    closure), or on a working day outside the office-hours window (Tokyo)."""
    start, end = parse_office_hours(office_hours)
    last = (until or timezone.now()).astimezone(TOKYO).date()
    closed = closed_weekdays(since.astimezone(TOKYO).date(), last)
    entries = (
        access_entries(since, until)
        .annotate(
            weekday=ExtractIsoWeekDay("timestamp", tzinfo=TOKYO),
            local_date=TruncDate("timestamp", tzinfo=TOKYO),
            local_minutes=ExtractHour("timestamp", tzinfo=TOKYO) * 60
            + ExtractMinute("timestamp", tzinfo=TOKYO),
        )
        .filter(
            Q(weekday__gte=6)
            | Q(local_date__in=closed)
            | Q(local_minutes__lt=start)
            | Q(local_minutes__gte=end)
        )
        .select_related("actor")
        .order_by("-sequence")
    )
    return [access_row(entry) for entry in entries[:limit]]


def by_superusers(
    since: datetime, until: datetime | None = None, limit: int = 500
) -> list[AccessRow]:
    """Every access by a superuser: setup accounts have no business reading data at all."""
    entries = (
        access_entries(since, until)
        .filter(actor__is_superuser=True)
        .select_related("actor")
        .order_by("-sequence")
    )
    return [access_row(entry) for entry in entries[:limit]]


def without_grant(since: datetime, until: datetime | None = None) -> list[UngrantedRow]:
    """Accesses to documents whose form type the user holds no current `process` grant on."""
    groups = (
        access_entries(since, until)
        .filter(additional_data__has_key="document")
        .annotate(form_type=KT("additional_data__form_type"))
        .values("actor_id", "actor__username", "form_type")
        .annotate(
            n=Count("id"),
            first=Min("timestamp"),
            last=Max("timestamp"),
            stored_username=Max("actor_username"),
            stored_name=Max("actor_name"),
        )
        .order_by("actor__username", "form_type")
    )
    allowed: dict[int, set[int]] = {}
    users = {u.pk: u for u in User.objects.filter(pk__in={g["actor_id"] for g in groups})}
    names = dict(FormType.objects.values_list("pk", "name"))
    rows = []
    for g in groups:
        user = users[g["actor_id"]]
        if user.pk not in allowed:
            granted = objects_granted(user, "forms_catalog.process")
            allowed[user.pk] = set(granted.values_list("pk", flat=True))
        form_type_id = int(g["form_type"])
        if form_type_id in allowed[user.pk]:
            continue
        rows.append(
            UngrantedRow(
                user_id=user.pk,
                username=g["stored_username"] or g["actor__username"],
                person=_stored_person(g) or person_label(user),
                form_type_id=form_type_id,
                form_type=names.get(form_type_id, f"#{form_type_id}"),
                accesses=g["n"],
                first=g["first"].astimezone(TOKYO),
                last=g["last"].astimezone(TOKYO),
            )
        )
    return rows


def accesses_to_documents(document_ids: list[int]) -> list[AccessRow]:
    """Every access entry naming one of these documents, newest first."""
    if not document_ids:
        return []
    entries = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, additional_data__document__in=document_ids
    )
    return [access_row(e) for e in entries.select_related("actor").order_by("-sequence")]


def exports_covering(holding: Holding) -> list[AccessRow]:
    """Exports that contained one of these documents, newest first.

    An export entry names the documents it exported (``documents``). Entries written before
    it did name only the form type and a count: those are listed when they exported one of
    these documents' form types after the first of them arrived, so they may (not must) have
    contained them.
    """
    wanted = set(holding.document_ids)
    if holding.first_received is None:
        return []
    # SQLite has no JSON containment lookup: the named ids are compared here, among the
    # exports of these form types.
    entries = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS,
        additional_data__access=Access.EXPORT.value,
        additional_data__form_type__in=holding.form_type_ids,
        timestamp__gte=holding.first_received,
    )
    rows = []
    for entry in entries.select_related("actor").order_by("-sequence"):
        named = _data(entry).get("documents")
        if isinstance(named, list) and not wanted.intersection(named):
            continue
        rows.append(access_row(entry))
    return rows


def access_row(entry: AuditEntry) -> AccessRow:
    data = _data(entry)
    return AccessRow(
        sequence=entry.sequence or 0,
        timestamp=entry.timestamp.astimezone(TOKYO),
        user_id=entry.actor_user_pk if entry.actor_user_pk is not None else entry.actor_id,
        # As the entry names them when it was written, whatever the account is called now.
        username=entry_username(entry),
        person=entry_person(entry),
        access=str(data.get("access", "")),
        form_type_id=_int(data.get("form_type")),
        batch_id=_int(data.get("batch")),
        document_id=_int(data.get("document")),
        reason=str(data.get("reason", "")),
        count=_int(data.get("count")),
        sensitive_visible=_flag(data.get("sensitive_visible")),
    )


def _data(entry: AuditEntry) -> dict[str, Any]:
    return entry.additional_data if isinstance(entry.additional_data, dict) else {}


def _stored_person(group: dict[str, Any]) -> str:
    """The person as the grouped entries name them ("" when they predate stored names)."""
    if not group["stored_username"]:
        return ""
    return person(group["stored_username"], group["stored_name"])


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
