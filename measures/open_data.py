"""Open data of the course search: exports of any search's result (CSV, XLSX, iCalendar,
JSON) and feeds of new courses (RSS and Atom) for any search and per provider.

Every export and feed takes the parameters of ``/kurse/`` and finds the courses with the same
query code (``course_search_ids``), in the page's order. Up to ``EXPORT_MAX_ROWS`` courses
(default 10,000) are streamed directly, in batches at constant memory; a larger result gets a
page offering to prepare the file as a background job (``measures.export_jobs``, up to
``EXPORT_JOB_MAX_ROWS``) or, above that, asking to narrow the search.
"""

from __future__ import annotations

import itertools

import numpy as np
from django.contrib.syndication.views import Feed
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import listing
from core.sql import AnyOf
from measures import export_job_views, exports, selectors
from measures.course_search import course_search_found, course_search_ids
from measures.exports import export_limit
from network.models import Organisation

FEED_ITEMS = 30


@require_http_methods(["GET", "HEAD", "POST"])
def course_export(request, kind: str):
    """The search's result (the parameters of /kurse/, without its page) as a file, streamed;
    a larger result gets a page offering to prepare the file in the background, which a POST
    to the same address starts (``export_job_views``)."""
    if kind not in exports.CONTENT_TYPES:
        raise Http404("No such format")
    params = exports.export_params(request.GET)
    if request.method == "POST":
        return export_job_views.start(request, kind, params)
    limit = exports.export_limit(kind)
    ids, count = course_search_ids(params=params, limit=limit + 1)
    if count > limit:
        return export_job_views.offer(request, kind, params, count=count)
    items = exports.export_rows(ids, base_url=f"{request.scheme}://{request.get_host()}")
    response = StreamingHttpResponse(
        exports.chunks(kind, items, count=count, host=request.get_host()),
        content_type=exports.CONTENT_TYPES[kind],
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(kind)}"'
    return response


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
        return exports.search_url(params)

    def description(self, params):
        return _("Die zuletzt veröffentlichten Kurse dieser Suche.")

    def items(self, params):
        return _newest_of(course_search_found(params=params))

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


def _newest_of(ids: np.ndarray) -> list:
    """The newest ``FEED_ITEMS`` public courses among these ids (in no order)."""
    public = selectors.public_courses()
    if len(ids) <= SCAN_ABOVE:
        return _newest(public.filter(AnyOf("pk", ids.tolist())))  # one array parameter
    # Membership as a mask over the ids (a million found: 3 ms, where a set of them took
    # 0.2 s), then the newest public courses read along the index until enough are found.
    found = np.zeros(int(ids.max()) + 1, dtype=bool)
    found[ids] = True
    chosen: list[int] = []
    latest = public.order_by(*NEWEST).values_list("pk", flat=True)
    for start in itertools.count(0, SCAN_CHUNK):  # ends with the last public course
        chunk = np.fromiter(latest[start : start + SCAN_CHUNK], dtype=np.int64)
        inside = chunk[chunk < found.size]
        chosen += inside[found[inside]].tolist()
        if len(chosen) >= FEED_ITEMS or len(chunk) < SCAN_CHUNK:
            break
    chosen = chosen[:FEED_ITEMS]
    courses = {course.pk: course for course in _newest(public.filter(pk__in=chosen))}
    return [courses[pk] for pk in chosen if pk in courses]


__all__ = [
    "CourseAtomFeed",
    "CourseFeed",
    "ProviderAtomFeed",
    "ProviderFeed",
    "course_export",
    "export_limit",
]
