"""Maps drawn by the server as SVG from the region boundaries (no tiles, no map library).

A map shows a set of regions (the states of Germany, or the districts of a state), each shaded
by a number (the current courses there) and each a link to its region page with an accessible
name. The page shows the same figures in a table beside it.

Boundaries come from ``Region.boundary`` (already simplified to about 1 km when loaded). For a
map they are projected (equirectangular, longitudes shortened by the cosine of the middle
latitude), fitted into the picture and simplified again to what the picture can show (about
half a pixel), then rounded to tenths of a pixel. The drawn outlines are cached: they change
only when the reference data is loaded again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.core.cache import caches
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import geo
from network.models import Region

MAX_WIDTH, MAX_HEIGHT = 560.0, 640.0
MARGIN = 4.0
TOLERANCE_PX = 0.5
MIN_AREA_PX = 1.0  # islands smaller than this (in square pixels) are left out
CACHE_SECONDS = 60 * 60 * 24
CACHE_VERSION = 1
SHADES = 5  # shade 0 is "none", shades 1..SHADES are the classes


@dataclass
class Outline:
    key: str
    name: str
    d: str  # SVG path data


@dataclass
class Outlines:
    width: float
    height: float
    shapes: list[Outline]


@dataclass
class Shape:
    key: str
    name: str
    d: str
    url: str
    count: int
    shade: int
    label: str
    current: bool = False


@dataclass
class LegendEntry:
    shade: int
    label: str


@dataclass
class RegionMap:
    title: str
    description: str
    width: float
    height: float
    shapes: list[Shape] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    ident: str = "karte"

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    # As text: the template would format floats for the locale ("475,4").
    @property
    def width_text(self) -> str:
        return f"{self.width:g}"

    @property
    def height_text(self) -> str:
        return f"{self.height:g}"


# Outlines -----------------------------------------------------------------------------------


def outlines(regions_queryset, cache_key: str) -> Outlines:
    """The projected, simplified outlines of the regions (cached under ``cache_key``)."""
    key = f"atlas:map:{CACHE_VERSION}:{cache_key}"
    found = caches["local"].get(key)
    if found is None:
        rows = list(
            regions_queryset.exclude(boundary=None)
            .order_by("key")
            .values_list("key", "name", "official_kind", "kind", "boundary")
        )
        found = draw_outlines(
            [
                (row_key, _display_name(name, official, kind), boundary)
                for row_key, name, official, kind, boundary in rows
            ]
        )
        caches["local"].set(key, found, CACHE_SECONDS)
    return found


def _display_name(name: str, official_kind: str, kind: str) -> str:
    if kind == Region.Kind.DISTRICT and official_kind:
        return f"{name} ({official_kind})"
    return name


def draw_outlines(rows: list[tuple[str, str, dict]]) -> Outlines:
    """Project and fit GeoJSON (Multi)Polygons into one picture; rows are (key, name, geometry)."""
    geometries = [(key, name, geo.polygons(geometry)) for key, name, geometry in rows]
    points = [
        point
        for _key, _name, polygons in geometries
        for polygon in polygons
        for point in polygon[0]
    ]
    if not points:
        return Outlines(width=MAX_WIDTH, height=MAX_WIDTH / 2, shapes=[])
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    x_scale = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * x_scale, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min((MAX_WIDTH - 2 * MARGIN) / span_x, (MAX_HEIGHT - 2 * MARGIN) / span_y)
    width = round(span_x * scale + 2 * MARGIN, 1)
    height = round(span_y * scale + 2 * MARGIN, 1)
    km_per_px = geo.KM_PER_DEGREE / scale

    def project(point):
        return (
            MARGIN + (point[0] - west) * x_scale * scale,
            MARGIN + (north - point[1]) * scale,
        )

    shapes = []
    for key, name, polygons in geometries:
        largest = max(polygons, key=geo.polygon_area)
        parts = []
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                simplified = geo.simplify(list(ring), TOLERANCE_PX * km_per_px)
                projected = _dedupe([project(point) for point in simplified])
                if len(projected) < 3:
                    continue
                area = abs(_area(projected))
                if area < MIN_AREA_PX and not (polygon is largest and index == 0):
                    continue
                parts.append(_path(projected))
        shapes.append(Outline(key=key, name=name, d="".join(parts)))
    return Outlines(width=width, height=height, shapes=shapes)


def _dedupe(points):
    """Round to tenths of a pixel and drop repeated points (and a closing repeat)."""
    rounded = []
    for x, y in points:
        point = (round(x, 1), round(y, 1))
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    return rounded


def _area(points) -> float:
    total = 0.0
    for index, (x1, y1) in enumerate(points):
        x2, y2 = points[(index + 1) % len(points)]
        total += x1 * y2 - x2 * y1
    return total / 2


def _path(points) -> str:
    first, *rest = points
    return f"M{first[0]:g} {first[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest) + "Z"


# Shading ------------------------------------------------------------------------------------


def _nice_floor(value: float) -> int:
    """The largest of 1, 2, 5, 10, 20, 50 … not above the value (at least 1)."""
    if value < 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * magnitude <= value:
            return int(step * magnitude)
    return int(magnitude)


def class_bounds(maximum: int) -> list[int]:
    """Upper bounds of the shade classes 1..n for counts from 1 to ``maximum`` (log scale)."""
    if maximum <= 0:
        return []
    bounds = []
    for step in range(1, SHADES):
        bound = _nice_floor(maximum ** (step / SHADES))
        if bound < maximum and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    bounds.append(maximum)
    return bounds


def shade_of(count: int, bounds: list[int]) -> int:
    if count <= 0:
        return 0
    for index, bound in enumerate(bounds, start=1):
        if count <= bound:
            return index
    return len(bounds)


def legend(bounds: list[int]) -> list[LegendEntry]:
    entries = [LegendEntry(0, _("keine aktuellen Kurse"))]
    low = 1
    for index, bound in enumerate(bounds, start=1):
        if low == bound:
            text = ngettext("%(low)s Kurs", "%(low)s Kurse", low) % {"low": low}
        else:
            text = _("%(low)s bis %(high)s Kurse") % {"low": low, "high": bound}
        entries.append(LegendEntry(index, text))
        low = bound + 1
    return entries


def region_map(
    drawn: Outlines,
    counts: dict[str, int],
    *,
    title: str,
    description: str,
    current_key: str | None = None,
    ident: str = "karte",
) -> RegionMap:
    """The map of the drawn outlines shaded by ``counts`` (region key -> number of courses)."""
    bounds = class_bounds(max((counts.get(shape.key, 0) for shape in drawn.shapes), default=0))
    shapes = []
    for outline in drawn.shapes:
        count = counts.get(outline.key, 0)
        label = ngettext(
            "%(name)s: %(count)s aktueller Kurs", "%(name)s: %(count)s aktuelle Kurse", count
        ) % {"name": outline.name, "count": count}
        shapes.append(
            Shape(
                key=outline.key,
                name=outline.name,
                d=outline.d,
                url=reverse("measures:region_detail", kwargs={"key": outline.key}),
                count=count,
                shade=shade_of(count, bounds),
                label=label,
                current=outline.key == current_key,
            )
        )
    # The current region last, so that its outline is drawn above its neighbours'.
    shapes.sort(key=lambda shape: shape.current)
    return RegionMap(
        title=title,
        description=description,
        width=drawn.width,
        height=drawn.height,
        shapes=shapes,
        legend=legend(bounds),
        ident=ident,
    )
