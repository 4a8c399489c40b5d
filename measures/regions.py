"""What a region offers: current courses (by subject and by district), providers, networks,
and the map. Reads for ``/regionen/`` and ``/regionen/<key>/``.

A course is in a region when one of its current dates is held at a venue there; a provider
when its address or one of its venues is there. A state's figures therefore include its
districts' (the keys of a state's districts start with the state's key).
"""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from core import generations
from measures.models import Course, CourseDate, Subject
from measures.provider_filters import in_region
from measures.provider_search import current_course_count, provider_counts_by_region, providers
from network import maps
from network.models import Network, Region

REGION_KEY = re.compile(r"^[0-9A-Z]{1,12}$")
COUNTRY = "DE"
PROVIDERS_SHOWN = 12
COURSE_SEARCH_KINDS = (Region.Kind.STATE, Region.Kind.GOVERNMENT_REGION, Region.Kind.DISTRICT)
CACHE_SECONDS = 60


def _cached(key: str, compute):
    """Counts over all current dates are costly at national scale: keep them for a minute, and
    drop them when indexed course data changes (the course search's generation)."""
    full_key = f"atlas:regions:{generations.search()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, CACHE_SECONDS)
    return value


def _dates_in(region: Region):
    """Current dates of published courses held in the region."""
    dates = CourseDate.objects.current().filter(course__status=Course.Status.PUBLISHED)
    if region.kind == Region.Kind.COUNTRY:
        return dates.filter(venue__region__country=region.country)
    return dates.filter(venue__region__key__startswith=region.key)


def course_count(region: Region) -> int:
    return _cached(
        f"total:{region.key}",
        lambda: _dates_in(region).aggregate(n=Count("course_id", distinct=True))["n"],
    )


def course_counts_by(region: Region, length: int) -> dict[str, int]:
    """Current courses per region below ``region``, keyed by the first ``length`` key chars."""
    return _cached(f"by:{region.key}:{length}", lambda: _course_counts_by(region, length))


def _course_counts_by(region: Region, length: int) -> dict[str, int]:
    return dict(
        _dates_in(region)
        .filter(venue__region__isnull=False)
        .annotate(area=Substr("venue__region__key", 1, length))
        .values("area")
        .annotate(n=Count("course_id", distinct=True))
        .values_list("area", "n")
        .order_by()
    )


def subjects_in(region: Region) -> list[Subject]:
    """Top-level subjects with the number of current courses in the region filed under them."""
    through = Course.subjects.through
    counts = _cached(
        f"subjects:{region.key}",
        lambda: dict(
            through.objects.filter(course__in=_dates_in(region).values("course_id"))
            .annotate(area=Coalesce("subject__parent_id", "subject_id"))
            .values("area")
            .annotate(n=Count("course_id", distinct=True))
            .values_list("area", "n")
            .order_by()
        ),
    )
    areas = list(Subject.objects.filter(parent__isnull=True).order_by("position", "name"))
    for area in areas:
        area.course_count = counts.get(area.pk, 0)
    return [area for area in areas if area.course_count]


def providers_in(region: Region):
    found = providers().filter(in_region(region))
    shown = list(
        found.annotate(course_count=current_course_count()).order_by("-course_count", "name", "pk")[
            :PROVIDERS_SHOWN
        ]
    )
    return shown, found.count()


def networks_covering(region: Region) -> list[Network]:
    """Networks covering the region, a region above it, or a region within it."""
    if region.kind == Region.Kind.COUNTRY:
        condition = Q(regions__country=region.country)
    else:
        above = [ancestor.key for ancestor in _ancestors(region)]
        condition = Q(regions__key__startswith=region.key, regions__country=region.country) | Q(
            regions__key__in=above
        )
    return list(Network.objects.filter(condition).distinct().order_by("name"))


def _ancestors(region: Region) -> list[Region]:
    chain, node = [], region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def course_search_url(region: Region, subject: Subject | None = None) -> str:
    url = reverse("measures:course_list")
    params = []
    if region.kind in COURSE_SEARCH_KINDS:
        params.append(f"region={region.key}")
    if subject is not None:
        params.append(f"subject={subject.slug}")
    return url + ("?" + "&".join(params) if params else "")


