"""Radius search with PostgreSQL's earthdistance: the venues of a course's dates near a point.

``venue_earth_idx`` (a GiST index on ``ll_to_earth(latitude, longitude)`` of the venues) makes
the bounding-box test an index scan; the exact distance is checked after it.
"""

from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, Q
from django.db.models.expressions import RawSQL

from network.places import Place

METRES_PER_KM = 1000

_VENUES_NEAR = """
SELECT v.id FROM network_venue v
WHERE v.latitude IS NOT NULL AND v.longitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(v.latitude, v.longitude)
  AND earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude)) <= %s
"""


def _near_params(place: Place, radius_km: float) -> tuple:
    metres = radius_km * METRES_PER_KM
    return (place.latitude, place.longitude, metres, place.latitude, place.longitude, metres)


def within_radius(place: Place, radius_km: float) -> Q:
    """A condition on CourseDate: its venue lies within ``radius_km`` of the place.

    Online dates have no place and do not match; the search's help offers the search without
    the place when that finds more."""
    near = RawSQL(_VENUES_NEAR, _near_params(place, radius_km))  # noqa: S611 - constant SQL
    return Q(venue_id__in=near)


def course_within_radius(place: Place, radius_km: float) -> Q:
    """The same on Course, through the venues of its current dates (``Course.facet_venues``)."""
    near = RawSQL(  # noqa: S611 - constant SQL, parameters
        f"ARRAY({_VENUES_NEAR})",
        _near_params(place, radius_km),
        output_field=ArrayField(BigIntegerField()),
    )
    return Q(facet_venues__overlap=near)
