"""Open data of the course search: exports of any search's result (CSV, XLSX, iCalendar,
JSON) and feeds of new courses (RSS and Atom) for any search and per provider.

Every export and feed takes the parameters of ``/kurse/`` and finds the courses with the same
query code (``course_search_ids``), in the page's order. Up to ``EXPORT_MAX_ROWS`` courses
(default 10,000) are streamed directly, in batches at constant memory; a larger result gets a
page asking to narrow the search.
"""

from __future__ import annotations

import itertools

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import listing
from core.sql import AnyOf
from measures import exports, selectors
from measures.course_search import course_search_ids
from network.models import Organisation

FEED_ITEMS = 30

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/json",
}


def export_limit(kind: str = "csv") -> int:
    """How many courses an export of this kind takes directly. A calendar holds every date of
    each course and the icalendar package writes ~1 ms per event (10,000 courses: 37 s, more
    than a web worker's timeout), so it takes fewer."""
    if kind == "ics":
        return getattr(settings, "EXPORT_MAX_CALENDAR_COURSES", 2_000)
    return getattr(settings, "EXPORT_MAX_ROWS", 10_000)


def _filename(kind: str) -> str:
    return f"kurse-{timezone.localdate():%Y-%m-%d}.{kind}"


@require_GET
def course_export(request, kind: str):
    """The search's result (the parameters of /kurse/, without its page) as a file."""
    if kind not in FORMATS:
        raise Http404("No such format")
    params = listing.bounded(request.GET)
    params.pop("page", None)
    limit = export_limit(kind)
    ids, count = course_search_ids(params=params, limit=limit + 1)
    if count > limit:
        return render(
            request,
            "measures/export_too_large.html",
            {"count": count, "limit": limit, "search_url": _search_url(params)},
            status=400,
        )
    base_url = f"{request.scheme}://{request.get_host()}"
    items = exports.export_rows(ids, base_url=base_url)
    if kind == "xlsx":
        response = FileResponse(
            exports.xlsx_file(items),
            as_attachment=True,
            filename=_filename(kind),
            content_type=FORMATS[kind],
        )
        return response
    if kind == "csv":
        chunks = exports.csv_chunks(items)
    elif kind == "ics":
        chunks = exports.ical_chunks(
            items, host=request.get_host(), name=_("Kurse – Bildungsatlas")
        )
    else:
        chunks = exports.json_chunks(items, count=count)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[kind])
    response["Content-Disposition"] = f'attachment; filename="{_filename(kind)}"'
    return response


def _search_url(params) -> str:
    query = params.urlencode()
    return reverse("measures:course_list") + (f"?{query}" if query else "")


# Feeds -------------------------------------------------------------------------------------


class CourseFeed(Feed):
    """The newest courses (by publication) among those a search finds."""

    feed_type = Rss201rev2Feed
    description_template = None

    def get_object(self, request, *args, **kwargs):
        params = listing.bounded(request.GET)
        params.pop("page", None)
        params.pop("sort", None)
        return params

    def title(self, params):
        # Only printable characters: XML 1.0 cannot hold control characters (``q=%00``).
        text = "".join(ch for ch in params.get("q", "") if ch.isprintable()).strip()
        if text:
            return _("Neue Kurse zu „%(text)s“ – Bildungsatlas") % {"text": text[:80]}
        return _("Neue Kurse – Bildungsatlas")

    def link(self, params):
        return _search_url(params)

    def description(self, params):
        return _("Die zuletzt veröffentlichten Kurse dieser Suche.")

    def items(self, params):
        ids, _count = course_search_ids(params=params, limit=None)
        return _newest_of(ids)

    def item_title(self, course):
        return course.title

    def item_description(self, course):
        return course.summary

    def item_link(self, course):
        return course.get_absolute_url()

    def item_pubdate(self, course):
        return course.published_at or course.created_at

    def item_updateddate(self, course):
        return course.updated_at

    def item_author_name(self, course):
        return course.provider.name

    def item_guid(self, course):
        return f"course-{course.pk}"

    item_guid_is_permalink = False


class CourseAtomFeed(CourseFeed):
    feed_type = Atom1Feed
    subtitle = CourseFeed.description


class ProviderFeed(CourseFeed):
    """A provider's newest public courses."""

    def get_object(self, request, slug):
        return get_object_or_404(Organisation.objects.filter(is_provider=True), slug=slug)

    def title(self, provider):
        return _("Neue Kurse von %(name)s – Bildungsatlas") % {"name": provider.name}

    def link(self, provider):
        return provider.get_absolute_url()

    def description(self, provider):
        return _("Die zuletzt veröffentlichten Kurse von %(name)s.") % {"name": provider.name}

    def items(self, provider):
        return _newest(selectors.public_courses().filter(provider=provider))


class ProviderAtomFeed(ProviderFeed):
    feed_type = Atom1Feed
    subtitle = ProviderFeed.description


NEWEST = ("-published_at", "-created_at", "-pk")  # the index course_latest_idx, then the id
# A search finding more courses than this is fed by reading the newest public courses until
# enough of them are found (a broad search: a few hundred rows), not by sorting all it found
# (the whole catalogue: 1.3 s at 100,000 courses; 10,000 ids sorted in SQL: ~0.1 s).
SCAN_ABOVE = 10_000
SCAN_CHUNK = 500


def _newest(courses):
    return list(courses.select_related("provider").order_by(*NEWEST)[:FEED_ITEMS])


def _newest_of(ids: list[int]) -> list:
    """The newest ``FEED_ITEMS`` public courses among these ids."""
    public = selectors.public_courses()
    if len(ids) <= SCAN_ABOVE:
        return _newest(public.filter(AnyOf("pk", ids)))  # one array parameter, however many
    wanted, chosen = set(ids), []
    latest = public.order_by(*NEWEST).values_list("pk", flat=True)
    for start in itertools.count(0, SCAN_CHUNK):  # ends with the last public course
        chunk = list(latest[start : start + SCAN_CHUNK])
        chosen += [pk for pk in chunk if pk in wanted]
        if len(chosen) >= FEED_ITEMS or len(chunk) < SCAN_CHUNK:
            break
    chosen = chosen[:FEED_ITEMS]
    courses = {course.pk: course for course in _newest(public.filter(pk__in=chosen))}
    return [courses[pk] for pk in chosen if pk in courses]


__all__ = ["CourseAtomFeed", "CourseFeed", "ProviderAtomFeed", "ProviderFeed"]
