"""Small geographic helpers: distances, line simplification, centre points.

Coordinates inside geometries are GeoJSON's ``[longitude, latitude]`` pairs (WGS84); functions
that take or return a single point use ``(latitude, longitude)``, as the models store them.
Everything here is plain Python without Django, so that ``fixtures/geo/build.py`` can use it
outside the project.
"""

import math
from collections.abc import Sequence

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180  # one degree of latitude, about 111.2 km

Point = Sequence[float]  # [longitude, latitude]
Ring = Sequence[Point]  # closed or open; a closing point equal to the first is ignored
Polygon = Sequence[Ring]  # exterior ring first, then holes


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def simplify(points: Sequence[Point], tolerance_km: float) -> list[Point]:
    """Douglas–Peucker simplification of a line of ``[lon, lat]`` points.

    Keeps the first and the last point and every point needed so that no dropped point lies
    further than ``tolerance_km`` from the simplified line. Distances are measured in a local
    equirectangular projection (longitudes shortened by the cosine of the mean latitude), which
    is exact enough at the scale of a district.
    """
    if len(points) < 3:
        return list(points)
    mean_lat = sum(p[1] for p in points) / len(points)
    x_scale = math.cos(math.radians(mean_lat)) * KM_PER_DEGREE
    xy = [(p[0] * x_scale, p[1] * KM_PER_DEGREE) for p in points]

    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, max_distance = -1, tolerance_km
        for index in range(first + 1, last):
            distance = _segment_distance(xy[index], xy[first], xy[last])
            if distance > max_distance:
                farthest, max_distance = index, distance
        if farthest > 0:
            keep[farthest] = True
            stack.append((first, farthest))
            stack.append((farthest, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _segment_distance(p, a, b) -> float:
    """Distance from point p to the segment a–b (planar)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length_squared))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _open(ring: Ring) -> Sequence[Point]:
    if len(ring) > 1 and tuple(ring[0]) == tuple(ring[-1]):
        return ring[:-1]
    return ring


def ring_area(ring: Ring) -> float:
    """Signed area in square degrees (shoelace): positive when counter-clockwise."""
    points = _open(ring)
    total = 0.0
    for index, (x1, y1) in enumerate(points):
        x2, y2 = points[(index + 1) % len(points)]
        total += x1 * y2 - x2 * y1
    return total / 2


def polygon_area(polygon: Polygon) -> float:
    """Area of a polygon with holes, in square degrees."""
    return abs(ring_area(polygon[0])) - sum(abs(ring_area(hole)) for hole in polygon[1:])


def polygons(geometry: dict) -> list[Polygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon geometry."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"not a polygon geometry: {geometry['type']}")


def centroid(polygon: Polygon) -> tuple[float, float]:
    """The area-weighted centroid ``(lon, lat)`` of a polygon with holes (planar, in degrees).

    It can lie outside a concave polygon or in a hole; :func:`centre` handles that.
    """
    sum_x = sum_y = sum_area = 0.0
    for index, ring in enumerate(polygon):
        points = _open(ring)
        # Holes count negatively whatever their orientation.
        sign = 1 if (ring_area(ring) >= 0) == (index == 0) else -1
        x0, y0 = points[0]  # shift for numerical stability
        for i, (x1, y1) in enumerate(points):
            x2, y2 = points[(i + 1) % len(points)]
            x1, y1, x2, y2 = x1 - x0, y1 - y0, x2 - x0, y2 - y0
            cross = (x1 * y2 - x2 * y1) * sign
            sum_area += cross
            sum_x += (x1 + x2) * cross + 3 * x0 * cross
            sum_y += (y1 + y2) * cross + 3 * y0 * cross
    if sum_area == 0:
        points = _open(polygon[0])
        return (
            sum(p[0] for p in points) / len(points),
            sum(p[1] for p in points) / len(points),
        )
    return sum_x / (3 * sum_area), sum_y / (3 * sum_area)


def point_in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    """Whether a point lies inside a polygon and outside its holes (even–odd rule)."""
    inside = False
    for ring in polygon:
        points = _open(ring)
        for index, (x1, y1) in enumerate(points):
            x2, y2 = points[index - 1]
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _interior_point(polygon: Polygon, lat: float) -> tuple[float, float] | None:
    """The middle of the widest stretch of the polygon's interior along the given latitude."""
    crossings = []
    for ring in polygon:
        points = _open(ring)
        for index, (x1, y1) in enumerate(points):
            x2, y2 = points[index - 1]
            if (y1 > lat) != (y2 > lat):
                crossings.append(x1 + (lat - y1) * (x2 - x1) / (y2 - y1))
    crossings.sort()
    stretches = list(zip(crossings[::2], crossings[1::2], strict=True))
    if not stretches:
        return None
    west, east = max(stretches, key=lambda stretch: stretch[1] - stretch[0])
    return (west + east) / 2, lat


def centre(geometry: dict) -> tuple[float, float]:
    """A representative centre ``(lat, lon)`` of a (Multi)Polygon, inside it.

    The area-weighted centroid of the largest polygon; where that falls outside (a crescent, or
    a district around a city that is a hole in it), the middle of the widest interior stretch
    on the centroid's latitude (or, failing that, the bounding box's middle latitude).
    """
    largest = max(polygons(geometry), key=polygon_area)
    lon, lat = centroid(largest)
    if point_in_polygon(lon, lat, largest):
        return lat, lon
    lats = [p[1] for p in largest[0]]
    for scan_lat in (lat, (min(lats) + max(lats)) / 2):
        point = _interior_point(largest, scan_lat)
        if point is not None:
            return point[1], point[0]
    return lat, lon
