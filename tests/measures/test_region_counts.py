"""The region pages count from the search index what SQL counts over the current dates: the
courses in a region, per state or district, and per subject area."""

import pytest
from django.db.models import Count
from django.db.models.functions import Coalesce

from measures import regions
from measures.models import Course, CourseDate, Subject
from network.models import Region

pytestmark = pytest.mark.django_db


def dates_in(region):
    dates = CourseDate.objects.current().filter(course__status=Course.Status.PUBLISHED)
    return dates if region is None else dates.filter(region.contains_q("venue__region"))


def sql_count(region):
    return dates_in(region).aggregate(n=Count("course_id", distinct=True))["n"]


def test_counts_per_region_area_and_subject_are_sqls(catalogue):
    germany = Region.objects.get(kind=Region.Kind.COUNTRY, country="DE")
    state = Region.objects.get(key="07", country="DE")
    district = Region.objects.get(key="07315", country="DE")
    for region in (germany, state, district):
        assert regions.course_count(region) == sql_count(region), region.key
    assert regions.course_count(state) > 10
    for region, kind in ((germany, Region.Kind.STATE), (state, Region.Kind.DISTRICT)):
        areas = regions._within(region, kind)
        counted = regions.course_counts_by(areas)
        expected = {area.key: sql_count(area) for area in areas}
        assert counted == {key: n for key, n in expected.items() if n}, region.key
        assert len(counted) > 1
    countries = list(Region.objects.filter(kind=Region.Kind.COUNTRY))
    expected = {country.key: sql_count(country) for country in countries}
    assert regions.course_counts_by(countries) == {k: n for k, n in expected.items() if n}
    assert expected[germany.key]
    through = Course.subjects.through
    expected = dict(
        through.objects.filter(course__in=dates_in(state).values("course_id"))
        .annotate(area=Coalesce("subject__parent_id", "subject_id"))
        .values("area")
        .annotate(n=Count("course_id", distinct=True))
        .values_list("area", "n")
        .order_by()
    )
    shown = {subject.pk: subject.course_count for subject in regions.subjects_in(state)}
    assert shown == {pk: n for pk, n in expected.items() if n} and shown
    assert all(Subject.objects.get(pk=pk).parent_id is None for pk in shown)
