"""Small factories that keep related objects in one tenant (one provider and its venues).

Search tests use a provider of their own and filter by it, so the demo data loaded for the
session does not change what they count.
"""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from measures.models import Course, CourseDate
from measures.search import refresh_search_vectors, refresh_search_words
from network.models import Organisation, PostalCode, Region, Venue

_numbers = itertools.count(1)


def today():
    return timezone.localdate()


def make_provider(name: str | None = None, **fields) -> Organisation:
    number = next(_numbers)
    name = name or f"Testakademie {number}"
    return Organisation.objects.create(
        name=name, slug=f"test-provider-{number}", is_provider=True, kind="vhs", **fields
    )


def make_venue(provider: Organisation, postal_code: str, **fields) -> Venue:
    """A venue at the centre of a real postal code (with its district)."""
    row = PostalCode.objects.filter(code=postal_code).select_related("district").first()
    assert row is not None, f"postal code {postal_code} not loaded"
    return Venue.objects.create(
        organisation=provider,
        name=fields.pop("name", f"Haus {row.place}"),
        street=fields.pop("street", "Hauptstraße 1"),
        postal_code=postal_code,
        city=row.place,
        region=row.district,
        latitude=row.latitude,
        longitude=row.longitude,
        **fields,
    )


def make_course(
    provider: Organisation,
    title: str,
    *,
    dates=None,
    keywords=(),
    subjects=(),
    target_groups=(),
    funding=(),
    **fields,
) -> Course:
    number = next(_numbers)
    fields.setdefault("status", Course.Status.PUBLISHED)
    fields.setdefault("price", Decimal("100.00"))
    course = Course.objects.create(
        provider=provider, title=title, slug=f"test-course-{number}", **fields
    )
    if keywords:
        course.keywords.set(list(keywords))
    course.subjects.set(subjects)
    course.target_groups.set(target_groups)
    course.funding.set(funding)
    for date_fields in dates if dates is not None else [{}]:
        make_date(course, **date_fields)
    refresh_search_vectors([course.pk])
    return course


def make_date(course: Course, **fields) -> CourseDate:
    if fields.get("rolling_start"):
        fields.setdefault("start_date", None)
    else:
        fields.setdefault("start_date", today() + timedelta(days=14))
    fields.setdefault("weekdays", [0])
    fields.setdefault("start_time", time(18, 0))
    fields.setdefault("end_time", time(20, 0))
    return CourseDate.objects.create(course=course, **fields)


def refresh_words():
    refresh_search_words()


def state(key: str) -> Region:
    return Region.objects.get(key=key)
