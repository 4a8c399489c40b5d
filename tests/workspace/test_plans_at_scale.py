"""What keeps the workspace's filters fast at catalogue size, pinned without timing anything:
the conditions are ones an index or a stored column answers (PostgreSQL's plan with
sequential scans discouraged, as it would choose them for a big table)."""

import pytest
from django.db import connection
from django.utils import timezone

from measures.models import Course
from workspace.completeness import filter_by_completeness, with_completeness

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's rollback
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_out_of_date_courses_are_read_along_the_current_until_index():
    # "veraltet" counted every course (0.4 s at 1,000,000): no current date is NULL or
    # before today in the index of every status.
    assert "course_current_until_idx" in plan(Course.objects.out_of_date().values("pk"))


def test_the_when_part_of_completeness_reads_no_dates():
    # Looking for a current date per course was most of the filter "unvollständig"; the
    # dates are still read for "where" (a venue or online), once per course.
    day = timezone.localdate()
    for queryset in (
        filter_by_completeness(Course.objects.all(), day, complete=False),
        with_completeness(Course.objects.all(), day),
    ):
        sql = str(queryset.query)
        assert '"current_until" >=' in sql
        # Every search of the dates is the "where" part's.
        dates = sql.count('FROM "measures_coursedate"')
        assert dates and dates == sql.count('"venue_id" IS NOT NULL')
