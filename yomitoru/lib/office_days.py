"""Which days a Japanese municipal office is closed, besides Saturdays and Sundays.

The Local Autonomy Act (地方自治法 第4条の2) closes a municipality's offices on weekends, on
national holidays (国民の祝日, including substitute and citizens' holidays) and on the year-end
and New Year days its ordinance names, by custom 29 December to 3 January. Holidays come from
``jpholiday`` (a maintained calendar, offline), not from a table of ours.
"""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday

# 29-31 December and 1-3 January (month, day): the usual ordinance (年末年始の休日).
YEAR_END_CLOSURE = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})


def closed_weekdays(start: date, end: date) -> set[date]:
    """Monday-to-Friday days in [start, end] on which the office is closed."""
    holidays = {day for day, _name in jpholiday.between(start, end)}
    closed = set()
    day = start
    while day <= end:
        if day.weekday() < 5 and (day in holidays or (day.month, day.day) in YEAR_END_CLOSURE):
            closed.add(day)
        day += timedelta(days=1)
    return closed


def is_office_day(day: date) -> bool:
    return day.weekday() < 5 and not closed_weekdays(day, day)
