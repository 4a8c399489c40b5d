"""The out-of-date rule, kept by the database: ``Course.current_until`` follows every write."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from measures.models import Course, CourseDate
from tests.factories import make_course, make_provider, today

pytestmark = pytest.mark.django_db


def until(course):
    return Course.objects.values_list("current_until", flat=True).get(pk=course.pk)


@pytest.fixture
def course():
    return make_course(make_provider(), "Kurs", dates=[])


def test_no_dates_means_out_of_date(course):
    assert until(course) is None
    assert course in Course.objects.out_of_date()
    assert course not in Course.objects.current()


def test_the_last_day_of_any_date_counts(course):
    CourseDate.objects.create(
        course=course, start_date=today(), end_date=today() + timedelta(days=9)
    )
    CourseDate.objects.create(course=course, start_date=today() + timedelta(days=20))
    assert until(course) == today() + timedelta(days=20)


def test_rolling_start_is_current_without_end(course):
    CourseDate.objects.create(course=course, rolling_start=True)
    assert until(course) == date(9999, 12, 31)
    assert course in Course.objects.current(today() + timedelta(days=3650))


def test_cancelling_updating_and_deleting_dates_follow(course):
    first = CourseDate.objects.create(course=course, start_date=today() + timedelta(days=5))
    second = CourseDate.objects.create(course=course, start_date=today() + timedelta(days=30))
    second.booking_status = CourseDate.BookingStatus.CANCELLED
    second.save()
    assert until(course) == today() + timedelta(days=5)
    CourseDate.objects.filter(pk=first.pk).update(start_date=today() - timedelta(days=1))
    assert course in Course.objects.out_of_date()
    first.delete()
    second.delete()
    assert until(course) is None


def test_bulk_writes_and_moving_a_date_to_another_course(course):
    other = make_course(course.provider, "Anderer Kurs", dates=[])
    CourseDate.objects.bulk_create(
        [CourseDate(course=course, start_date=today() + timedelta(days=n)) for n in (3, 7)]
    )
    assert until(course) == today() + timedelta(days=7)
    CourseDate.objects.filter(course=course).update(course=other)
    assert until(course) is None
    assert until(other) == today() + timedelta(days=7)


def test_a_date_ends_being_current_after_its_last_day(course):
    CourseDate.objects.create(
        course=course, start_date=today() - timedelta(days=10), end_date=today()
    )
    assert course in Course.objects.current()
    assert course not in Course.objects.current(today() + timedelta(days=1))


def test_over_is_exactly_the_dates_that_are_not_current(course):
    """``CourseDate.objects.over()`` (the workspace's "vergangen oder abgesagt") is the complement
    of ``current()`` for every combination the table allows, NULLs included."""
    days = [None, today() - timedelta(days=3), today(), today() + timedelta(days=3)]
    made = 0
    for status in (CourseDate.BookingStatus.OPEN, CourseDate.BookingStatus.CANCELLED):
        for rolling in (False, True):
            for start in days:
                for end in days:
                    try:
                        with transaction.atomic():
                            CourseDate.objects.create(
                                course=course,
                                booking_status=status,
                                rolling_start=rolling,
                                start_date=start,
                                end_date=end,
                            )
                            made += 1
                    except (IntegrityError, ValidationError):
                        pass  # a combination the table's constraints refuse
    assert made > 20
    every = set(CourseDate.objects.filter(course=course).values_list("pk", flat=True))
    current = set(CourseDate.objects.filter(course=course).current().values_list("pk", flat=True))
    over = set(CourseDate.objects.filter(course=course).over().values_list("pk", flat=True))
    assert current and over
    assert current.isdisjoint(over)
    assert current | over == every
