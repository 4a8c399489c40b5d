"""Exports of a course search's result (CSV, XLSX, iCalendar, JSON) and the feeds of new
courses: the same courses as /kurse/ in the same order, formulas neutralised, the limit, and
the links on the search page and the provider page."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET  # noqa: S405 - our own feeds

import lxml.html
import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from measures import exports, open_data
from measures.calendar import calendar_dates
from measures.course_search import course_search, course_search_found, course_search_ids
from measures.models import Course, CourseDate
from measures.selectors import current_dates
from network.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page_ids(query: str, pages: int = 5) -> list[int]:
    """Every course the search page lists for these parameters, page after page."""
    found = []
    for number in range(1, pages + 1):
        params = QueryDict(query, mutable=True)
        params["page"] = str(number)
        result = course_search(params=params)
        if result.page.number != number:
            break
        found += [course.pk for course in result.page.object_list]
    return found


QUERIES = ["", "q=Deutsch", "place=55116&radius=50&sort=distance", "mode=online&sort=price"]


@pytest.mark.parametrize("query", QUERIES)
def test_csv_holds_the_search_result_in_its_order(client, query):
    response = client.get(reverse("measures:export_csv") + "?" + query + "&page=2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Kennung"
    assert [int(row[0]) for row in rows[1:]] == page_ids(query)


@pytest.mark.parametrize("query", QUERIES)
def test_json_holds_the_search_result_with_its_dates(client, query):
    response = client.get(reverse("measures:export_json") + "?" + query)
    data = json.loads(body(response))
    assert [course["id"] for course in data["courses"]] == page_ids(query)
    assert data["count"] == len(data["courses"])
    first = Course.objects.get(pk=data["courses"][0]["id"])
    assert {d["id"] for d in data["courses"][0]["dates"]} == set(
        CourseDate.objects.current().filter(course=first).values_list("pk", flat=True)
    )


def test_xlsx_holds_the_search_result(client):
    response = client.get(reverse("measures:export_xlsx") + "?q=Deutsch")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Kennung"
    assert [row[0] for row in rows[1:]] == page_ids("q=Deutsch")


def test_ical_holds_every_current_date_of_the_found_courses(client):
    response = client.get(reverse("measures:export_ics") + "?q=Deutsch")
    calendar = Calendar.from_ical(body(response))
    uids = {str(event["uid"]).split("@")[0] for event in calendar.walk("VEVENT")}
    expected = set()
    for pk in page_ids("q=Deutsch"):
        dates = calendar_dates(list(current_dates().filter(course_id=pk)))
        expected |= {f"coursedate-{date.pk}" for date in dates}
    assert expected and uids == expected
    assert calendar.walk("VTIMEZONE")


HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_cells_a_spreadsheet_would_run_are_neutralised(value):
    assert exports.neutralised(value) == "'" + value
    assert exports.neutralised("Deutsch = Sprache") == "Deutsch = Sprache"
    assert exports.neutralised("") == ""


def test_a_hostile_title_is_text_in_csv_and_xlsx(client):
    course = Course.objects.public().filter(title__icontains="Deutsch").first()
    Course.objects.filter(pk=course.pk).update(title="=1+2", summary="@cmd|' /C calc'!A0")
    query = f"?provider={course.provider.slug}"
    text = body(client.get(reverse("measures:export_csv") + query)).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text), delimiter=";")}
    assert rows[str(course.pk)][1] == "'=1+2"
    assert rows[str(course.pk)][4] == "'@cmd|' /C calc'!A0"
    workbook = load_workbook(io.BytesIO(body(client.get(reverse("measures:export_xlsx") + query))))
    cells = {row[0].value: row for row in workbook.active.iter_rows()}
    title = cells[course.pk][1]
    assert title.value == "'=1+2" and title.data_type == "s"


def test_too_many_courses_offer_a_job_or_narrowing_the_search(client, settings):
    """(The background job itself: test_export_jobs.py.)"""
    settings.EXPORT_MAX_ROWS = 5
    response = client.get(reverse("measures:export_csv") + "?q=&sort=date")
    assert response.status_code == 400
    document = lxml.html.fromstring(response.content)
    assert "im Hintergrund vorbereiten" in document.text_content()
    assert "Sie können die Suche auch eingrenzen" in document.text_content()
    back = document.xpath("//main//a/@href")
    assert any(href.startswith(reverse("measures:course_list")) for href in back)
    settings.EXPORT_MAX_ROWS = 10_000
    assert client.get(reverse("measures:export_csv")).status_code == 200


def test_a_calendar_takes_fewer_courses_than_a_table(client, settings):
    """Every date is an event, each ~1 ms to write: 10,000 courses took longer than a web
    worker may (37 s); the calendar has its own, lower limit."""
    settings.EXPORT_MAX_CALENDAR_COURSES = 5
    query = "?q=&sort=date"
    assert client.get(reverse("measures:export_ics") + query).status_code == 400
    assert client.get(reverse("measures:export_csv") + query).status_code == 200
    page = client.get(reverse("measures:course_list")).content.decode()
    assert "in den Kalender höchstens 5" in page


def test_export_reads_in_batches(monkeypatch):
    """Batches of a fixed size: memory does not grow with the result."""
    monkeypatch.setattr(exports, "BATCH", 7)

    ids, count = course_search_ids(params=QueryDict(""), limit=None)
    read = [item.course.pk for item in exports.export_rows(ids, base_url="http://x")]
    assert read == ids and count == len(ids) > 7


def test_search_page_links_the_exports_and_feeds(client):
    response = client.get(reverse("measures:course_list") + "?q=Deutsch&page=1")
    document = lxml.html.fromstring(response.content)
    links = document.xpath('//div[@class="downloads"]//a/@href')
    for name in ("export_csv", "export_xlsx", "export_ics", "export_json", "feed_rss"):
        assert any(link.startswith(reverse(f"measures:{name}") + "?q=Deutsch") for link in links)
    assert not any("page=" in link for link in links)
    alternates = document.xpath('//head/link[@rel="alternate"]')
    assert {link.get("type") for link in alternates} == {
        "application/rss+xml",
        "application/atom+xml",
    }
    for link in alternates:
        assert client.get(link.get("href")).status_code == 200


@pytest.mark.parametrize("name", ["feed_rss", "feed_atom"])
def test_search_feed_lists_the_newest_found_courses(client, name):
    response = client.get(reverse(f"measures:{name}") + "?q=Deutsch")
    assert response.status_code == 200
    root = ET.fromstring(body(response))  # noqa: S314 - our own feed
    links = [el.text or el.get("href") for el in root.iter() if el.tag.endswith("link")]
    found = set(page_ids("q=Deutsch"))
    slugs = dict(Course.objects.filter(pk__in=found).values_list("slug", "pk"))
    listed = [link.rstrip("/").rsplit("/", 1)[-1] for link in links if "/kurse/" in link]
    listed = [slug for slug in listed if slug in slugs]
    assert listed and {slugs[slug] for slug in listed} <= found
    newest = (
        Course.objects.filter(pk__in=found)
        .order_by("-published_at", "-created_at", "-pk")
        .values_list("slug", flat=True)
    )
    assert listed == list(newest)[: len(listed)]


def test_provider_feed_and_its_link(client):
    provider = Organisation.objects.filter(is_provider=True, courses__isnull=False).first()
    page = client.get(reverse("measures:provider_detail", kwargs={"slug": provider.slug}))
    document = lxml.html.fromstring(page.content)
    hrefs = document.xpath('//head/link[@rel="alternate"]/@href')
    assert reverse("measures:provider_feed_rss", kwargs={"slug": provider.slug}) in hrefs
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200
        assert provider.name in body(response).decode()
    missing = client.get(reverse("measures:provider_feed_atom", kwargs={"slug": "gibt-es-nicht"}))
    assert missing.status_code == 404


def test_feed_title_drops_control_characters(client):
    response = client.get(reverse("measures:feed_rss") + "?q=Deutsch%00%07")
    assert response.status_code == 200
    assert "Neue Kurse zu „Deutsch“" in body(response).decode()


def test_a_broad_search_feeds_the_same_newest_courses(client, monkeypatch):
    """Above SCAN_ABOVE found courses the feed reads the newest public courses until enough
    are found: the same items as sorting everything found."""
    expected = body(client.get(reverse("measures:feed_rss") + "?mode=in_person"))
    monkeypatch.setattr(open_data, "SCAN_ABOVE", 0)
    monkeypatch.setattr(open_data, "SCAN_CHUNK", 7)
    assert body(client.get(reverse("measures:feed_rss") + "?mode=in_person")) == expected
    assert expected.count(b"<item>") == min(
        open_data.FEED_ITEMS,
        len(course_search_ids(params=QueryDict("mode=in_person"), limit=None)[0]),
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=Deutsch",
        "q=Deutsh",  # a typo: searched as the spelling it means
        "q=Englisch+Abend+Xylophon",  # partial matches
        "place=55116&radius=50&sort=distance",
        "subject=sprachen&mode=online",
        "q=gibtesnicht",
    ],
)
def test_the_found_ids_are_the_searchs_courses_in_no_order(query):
    """Feeds and the export's count read what the search finds without ordering it: the same
    courses as the ordered ids."""
    params = QueryDict(query)
    ordered, count = course_search_ids(params=params, limit=None)
    found = course_search_found(params=params)
    assert sorted(found.tolist()) == sorted(ordered)
    assert len(found) == count
