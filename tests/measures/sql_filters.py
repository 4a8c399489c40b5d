"""The course search's filters restated in SQL: the oracle the in-memory index is checked
against (``tests/measures/test_search_index.py``). Production filters in
``measures.search_index`` only; nothing here is read outside the tests.

Filters on a course's dates (where, when, weekdays, time of day, mode, the venue's
accessibility, price) must hold for the *same* current date, so they are collected as
conditions on :class:`CourseDate` and applied together as one ``EXISTS`` over the current
dates (modes, venues and their regions are joined from the dates, not read from a summary).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from core.listing import is_empty
from measures.filters import (
    COURSE_ACCESSIBILITY,
    EVENING_START,
    MORNING_END,
    VENUE_ACCESSIBILITY,
    CourseFilter,
)
from measures.models import Course, CourseDate
from measures.vocabulary import vocabulary
from network.places import Place

METRES_PER_KM = 1000

_VENUES_NEAR = """
SELECT v.id FROM network_venue v
WHERE v.latitude IS NOT NULL AND v.longitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(v.latitude, v.longitude)
  AND earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude)) <= %s
"""


def within_radius(place: Place, radius_km: float) -> Q:
    """A condition on CourseDate: its venue lies within ``radius_km`` of the place
    (earthdistance's great circle; online dates have no place and do not match)."""
    metres = radius_km * METRES_PER_KM
    params = (place.latitude, place.longitude, metres, place.latitude, place.longitude, metres)
    return Q(venue_id__in=RawSQL(_VENUES_NEAR, params))  # noqa: S611 - constant SQL


class SqlCourseFilter(CourseFilter):
    """``CourseFilter`` with every filter as a SQL condition: ``.qs`` is what the index finds."""

    def filter_queryset(self, queryset):
        return self.apply(queryset)

    def apply(self, queryset, *, radius_km=None):
        """The queryset with every valid filter applied."""
        self.date_conditions: list[Q] = []
        for name, value in self.form.cleaned_data.items():
            if is_empty(value):
                continue
            queryset = getattr(self, f"filter_{name}")(queryset, value)
        if self.place is not None:
            self.date_conditions.append(within_radius(self.place, radius_km or self.radius_km))
        if self.date_conditions:
            dates = CourseDate.objects.current().filter(course=OuterRef("pk"))
            for condition in self.date_conditions:
                dates = dates.filter(condition)
            queryset = queryset.filter(Exists(dates))
        return queryset

    # Course-level filters filter the queryset, date-level ones add conditions ----------------

    def filter_q(self, queryset, value):
        return queryset  # the full text: see the tests

    filter_place = filter_radius = filter_sort = filter_q

    def filter_region(self, queryset, value):
        self.date_conditions.append(value.contains_q("venue__region"))
        return queryset

    def filter_date_from(self, queryset, value):
        self.date_conditions.append(Q(rolling_start=True) | Q(start_date__gte=value))
        return queryset

    def filter_date_to(self, queryset, value):
        self.date_conditions.append(Q(rolling_start=True) | Q(start_date__lte=value))
        return queryset

    def filter_rolling(self, queryset, value):
        self.date_conditions.append(Q(rolling_start=True))
        return queryset

    def filter_weekday(self, queryset, value):
        self.date_conditions.append(Q(weekdays__overlap=[int(day) for day in value]))
        return queryset

    def filter_time(self, queryset, value):
        condition = Q()
        if "morning" in value:
            condition |= Q(start_time__lt=MORNING_END)
        if "afternoon" in value:
            condition |= Q(start_time__gte=MORNING_END, start_time__lt=EVENING_START)
        if "evening" in value:
            condition |= Q(start_time__gte=EVENING_START)
        if "weekend" in value:
            condition |= Q(weekdays__overlap=[5, 6])
        self.date_conditions.append(condition)
        return queryset

    def filter_mode(self, queryset, value):
        self.date_conditions.append(Q(mode__in=value))
        return queryset

    def filter_max_price(self, queryset, value):
        self.date_conditions.append(
            Q(price__lte=value)
            | Q(price__isnull=True, course__price__lte=value)
            | Q(price__isnull=True, course__price_kind=Course.PriceKind.FREE)
        )
        return queryset

    def filter_free(self, queryset, value):
        self.date_conditions.append(
            Q(price=0)
            | Q(price__isnull=True, course__price_kind=Course.PriceKind.FREE)
            | Q(price__isnull=True, course__price=0)
        )
        return queryset

    def filter_access(self, queryset, value):
        for key in value:
            if key in VENUE_ACCESSIBILITY:
                self.date_conditions.append(Q(**{VENUE_ACCESSIBILITY[key]: True}))
            else:
                queryset = queryset.filter(**{COURSE_ACCESSIBILITY[key]: True})
        return queryset

    # The link tables themselves (the index reads the course's id arrays).
    def filter_funding(self, queryset, value):
        return queryset.filter(funding__in=value).distinct()

    def filter_certificate(self, queryset, value):
        return queryset.filter(certificate_kind__in=value)

    def filter_target_group(self, queryset, value):
        return queryset.filter(target_groups__in=value).distinct()

    def filter_subject(self, queryset, value):
        return queryset.filter(subjects__in=vocabulary().descendant_ids(value)).distinct()

    def filter_language(self, queryset, value):
        return queryset.filter(language__in=value)

    def filter_provider(self, queryset, value):
        return queryset.filter(provider=value)

    def filter_kind(self, queryset, value):
        return queryset.filter(kind__in=value)
