"""Days a municipal office is closed: weekends, national holidays, the year-end closure."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth.models import User

from audit.models import AuditEntry
from audit.reports import TOKYO, outside_office_hours
from yomitoru.lib.office_days import closed_weekdays, is_office_day


def test_national_holidays_and_the_year_end_are_closed_weekdays() -> None:
    closed = closed_weekdays(date(2026, 4, 27), date(2027, 1, 8))
    # 昭和の日, the Golden Week run with its substitute holiday (5/3 is a Sunday), 勤労感謝の日.
    for day in (date(2026, 4, 29), date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 6)):
        assert day in closed, day
    assert date(2026, 11, 23) in closed
    # 年末年始: 29 December (a Tuesday) to 3 January; the weekend days are not "weekdays".
    assert {date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)} <= closed
    assert date(2027, 1, 2) not in closed  # a Saturday: closed anyway, not listed here
    for open_day in (date(2026, 4, 28), date(2026, 11, 24), date(2026, 12, 28), date(2027, 1, 4)):
        assert open_day not in closed, open_day
        assert is_office_day(open_day)
    assert not is_office_day(date(2026, 11, 23))
    assert not is_office_day(date(2026, 11, 28))  # a Saturday


@pytest.mark.django_db
def test_access_on_a_public_holiday_is_outside_office_hours() -> None:
    clerk = User.objects.create_user("holiday_clerk")

    def access_at(when: datetime) -> AuditEntry:
        return AuditEntry.objects.log_create(
            clerk,
            force_log=True,
            action=AuditEntry.Action.ACCESS,
            actor=clerk,
            timestamp=when,
            additional_data={"access": "open"},
        )

    holiday = access_at(datetime(2026, 11, 23, 10, 0, tzinfo=TOKYO))  # 勤労感謝の日, Monday
    access_at(datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO))  # Tuesday, in office hours
    year_end = access_at(datetime(2026, 12, 29, 11, 0, tzinfo=TOKYO))  # 年末年始

    rows = outside_office_hours(
        datetime(2026, 11, 22, tzinfo=TOKYO),
        until=datetime(2026, 12, 31, tzinfo=TOKYO),
        office_hours="08:00-19:00",
    )

    assert sorted(row.sequence for row in rows) == sorted([holiday.sequence, year_end.sequence])
