"""iCalendar (RFC 5545) for course dates: one date, or all current dates of a course."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from core.ical import BERLIN
from measures.models import Course, CourseDate

ICAL_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
PRODUCT_ID = "-//Bildungsatlas//Kurstermine//DE"


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


def event_for(course: Course, date: CourseDate, *, host: str) -> Event | None:
    """One VEVENT; a date with weekdays and times recurs weekly until its end."""
    if date.rolling_start or date.start_date is None:
        return None
    event = Event()
    event.add("uid", f"coursedate-{date.pk}@{host}")
    event.add("dtstamp", course.updated_at or timezone.now())
    event.add("summary", course.title)
    event.add("url", f"https://{host}{course.get_absolute_url()}")
    description = [course.summary] if course.summary else []
    description.append(f"Anbieter: {course.provider.name}")
    description.append(f"Form: {date.get_mode_display()}")
    event.add("description", "\n".join(description))
    if date.venue is not None:
        event.add("location", ", ".join(filter(None, [date.venue.name, date.venue.address_line])))
    if date.booking_status == CourseDate.BookingStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")

    end_date = date.end_date or date.start_date
    if date.start_time and date.end_time:
        first_day = _first_session_day(date)
        event.add("dtstart", datetime.combine(first_day, date.start_time, tzinfo=BERLIN))
        event.add("dtend", datetime.combine(first_day, date.end_time, tzinfo=BERLIN))
        if end_date > first_day:
            # RFC 5545: with a zoned DTSTART, UNTIL is given in UTC.
            until = datetime.combine(end_date, date.end_time, tzinfo=BERLIN).astimezone(UTC)
            rule = {"freq": "weekly", "until": until}
            if date.weekdays:
                rule["byday"] = [ICAL_WEEKDAYS[day] for day in sorted(date.weekdays)]
            else:
                rule["freq"] = "daily"
            event.add("rrule", vRecur(rule))
    else:
        event.add("dtstart", date.start_date)
        event.add("dtend", end_date + timedelta(days=1))
    return event


def _first_session_day(date: CourseDate):
    """The first day on or after the start that is one of the date's weekdays."""
    day = date.start_date
    if not date.weekdays:
        return day
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in date.weekdays:
            return candidate
    return day
