"""Fixtures of the search tests."""

from datetime import time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from measures.models import CourseDate
from tests.factories import make_course, make_provider, make_venue, today


@pytest.fixture
def catalogue():
    """The demo data, 150 synthetic courses, and courses at the edges of each date filter."""
    call_command("generate_synthetic", courses=150, dates_per_course=3, stdout=StringIO())
    provider = make_provider("Randfälle gGmbH")
    step_free = make_venue(provider, "55116", step_free_access=True, hearing_loop=True)
    plain = make_venue(provider, "55411", accessible_toilet=True)
    soon = today() + timedelta(days=3)
    edges = [
        ("Preis am Termin", {"price": Decimal("90")}, {"price": Decimal("40"), "venue": plain}),
        ("Termin kostenlos", {"price": Decimal("90")}, {"price": Decimal("0"), "venue": plain}),
        ("Kurs kostenlos", {"price_kind": "free", "price": None}, {"venue": step_free}),
        ("Kurs 0 Euro", {"price": Decimal("0")}, {"venue": step_free}),
        ("Ohne Preis", {"price": None}, {"venue": plain}),
        ("Einstieg jederzeit", {}, {"rolling_start": True, "start_date": None, "venue": plain}),
        ("Ohne Uhrzeit", {}, {"start_time": None, "venue": plain}),
        ("Mittags", {}, {"start_time": time(12, 0), "venue": plain}),
        ("Kurz vor fünf", {}, {"start_time": time(16, 59), "venue": plain}),
        ("Um fünf", {"childcare": True}, {"start_time": time(17, 0), "weekdays": [5]}),
        ("Sonntags", {"easy_language": True}, {"weekdays": [6], "venue": step_free}),
        ("Heute", {}, {"start_date": today(), "end_date": None, "venue": plain}),
        (
            "Läuft noch",
            {},
            {"start_date": today() - timedelta(days=9), "end_date": soon, "venue": plain},
        ),
    ]
    for title, fields, date in edges:
        date = {"start_date": soon, "start_time": time(9, 0), **date}
        make_course(provider, title, dates=[date, {"mode": "online", "start_date": soon}], **fields)
    make_course(
        provider,
        "Abgesagt in Mainz",
        dates=[
            {"venue": step_free, "booking_status": CourseDate.BookingStatus.CANCELLED},
            {"mode": "online", "start_date": soon},
        ],
    )
    return provider
