"""iCalendar (RFC 5545) for course dates: one date, or all current dates of a course.

``calendar_dates`` is the one place that decides which dates a calendar can hold: the course
page offers its calendar links for exactly those, and the calendar files contain exactly those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vRecur

from core.ical import BERLIN
from measures.models import Course, CourseDate

ICAL_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
PRODUCT_ID = "-//Bildungsatlas//Kurstermine//DE"


@dataclass(frozen=True)
class Timing:
    """When a date's event happens: its start and end, and how it recurs (or None)."""

    start: dt.date | datetime
    end: dt.date | datetime
    rule: dict | None


def timing(date: CourseDate, *, today: dt.date | None = None) -> Timing | None:
    """When a date takes place, as a calendar can hold it; None when it cannot.

    A date with a start: its first session (on the first of its weekdays), recurring weekly on
    its weekdays (daily without weekdays) until its end — or whole days from start to end when
    it has no times. A rolling start ("Einstieg jederzeit") has no first day of its own: with
    weekdays and times it is a weekly event from the next such weekday (not before its start,
    if it has one) until its end, if it has one; without them there is nothing to put in a
    calendar.
    """
    if date.rolling_start:
        return _rolling_timing(date, today=today or timezone.localdate())
    if date.start_date is None:
        return None
    end_date = date.end_date or date.start_date
    if not (date.start_time and date.end_time):
        return Timing(date.start_date, end_date + timedelta(days=1), None)
    first_day = _first_session_day(date.start_date, date.weekdays)
    rule = None
    if end_date > first_day:
        # RFC 5545: with a zoned DTSTART, UNTIL is given in UTC.
        until = datetime.combine(end_date, date.end_time, tzinfo=BERLIN).astimezone(UTC)
        if date.weekdays:
            rule = {"freq": "weekly", "until": until, "byday": _byday(date.weekdays)}
        else:
            rule = {"freq": "daily", "until": until}
    return Timing(
        datetime.combine(first_day, date.start_time, tzinfo=BERLIN),
        datetime.combine(first_day, date.end_time, tzinfo=BERLIN),
        rule,
    )


def _rolling_timing(date: CourseDate, *, today: dt.date) -> Timing | None:
    if not (date.weekdays and date.start_time and date.end_time):
        return None
    first_day = _first_session_day(max(today, date.start_date or today), date.weekdays)
    rule = {"freq": "weekly", "byday": _byday(date.weekdays)}
    if date.end_date is not None:
        if date.end_date < first_day:
            return None
        until = datetime.combine(date.end_date, date.end_time, tzinfo=BERLIN).astimezone(UTC)
        rule["until"] = until
    return Timing(
        datetime.combine(first_day, date.start_time, tzinfo=BERLIN),
        datetime.combine(first_day, date.end_time, tzinfo=BERLIN),
        rule,
    )


def calendar_dates(
    dates: Iterable[CourseDate], *, today: dt.date | None = None
) -> list[CourseDate]:
    """The dates a calendar can hold (see ``timing``), in the given order."""
    return [date for date in dates if timing(date, today=today) is not None]


def calendar_for(course: Course, dates: list[CourseDate], *, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", course.title)
    for date in dates:
        event = event_for(course, date, host=host)
        if event is not None:
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_for(
    course: Course, date: CourseDate, *, host: str, today: dt.date | None = None
) -> Event | None:
    """One VEVENT, or None for a date that no calendar can hold (see ``timing``)."""
    when = timing(date, today=today)
    if when is None:
        return None
    event = Event()
    event.add("uid", f"coursedate-{date.pk}@{host}")
    event.add("dtstamp", course.updated_at or timezone.now())
    event.add("summary", course.title)
    event.add("url", f"https://{host}{course.get_absolute_url()}")
    description = [course.summary] if course.summary else []
    if date.rolling_start:
        description.append(gettext("Einstieg jederzeit – Beginn nach Vereinbarung."))
    description.append(gettext("Anbieter: %(name)s") % {"name": course.provider.name})
    description.append(gettext("Form: %(mode)s") % {"mode": date.get_mode_display()})
    event.add("description", "\n".join(description))
    if date.venue is not None:
        event.add("location", ", ".join(filter(None, [date.venue.name, date.venue.address_line])))
    if date.booking_status == CourseDate.BookingStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    event.add("dtstart", when.start)
    event.add("dtend", when.end)
    if when.rule is not None:
        event.add("rrule", vRecur(when.rule))
    return event


def _byday(weekdays: Iterable[int]) -> list[str]:
    return [ICAL_WEEKDAYS[day] for day in sorted(weekdays)]


def _first_session_day(day: dt.date, weekdays: list[int]) -> dt.date:
    """The first day on or after ``day`` that is one of the weekdays (``day`` without any)."""
    if not weekdays:
        return day
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in weekdays:
            return candidate
    return day
