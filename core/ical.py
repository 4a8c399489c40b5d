"""iCalendar (RFC 5545): what the course and event calendars share."""

from zoneinfo import ZoneInfo

from django.http import HttpResponse
from icalendar import Calendar

# The portal's calendar: dates and times are German local time (settings.TIME_ZONE).
BERLIN = ZoneInfo("Europe/Berlin")


def new_calendar(*, product_id: str, name: str) -> Calendar:
    """An empty published calendar with the portal's product id and a display name."""
    calendar = Calendar()
    calendar.add("prodid", product_id)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def ics_response(content: bytes, filename: str) -> HttpResponse:
    """An iCalendar file to download."""
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
