"""iCalendar (RFC 5545) for network events."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from icalendar import Event as CalendarEvent

from core.ical import BERLIN, new_calendar
from network.models import Event

PRODUCT_ID = "-//Bildungsatlas//Netzwerkveranstaltungen//DE"
DEFAULT_LENGTH = timedelta(hours=2)


def calendar_for(events: list[Event], *, name: str, host: str) -> bytes:
    calendar = new_calendar(product_id=PRODUCT_ID, name=name)
    for event in events:
        calendar.add_component(event_for(event, host=host))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_for(event: Event, *, host: str) -> CalendarEvent:
    """One VEVENT, in Berlin time; an event without an end lasts two hours."""
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.pk}@{host}")
    entry.add("dtstamp", timezone.now())
    entry.add("summary", event.title)
    entry.add("url", f"https://{host}{event.get_absolute_url()}")
    starts = timezone.localtime(event.starts_at, BERLIN)
    ends = timezone.localtime(event.ends_at, BERLIN) if event.ends_at else starts + DEFAULT_LENGTH
    entry.add("dtstart", starts)
    entry.add("dtend", ends)
    description = [event.description] if event.description else []
    description.append(f"{event.get_kind_display()} – {event.network.name}")
    entry.add("description", "\n".join(description))
    location = ", ".join(part for part in (event.place, event.address) if part)
    if location:
        entry.add("location", location)
    entry.add("status", "CONFIRMED")
    return entry
