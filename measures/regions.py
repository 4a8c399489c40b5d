"""What a region offers: current courses (by subject and by district), providers, networks,
and the map. Reads for ``/regionen/`` and ``/regionen/<key>/``.

A course is in a region when one of its current dates is held at a venue there; a provider
when its address or one of its venues is there. A region holds the regions of its country whose
key starts with its own, a country all of its country's (``Region.contains``), so a state's
figures include its districts'. Regions of every country work alike; the portal's home
country (Germany, whose boundaries and postal codes the reference data holds) is the overview.
"""

from __future__ import annotations

import re

import numpy as np
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import generations, memo
from measures import search_index
from measures.models import Subject
from measures.provider_filters import in_region
from measures.provider_search import FACET_CACHE_SECONDS, provider_counts_by_region, providers
from measures.vocabulary import vocabulary
from network import maps
from network.models import Network, Region

REGION_KEY = re.compile(r"^[0-9A-Z]{1,12}$")
HOME_COUNTRY = "DE"  # /regionen/ shows it (its own address redirects there)
PROVIDERS_SHOWN = 12


# Course counts come from the search index (``measures.search_index``: the public courses and
# their current dates), as the course search counts them: a few array operations, where
# counting in SQL visited every current date of the region (1.2–1.5 s a count for a state at
# 1,000,000 courses, again after every change).


def _in_region(index, region: Region | None) -> np.ndarray:
    """The index's courses with a current date at a venue in the region (None: anywhere)."""
    return index.courses_at(None if region is None else index.venues_in(region))


def course_count(region: Region) -> int:
    return int(np.count_nonzero(_in_region(search_index.current_index(), region)))


def course_counts_by(areas: list[Region]) -> dict[str, int]:
    """Current courses per area (regions none of which lies within another), by the area's
    key; a course counts once per area."""
    if not areas:
        return {}
    index = search_index.current_index()
    # Areas in the order of the venues' regions (country, key), so that the dates, grouped by
    # course and region, are grouped by area too.
    areas = sorted(areas, key=lambda area: (area.country, area.key))
    counts = index.courses_per_group(index.venue_groups(areas), len(areas))
    return {area.key: int(n) for area, n in zip(areas, counts.tolist(), strict=True) if n}


def subjects_in(region: Region) -> list[Subject]:
    """Top-level subjects with the number of current courses in the region filed under them."""
    index = search_index.current_index()
    counts = index.areas.counts(_in_region(index, region))
    areas = list(Subject.objects.filter(parent__isnull=True).order_by("position", "name"))
    for area in areas:
        area.course_count = counts.get(area.pk, 0)
    return [area for area in areas if area.course_count]


def _kept(name: str, region: Region | None, compute):
    """``compute()``, kept per search generation, day and region, for every worker
    (``core.memo.shared``): the providers of a region are found by their addresses and venues,
    which at 1,000,000 courses and 20,000 providers takes 0.2 s a count. A change of courses,
    venues or providers (their addresses) starts a new generation."""
    where = "-" if region is None else f"{region.country}:{region.key}"
    key = f"atlas:region-{name}:{generations.search()}:{timezone.localdate()}:{where}"
    return memo.shared(key, compute, FACET_CACHE_SECONDS)


def providers_in(region: Region):
    """The region's providers with the most public courses first (counted in the search
    index: counting in SQL visits every provider's courses), and how many there are."""
    counts = search_index.current_index().provider_counts

    def ranked() -> tuple[list[int], int]:
        rows = list(providers().filter(in_region(region)).values_list("pk", "name"))
        rows.sort(key=lambda row: (-counts.get(row[0], 0), row[1], row[0]))
        return [pk for pk, _name in rows[:PROVIDERS_SHOWN]], len(rows)

    top, total = _kept("providers", region, ranked)
    by_pk = providers().in_bulk(top)
    shown = []
    for pk in top:
        if pk not in by_pk:
            continue  # no longer a provider (deleted since the list was kept)
        provider = by_pk[pk]
        provider.course_count = counts.get(pk, 0)
        shown.append(provider)
    return shown, total


def networks_covering(region: Region) -> list[Network]:
    """Networks covering the region, a region above it, or a region within it."""
    above = [ancestor.key for ancestor in _ancestors(region)]
    condition = region.contains_q("regions") | Q(regions__key__in=above)
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
    if region.kind in Region.SEARCHABLE_KINDS:
        params.append(f"region={region.key}")
    if subject is not None:
        params.append(f"subject={subject.slug}")
    return url + ("?" + "&".join(params) if params else "")


def provider_search_url(region: Region) -> str:
    url = reverse("measures:provider_list")
    if region.kind in Region.SEARCHABLE_KINDS:
        return f"{url}?region={region.key}"
    return url


# Maps and their tables ----------------------------------------------------------------------


def _within(region: Region, kind: str) -> list[Region]:
    """The regions of this kind within the region (from the searches' vocabulary)."""
    return [
        item
        for item in vocabulary().regions.values()
        if item.kind == kind and region.contains(item.key, item.country)
    ]


def _map_for(region: Region):
    """The map a region page shows: a country's states, the districts of a state or
    government region, or a district's state with the district marked; None where there
    are no such regions (a country without states, such as Austria in the reference data)."""
    if region.kind == Region.Kind.COUNTRY:
        states = _within(region, Region.Kind.STATE)
        if not states:
            return None, None
        drawn = maps.outlines(Region.objects.states().filter(region.contains_q()), "states")
        counts = course_counts_by(states)
        providers_by = _kept(
            "provider-counts", None, lambda: provider_counts_by_region(providers(), None)
        )
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
    districts = _within(area, Region.Kind.DISTRICT)
    if not districts:
        return None, None
    drawn = maps.outlines(
        Region.objects.districts().filter(area.contains_q()), f"districts-{area.key}"
    )
    counts = course_counts_by(districts)
    providers_by = _kept(
        "provider-counts", area, lambda: provider_counts_by_region(providers(), area)
    )
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
    """``/regionen/``: the home country's page, every country with its current courses, and
    the regions the networks cover."""
    context = region_page(HOME_COUNTRY) or {}
    countries = [item for item in vocabulary().regions.values() if item.kind == Region.Kind.COUNTRY]
    counts = course_counts_by(countries)
    here = reverse("measures:region_list")
    context["countries"] = [
        (
            country,
            here if country.key == HOME_COUNTRY else country.get_absolute_url(),
            counts.get(country.key, 0),
        )
        for country in sorted(countries, key=lambda item: item.name)
    ]
    context["covered"] = list(
        Region.objects.filter(networks__isnull=False)
        .defer("boundary")
        .distinct()
        .order_by("country", "key")
    )
    return context
