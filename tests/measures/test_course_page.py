"""The course page: everything about a course, out-of-date notice, JSON-LD, iCalendar, print."""

import json
from datetime import date as Date
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from measures.models import Course, CourseDate, FundingType, Module, Subject, TargetGroup
from measures.selectors import similar_courses
from measures.vocabulary import vocabulary
from tests.factories import make_course, make_provider, make_venue, today

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def course():
    provider = make_provider("Bildungswerk Rheinhessen", email="info@example.org")
    venue = make_venue(
        provider, "55116", name="Bildungszentrum", street="Große Bleiche 10", step_free_access=True
    )
    subject = Subject.objects.filter(parent__isnull=False).first()
    course = make_course(
        provider,
        "Interkulturelle Kompetenz in der Pflege",
        summary="Für Pflegekräfte, die mit Menschen aus vielen Kulturen arbeiten.",
        description="Beschreibung des Kurses.",
        objectives="Kulturelle Unterschiede erkennen.",
        contents="Kommunikation, Religion, Ernährung.",
        prerequisites="Erfahrung in der Pflege.",
        teaching_units=40,
        price=Decimal("240.00"),
        price_notes="Ermäßigung für Auszubildende",
        registration_url="https://example.org/anmeldung",
        subjects=[subject],
        dates=[
            {
                "venue": venue,
                "start_date": today() + timedelta(days=10),
                "end_date": today() + timedelta(days=38),
                "weekdays": [0, 2],
                "start_time": time(17, 30),
                "end_time": time(20, 0),
                "seats": 16,
                "booking_status": CourseDate.BookingStatus.FEW,
                "registration_deadline": today() + timedelta(days=7),
            },
            {
                "mode": CourseDate.Mode.ONLINE,
                "start_date": today() + timedelta(days=60),
                "end_date": today() + timedelta(days=61),
                "weekdays": [],
                "start_time": None,
                "end_time": None,
            },
            {"rolling_start": True, "venue": venue, "weekdays": []},
        ],
    )
    Module.objects.create(course=course, position=1, title="Grundlagen", teaching_units=16)
    Module.objects.create(course=course, position=2, title="Praxis", teaching_units=24)
    return course


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "lxml")


def test_course_page_shows_everything(client, course):
    html = page(client, course.get_absolute_url())
    text = html.get_text(" ", strip=True)
    assert html.find("h1").get_text() == course.title
    for expected in (
        course.summary,
        "Beschreibung des Kurses.",
        "Kulturelle Unterschiede erkennen.",
        "Kommunikation, Religion, Ernährung.",
        "Erfahrung in der Pflege.",
        "240,00 €",
        "Ermäßigung für Auszubildende",
        "40 Unterrichtseinheiten",
        "Montag, Mittwoch",
        "17:30–20:00 Uhr",
        "Große Bleiche 10",
        "wenige Plätze frei",
        "16 Plätze insgesamt",
        "Anmeldeschluss",
        "Einstieg jederzeit",
        "online",
        "Zuletzt aktualisiert",
        "stufenloser Zugang",
    ):
        assert expected in text, expected
    modules = html.select("table tbody tr")
    assert [row.find("th").get_text() for row in modules] == ["Grundlagen", "Praxis"]
    assert html.select_one("table tfoot td").get_text() == "40"
    assert html.find("a", href=course.provider.get_absolute_url())
    assert html.find("a", href="https://example.org/anmeldung")


def _facts(html) -> dict[str, str]:
    """The course's facts (the first list of them): term -> text."""
    facts = html.select_one("dl.facts")
    return {
        term.get_text(strip=True): " ".join(term.find_next_sibling("dd").get_text().split())
        for term in facts.find_all("dt")
    }


