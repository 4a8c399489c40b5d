"""The synthetic data set and the benchmark command (run small; the figures are in the README)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from measures.models import Course, CourseDate
from measures.synthetic import MARK, PREFIX
from network.models import Organisation, Region

pytestmark = pytest.mark.django_db


def test_generates_marked_courses_with_dates_spread_over_districts():
    call_command("generate_synthetic", courses=120, dates_per_course=4, stdout=StringIO())
    courses = Course.objects.filter(external_id__startswith=PREFIX)
    assert courses.count() == 120
    assert CourseDate.objects.filter(course__in=courses).count() == 480
    assert all(MARK in description for description in courses.values_list("description", flat=True))
    providers = Organisation.objects.filter(slug__startswith=PREFIX)
    assert providers.count() >= 2
    assert all(name.endswith("(synthetisch)") for name in providers.values_list("name", flat=True))
    states = {key[:2] for key in providers.values_list("region__key", flat=True)}
    assert len(states) >= 2
    # Searchable at once: vectors are filled.
    assert not courses.filter(search_document__isnull=True).exists()
    assert courses.filter(subjects__isnull=False).distinct().count() == 120


def test_delete_removes_exactly_the_synthetic_data():
    before = Course.objects.count(), Organisation.objects.count()
    call_command("generate_synthetic", courses=60, stdout=StringIO())
    call_command("generate_synthetic", delete=True, stdout=StringIO())
    assert (Course.objects.count(), Organisation.objects.count()) == before


def test_benchmark_prints_p50_p95_and_queries_per_kind():
    call_command("generate_synthetic", courses=60, stdout=StringIO())
    out = StringIO()
    call_command("benchmark_search", repeat=2, stdout=out)
    index_line, *lines = out.getvalue().splitlines()
    assert re.fullmatch(
        r"index: \d+ public courses, \d+ current dates, built in \d+ ms, \d+ MB", index_line
    )
    public = Course.objects.public().count()
    assert index_line.startswith(f"index: {public} public courses") and public > 60
    assert lines[0].split() == [
        "kind",
        "n",
        "cold",
        "p50",
        "cold",
        "p95",
        "warm",
        "p50",
        "warm",
        "p95",
        "queries",
        "status",
    ]
    kinds = [line[:20].strip() for line in lines[1:]]
    assert kinds == [
        "free text",
        "text + region",
        "postcode + radius",
        "filters only",
        "rare term",
        "typo",
        "page 50",
    ]
    for line in lines[1:]:
        *_kind, cold50, cold95, warm50, warm95, queries, status = line.split()
        assert status == "ok"
        assert 0 < float(cold50) <= float(cold95) and 0 < float(warm50) <= float(warm95)
        assert all(0 < int(number) <= 10 for number in queries.split("-"))
    assert Region.objects.exists()
