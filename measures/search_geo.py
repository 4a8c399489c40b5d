"""Radius search with PostgreSQL's earthdistance: the venues of a course's dates near a point.

``venue_earth_idx`` (a GiST index on ``ll_to_earth(latitude, longitude)`` of the venues) makes
the bounding-box test an index scan; the exact distance is checked after it.
"""

from django.db.models import FloatField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from network.places import Place

METRES_PER_KM = 1000

_VENUES_NEAR = """
SELECT v.id FROM network_venue v
WHERE v.latitude IS NOT NULL AND v.longitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(v.latitude, v.longitude)
  AND earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude)) <= %s
"""


def within_radius(place: Place, radius_km: float) -> Q:
    """A condition on CourseDate: its venue lies within ``radius_km`` of the place.

    Online dates have no place and do not match; the search's help offers the search without
    the place when that finds more."""
    metres = radius_km * METRES_PER_KM
    params = (place.latitude, place.longitude, metres, place.latitude, place.longitude, metres)
    return Q(venue_id__in=RawSQL(_VENUES_NEAR, params))  # noqa: S611 - constant SQL, parameters


_NEAREST_VENUE = """
SELECT min(earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude))) / 1000
FROM measures_coursedate d
JOIN network_venue v ON v.id = d.venue_id
WHERE d.course_id = measures_course.id AND v.latitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(v.latitude, v.longitude)
  AND d.booking_status <> 'cancelled'
  AND (d.rolling_start OR d.end_date >= %s OR (d.end_date IS NULL AND d.start_date >= %s))
"""


def distance_km_expression(place: Place, radius_km: float) -> RawSQL:
    """The distance in km from the place to the nearest venue, within the radius, of a
    course's current dates (the radius keeps the lookup to the indexed box)."""
    today = timezone.localdate()
    lat, lon = place.latitude, place.longitude
    return RawSQL(  # noqa: S611 - constant SQL, parameters
        _NEAREST_VENUE,
        (lat, lon, lat, lon, radius_km * METRES_PER_KM, today, today),
        output_field=FloatField(),
    )