def test_course_page_lists_subjects_target_groups_and_funding_in_their_order(client, course):
    subjects = list(Subject.objects.filter(parent__isnull=False).order_by("position", "name")[:3])
    groups = list(TargetGroup.objects.order_by("position", "name")[:2])
    funding = list(FundingType.objects.order_by("position", "name")[:2])
    course.subjects.set(subjects[::-1])
    course.target_groups.set(groups[::-1])
    course.funding.set(funding[::-1])
    facts = _facts(page(client, course.get_absolute_url()))
    assert facts["Themen"] == ", ".join(subject.name for subject in subjects)
    assert facts["Für wen"] == ", ".join(group.name for group in groups)
    assert facts["Förderung möglich"] == ", ".join(item.name for item in funding)
    html = page(client, course.get_absolute_url())
    links = [a["href"] for a in html.select("dl.facts dd a[href*='subject=']")]
    assert links == [f"/kurse/?subject={subject.slug}" for subject in subjects]


def test_course_page_without_subjects_target_groups_or_funding_leaves_them_out(client, course):
    course.subjects.clear()
    facts = _facts(page(client, course.get_absolute_url()))
    assert "Themen" not in facts
    assert "Für wen" not in facts
    assert "Förderung möglich" not in facts


def test_course_page_shows_a_subject_newer_than_the_vocabulary_in_memory(client, course):
    vocabulary()  # the snapshot in memory, before the new subject
    Subject.objects.bulk_create([Subject(name="Ganz neues Thema", slug="ganz-neues-thema")])
    course.subjects.add(Subject.objects.get(slug="ganz-neues-thema"))
    facts = _facts(page(client, course.get_absolute_url()))
    assert "Ganz neues Thema" in facts["Themen"]


def test_course_page_reads_the_course_in_a_constant_number_of_queries(
    client, course, django_assert_max_num_queries
):
    client.get(course.get_absolute_url())  # the vocabularies and generations in memory
    course.subjects.set(Subject.objects.filter(parent__isnull=False)[:3])
    course.target_groups.set(TargetGroup.objects.all()[:2])
    course.funding.set(FundingType.objects.all()[:2])
    # The course with provider, certificate and contact; its modules; the provider's valid
    # certificates; the current dates with their venues: the vocabularies come from memory.
    with django_assert_max_num_queries(5):
        assert client.get(course.get_absolute_url()).status_code == 200


def test_out_of_date_course_keeps_its_page_and_points_to_similar_ones(client, course):
    similar = make_course(
        course.provider, "Pflege interkulturell", subjects=list(course.subjects.all())
    )
    course.dates.update(
        start_date=today() - timedelta(days=90),
        end_date=today() - timedelta(days=60),
        rolling_start=False,
    )
    html = page(client, course.get_absolute_url())
    notice = html.select_one(".notice").get_text(" ", strip=True)
    assert "nicht mehr aktuell" in notice
    assert html.select_one(".notice").find("a", href=similar.get_absolute_url())
    assert html.find("meta", attrs={"name": "robots", "content": "noindex"})


def test_unpublished_and_unknown_courses_are_404(client, course):
    course.status = Course.Status.DRAFT
    course.save()
    assert client.get(course.get_absolute_url()).status_code == 404
    assert client.get("/kurse/gibt-es-nicht/").status_code == 404


def test_json_ld_describes_course_provider_offers_and_instances(client, course):
    html = page(client, course.get_absolute_url())
    data = json.loads(html.find("script", type="application/ld+json").string)
    assert data["@type"] == "Course" and data["name"] == course.title
    assert data["provider"]["@type"] == "EducationalOrganization"
    assert data["provider"]["name"] == "Bildungswerk Rheinhessen"
    assert data["offers"]["price"] == "240.00" and data["offers"]["priceCurrency"] == "EUR"
    instances = data["hasCourseInstance"]
    assert len(instances) == 3
    first = instances[0]
    assert first["courseMode"] == "onsite"
    start = datetime.fromisoformat(first["startDate"])
    assert start.date() == today() + timedelta(days=10) and start.hour == 17 and start.minute == 30
    assert first["location"]["address"]["postalCode"] == "55116"
    assert first["courseSchedule"]["byDay"] == [
        "https://schema.org/Monday",
        "https://schema.org/Wednesday",
    ]
    assert first["offers"]["availability"] == "https://schema.org/LimitedAvailability"
    online = next(item for item in instances if item["courseMode"] == "online")
    assert online["location"]["@type"] == "VirtualLocation"
    assert "courseWorkload" in online or "courseSchedule" in online


