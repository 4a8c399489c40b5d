"""sitemap.xml: every public page, in sections, written by the project as a stream.

``/sitemap.xml`` is the index: one entry per file of every section (``?p=N`` from the second
file on), each with its section's latest change where the section knows it. A section file
holds up to ``PAGE_SIZE`` addresses, written straight to the response: Django's sitemap views
render each address through a template (0.6 s for 2,000 providers, 0.9 s for a file of 5,000
courses). The course section reads its file's ids from the search index (it holds exactly the
public courses, in id order), so a late file costs no ``OFFSET`` over the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from math import ceil
from xml.sax.saxutils import escape

from django.db.models import DateField, Max
from django.db.models.functions import Cast
from django.urls import reverse

from measures import search_index
from measures.models import Course
from network.models import Event, Network, Organisation, Project, Region, WorkingGroup
from pages.models import InfoPage

PAGE_SIZE = 5000
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"

Entry = tuple[str, datetime | date | None]  # a path and its last change (or None)


def _prefix(name: str, argument: str = "slug") -> str:
    """The path of ``name`` for the ``argument`` "x", without "x/": one reverse() per file."""
    return reverse(name, kwargs={argument: "x"})[:-2]


class Section:
    """One section of the sitemap: its number of addresses, a file of them, its latest change."""

    def count(self) -> int:
        raise NotImplementedError

    def pages(self) -> int:
        return max(1, ceil(self.count() / PAGE_SIZE))

    def entries(self, page: int) -> list[Entry]:
        raise NotImplementedError

    def latest(self) -> datetime | None:
        return None


class ListedSection(Section):
    """A section small enough to list at once."""

    def listed(self) -> list[Entry]:
        raise NotImplementedError

    def _all(self) -> list[Entry]:
        if not hasattr(self, "_listed"):
            self._listed = self.listed()
        return self._listed

    def count(self) -> int:
        return len(self._all())

    def entries(self, page: int) -> list[Entry]:
        return self._all()[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


class StaticSection(ListedSection):
    """The site's fixed pages."""

    names = (
        "atlas:home",
        "measures:course_list",
        "measures:provider_list",
        "network:partner_list",
        "measures:region_list",
        "network:network_list",
        "atlas:info_index",
        "atlas:imprint",
        "atlas:privacy",
        "atlas:accessibility",
        "atlas:easy_language",
        "atlas:data_sources",
    )

    def listed(self) -> list[Entry]:
        return [(reverse(name), None) for name in self.names]


class InfoPageSection(ListedSection):
    def listed(self) -> list[Entry]:
        prefix = _prefix("atlas:info_page")
        return [
            (f"{prefix}{slug}/", updated)
            for slug, updated in InfoPage.objects.filter(is_published=True, purpose="")
            .order_by("pk")
            .values_list("slug", "updated_at")
        ]

    def latest(self) -> datetime | None:
        return max((updated for _, updated in self._all()), default=None)


class CourseSection(Section):
    """Current published courses (out-of-date pages stay reachable but are not advertised)."""

    def __init__(self):
        self.ids = search_index.current_index().public_ids()

    def count(self) -> int:
        return len(self.ids)

    def entries(self, page: int) -> list[Entry]:
        ids = self.ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        if not len(ids):
            return []
        wanted = set(ids.tolist())
        prefix = _prefix("measures:course_detail")
        # One range of the primary key (a list of 5,000 ids costs more to send and match than
        # the few rows of the range that are not public).
        rows = (
            Course.objects.filter(pk__range=(int(ids[0]), int(ids[-1])), status="published")
            .order_by("pk")
            .values_list("pk", "slug", Cast("updated_at", DateField()))
        )
        return [(f"{prefix}{slug}/", day) for pk, slug, day in rows if pk in wanted]

    def latest(self) -> datetime | None:
        # Read backwards along course_updated_idx until the first public course.
        return Course.objects.public().aggregate(latest=Max("updated_at"))["latest"]


class OrganisationSection(Section):
    """Providers and the networks' public partners."""

    def count(self) -> int:
        return Organisation.objects.public().count()

    def entries(self, page: int) -> list[Entry]:
        prefix = _prefix("measures:provider_detail")
        rows = (
            Organisation.objects.public()
            .order_by("pk")
            .values_list("slug", "updated_at")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        )
        return [(f"{prefix}{slug}/", updated) for slug, updated in rows]

    def latest(self) -> datetime | None:
        return Organisation.objects.public().aggregate(latest=Max("updated_at"))["latest"]


class NetworkSection(ListedSection):
    """Networks with their working groups, projects, events and their lists."""

    def listed(self) -> list[Entry]:
        paths = []
        for slug in Network.objects.order_by("pk").values_list("slug", flat=True):
            paths.append(reverse("network:network_detail", kwargs={"slug": slug}))
            paths.append(reverse("network:project_list", kwargs={"network": slug}))
            paths.append(reverse("network:event_list", kwargs={"network": slug}))
        for model, name in (
            (WorkingGroup, "network:working_group_detail"),
            (Project, "network:project_detail"),
            (Event, "network:event_detail"),
        ):
            rows = model.objects.values_list("network__slug", "slug").order_by("pk")
            for network_slug, slug in rows:
                paths.append(reverse(name, kwargs={"network": network_slug, "slug": slug}))
        return [(path, None) for path in paths]


class RegionSection(ListedSection):
    """States, government regions and districts of Germany, and the networks' other regions."""

    def listed(self) -> list[Entry]:
        german = (
            Region.objects.filter(country="DE")
            .exclude(kind__in=[Region.Kind.COUNTRY, Region.Kind.MUNICIPALITY])
            .order_by("key")
            .values_list("key", flat=True)
        )
        elsewhere = (
            Region.objects.filter(networks__isnull=False)
            .exclude(country="DE")
            .order_by("key")
            .values_list("key", flat=True)
            .distinct()
        )
        prefix = _prefix("measures:region_detail", "key")
        return [(f"{prefix}{key}/", None) for key in [*german, *elsewhere]]


SITEMAPS: dict[str, type[Section]] = {
    "seiten": StaticSection,
    "informationen": InfoPageSection,
    "kurse": CourseSection,
    "anbieter": OrganisationSection,
    "netzwerk": NetworkSection,
    "regionen": RegionSection,
}


def _lastmod(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    day = moment.date() if isinstance(moment, datetime) else moment
    return f"<lastmod>{day.isoformat()}</lastmod>"


def index_lines(base: str) -> Iterator[str]:
    """The index: every file of every section, with the section's latest change."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<sitemapindex xmlns="{NAMESPACE}">\n'
    for name, section_class in SITEMAPS.items():
        section = section_class()
        lastmod = _lastmod(section.latest())
        location = base + reverse("atlas:sitemap_section", kwargs={"section": name})
        for page in range(1, section.pages() + 1):
            address = location if page == 1 else f"{location}?p={page}"
            yield f"<sitemap><loc>{escape(address)}</loc>{lastmod}</sitemap>\n"
    yield "</sitemapindex>\n"


def section_chunks(base: str, entries: list[Entry], lines: int = 500) -> Iterator[str]:
    """One file of a section, in chunks of ``lines`` addresses (a chunk per address costs the
    response more than writing it)."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NAMESPACE}">\n'
    base = escape(base)
    for start in range(0, len(entries), lines):
        yield "".join(
            f"<url><loc>{base}{escape(path)}</loc>{_lastmod(updated)}</url>\n"
            for path, updated in entries[start : start + lines]
        )
    yield "</urlset>\n"