def provider_search_url(region: Region) -> str:
    url = reverse("measures:provider_list")
    if region.kind in COURSE_SEARCH_KINDS:
        return f"{url}?region={region.key}"
    return url


# Maps and their tables ----------------------------------------------------------------------


def _map_for(region: Region):
    """The map a region page shows: the states (Germany), the districts of a state or
    government region, or a district's state with the district marked; None elsewhere."""
    if region.country != COUNTRY:
        return None, None
    if region.kind == Region.Kind.COUNTRY:
        drawn = maps.outlines(Region.objects.states(), "states")
        counts = course_counts_by(region, 2)
        providers_by = provider_counts_by_region(providers(), None)
        title = _("Karte: aktuelle Kurse je Bundesland")
        return (drawn, counts, providers_by, title, None), region
    if region.kind in (Region.Kind.STATE, Region.Kind.GOVERNMENT_REGION):
        area = region
        current = None
    elif region.kind == Region.Kind.DISTRICT:
        area = next((a for a in _ancestors(region) if a.kind == Region.Kind.STATE), None)
        current = region.key
        if area is None:
            return None, None
    else:
        return None, None
    drawn = maps.outlines(
        Region.objects.districts().filter(key__startswith=area.key), f"districts-{area.key}"
    )
    counts = course_counts_by(area, 5)
    providers_by = provider_counts_by_region(providers(), area)
    title = _("Karte: aktuelle Kurse je Kreis in %(region)s") % {"region": area.name}
    return (drawn, counts, providers_by, title, current), area


def map_and_table(region: Region):
    """The map (or None) and its table rows: (name, url, courses, providers, current)."""
    spec, area = _map_for(region)
    if spec is None:
        return None, []
    drawn, counts, providers_by, title, current = spec
    provider_counts = {key: count for key, _name, count in providers_by}
    description = _(
        "Je dunkler eine Fläche, desto mehr aktuelle Kurse gibt es dort. Jede Fläche ist ein "
        "Link zur Seite der Region. Dieselben Zahlen stehen in der Tabelle neben der Karte."
    )
    region_map = maps.region_map(
        drawn,
        counts,
        title=title,
        description=description,
        current_key=current,
        ident=f"karte-{area.key}",
    )
    rows = [
        {
            "name": shape.name,
            "url": shape.url,
            "courses": shape.count,
            "providers": provider_counts.get(shape.key, 0),
            "current": shape.current,
        }
        for shape in sorted(region_map.shapes, key=lambda shape: shape.name)
    ]
    return region_map, rows


# Page contexts ------------------------------------------------------------------------------


def region_page(key: str) -> dict | None:
    region = (
        Region.objects.select_related("parent", "parent__parent", "parent__parent__parent")
        .defer("boundary", "parent__boundary", "parent__parent__boundary")
        .defer("parent__parent__parent__boundary")
        .filter(key=key)
        .first()
    )
    if region is None:
        return None
    region_map, rows = map_and_table(region)
    shown_providers, provider_total = providers_in(region)
    children = []
    if region.kind in (Region.Kind.STATE, Region.Kind.COUNTRY):
        children = list(
            Region.objects.filter(parent=region, kind=Region.Kind.GOVERNMENT_REGION)
            .defer("boundary")
            .order_by("name")
        )
    return {
        "region": region,
        "ancestors": _ancestors(region),
        "course_count": course_count(region),
        "subjects": [
            (subject, course_search_url(region, subject)) for subject in subjects_in(region)
        ],
        "providers": shown_providers,
        "provider_total": provider_total,
        "networks": networks_covering(region),
        "course_search_url": course_search_url(region),
        "provider_search_url": provider_search_url(region),
        "map": region_map,
        "table": rows,
        "government_regions": children,
    }


def overview() -> dict:
    """``/regionen/``: Germany's page, plus the regions the networks cover elsewhere."""
    context = region_page(COUNTRY) or {}
    context["other_regions"] = list(
        Region.objects.exclude(country=COUNTRY)
        .filter(networks__isnull=False)
        .defer("boundary")
        .distinct()
        .order_by("name")
    )
    context["covered"] = list(
        Region.objects.filter(networks__isnull=False, country=COUNTRY)
        .defer("boundary")
        .distinct()
        .order_by("key")
    )
    return context