def test_json_ld_cannot_break_out_of_its_script(client, course):
    course.title = "</script><script>alert(1)</script>"
    course.save()
    html = client.get(course.get_absolute_url()).content.decode()
    assert "</script><script>alert(1)" not in html


def _calendar(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_ics_for_all_dates_is_valid_and_recurs_weekly(client, course):
    calendar = _calendar(client, f"{course.get_absolute_url()}termine.ics")
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == 2  # the rolling start has no date to put in a calendar
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Berlin"]
    weekly = next(event for event in events if "RRULE" in event)
    start = weekly.decoded("DTSTART")
    assert start.tzinfo is not None and str(start.tzinfo) in ("Europe/Berlin",)
    assert start.weekday() in (0, 2) and start.time() == time(17, 30)
    rule = weekly["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and sorted(rule["BYDAY"]) == ["MO", "WE"]
    assert rule["UNTIL"][0].tzinfo is not None  # UTC, as RFC 5545 requires with a zoned start
    all_day = next(event for event in events if "RRULE" not in event)
    assert isinstance(all_day.decoded("DTSTART"), Date)
    assert all_day.decoded("DTEND") == today() + timedelta(days=62)


def test_ics_uids_are_stable(client, course):
    url = f"{course.get_absolute_url()}termine.ics"
    first = [str(e["UID"]) for e in _calendar(client, url).walk("VEVENT")]
    course.title = "Neuer Titel"
    course.save()
    assert [str(e["UID"]) for e in _calendar(client, url).walk("VEVENT")] == first


def test_ics_for_one_date(client, course):
    date = course.dates.filter(rolling_start=False, venue__isnull=False).get()
    calendar = _calendar(client, f"{course.get_absolute_url()}termine/{date.pk}.ics")
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"coursedate-{date.pk}@")
    assert "Große Bleiche 10" in str(event["LOCATION"])


def test_ics_for_unknown_past_or_rolling_dates_is_404(client, course):
    rolling = course.dates.get(rolling_start=True)
    assert client.get(f"{course.get_absolute_url()}termine/{rolling.pk}.ics").status_code == 404
    assert client.get(f"{course.get_absolute_url()}termine/999999999.ics").status_code == 404
    other = make_course(course.provider, "Anderer Kurs")
    other_date = other.dates.get()
    assert client.get(f"{course.get_absolute_url()}termine/{other_date.pk}.ics").status_code == 404


def _calendar_links(html):
    return [a["href"] for a in html.select("a[href]") if a["href"].endswith(".ics")]


def test_rolling_dates_get_a_weekly_calendar_from_their_weekdays_and_times(client):
    provider = make_provider()
    course = make_course(
        provider,
        "Deutsch im Beruf, laufender Einstieg",
        dates=[
            {
                "rolling_start": True,
                "weekdays": [1, 3],
                "start_time": time(9, 0),
                "end_time": time(13, 0),
            }
        ],
    )
    html = page(client, course.get_absolute_url())
    links = _calendar_links(html)
    # The button for all dates and the link of the one date.
    assert len(links) == 2, links
    for link in links:
        (event,) = _calendar(client, link).walk("VEVENT")
        start = event.decoded("DTSTART")
        assert start.weekday() in (1, 3) and start.time() == time(9, 0)
        assert today() <= start.date() < today() + timedelta(days=7)
        assert event.decoded("DTEND") == start.replace(hour=13)
        rule = event["RRULE"]
        assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["TU", "TH"]
        assert "UNTIL" not in rule  # no end: it recurs until further notice
        assert "Einstieg jederzeit" in str(event["DESCRIPTION"])


def test_rolling_date_with_start_and_end_recurs_from_its_start_until_its_end(client):
    course = make_course(
        make_provider(),
        "Offene Werkstatt",
        dates=[
            {
                "rolling_start": True,
                "start_date": today() + timedelta(days=20),
                "end_date": today() + timedelta(days=90),
                "weekdays": [4],
                "start_time": time(15, 0),
                "end_time": time(17, 0),
            }
        ],
    )
    (event,) = _calendar(client, f"{course.get_absolute_url()}termine.ics").walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start.weekday() == 4
    assert today() + timedelta(days=20) <= start.date() < today() + timedelta(days=27)
    (until,) = event["RRULE"]["UNTIL"]
    assert until.tzinfo is not None
    assert until.astimezone(BERLIN).date() == today() + timedelta(days=90)


@pytest.mark.parametrize(
    "schedule",
    [
        {"weekdays": [], "start_time": None, "end_time": None},
        {"weekdays": [0, 2], "start_time": None, "end_time": None},
        {"weekdays": [], "start_time": time(9, 0), "end_time": time(12, 0)},
        # Ended before its next weekday: nothing left to put in a calendar.
        {
            "weekdays": [0],
            "start_date": today() - timedelta(days=30),
            "end_date": today() - timedelta(days=1),
        },
    ],
    ids=["nothing", "no-times", "no-weekdays", "ended"],
)
def test_rolling_dates_without_a_schedule_offer_no_calendar(client, schedule):
    course = make_course(
        make_provider(), "Beratung nach Vereinbarung", dates=[{"rolling_start": True, **schedule}]
    )
    html = page(client, course.get_absolute_url())
    assert _calendar_links(html) == []
    assert "Kalender" not in html.select_one("main").get_text(" ", strip=True)
    assert client.get(f"{course.get_absolute_url()}termine.ics").status_code == 404
    date = course.dates.get()
    assert client.get(f"{course.get_absolute_url()}termine/{date.pk}.ics").status_code == 404


def test_every_calendar_link_on_a_course_page_answers_with_a_calendar(client, course):
    CourseDate.objects.create(
        course=course,
        rolling_start=True,
        weekdays=[5],
        start_time=time(10, 0),
        end_time=time(12, 0),
    )
    html = page(client, course.get_absolute_url())
    links = _calendar_links(html)
    # All dates; the two dated ones and the rolling one with a schedule (not the one without).
    assert len(links) == 4, links
    for link in links:
        assert _calendar(client, link).walk("VEVENT")
    (all_dates,) = [link for link in links if link.endswith("termine.ics")]
    assert len(_calendar(client, all_dates).walk("VEVENT")) == 3


def test_print_view_has_the_facts_and_no_navigation(client, course):
    html = page(client, f"{course.get_absolute_url()}druckansicht/")
    assert html.find("h1").get_text() == course.title
    assert not html.find("nav", class_="site-nav")
    text = html.get_text(" ", strip=True)
    assert "Große Bleiche 10" in text and "240,00 €" in text


def test_similar_courses_share_most_subjects_first_then_start_soonest(course):
    first, second, third = Subject.objects.filter(parent__isnull=False)[:3]
    course.subjects.set([first, second])
    late_both = make_course(
        course.provider,
        "Beide spät",
        subjects=[first, second],
        dates=[{"start_date": today() + timedelta(days=60)}],
    )
    soon_both = make_course(
        course.provider,
        "Beide bald",
        subjects=[first, second, third],
        dates=[{"start_date": today() + timedelta(days=5)}],
    )
    soon_one = make_course(
        course.provider,
        "Eines bald",
        subjects=[second],
        dates=[{"start_date": today() + timedelta(days=1)}],
    )
    make_course(course.provider, "Entwurf", subjects=[first], status=Course.Status.DRAFT)
    make_course(course.provider, "Anderes", subjects=[third])
    found = similar_courses(course, limit=50)
    mine = [c.title for c in found if c.provider_id == course.provider_id]
    assert mine == [soon_both.title, late_both.title, soon_one.title]
    # Both subjects before one: the demo courses sharing one come after the late one.
    titles = [c.title for c in found]
    assert titles.index(late_both.title) < titles.index(soon_one.title)
    assert all(
        {first.pk, second.pk} <= {s.pk for s in c.subjects.all()}
        for c in found[: titles.index(late_both.title) + 1]
    )
    assert course not in found and "Entwurf" not in {c.title for c in found}
    assert "Anderes" not in {c.title for c in found}
    assert len(similar_courses(course, limit=2)) == 2
