"""The synthetic data set and the benchmark command (run small; the figures are in the README)."""

import re
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from taggit.models import Tag, TaggedItem

from measures import synthetic
from measures.course_search import course_search
from measures.models import Course, CourseDate, SearchDocument
from measures.synthetic import MARK, PREFIX
from network.models import Organisation, Region, Venue
from tests.factories import make_course, make_provider, today

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


# What the database keeps on a course, as the generator writes it.
KEPT = [
    "current_until",
    "summary_next_start",
    "summary_valid_until",
    "facet_subjects",
    "facet_target_groups",
    "facet_funding",
]


def _kept(courses):
    return {row[0]: row[1:] for row in courses.order_by("pk").values_list("pk", *KEPT)}


def test_copied_courses_are_complete_and_as_the_database_keeps_them(monkeypatch):
    monkeypatch.setattr(synthetic, "BATCH", 128)  # three batches, the last one short
    out = StringIO()
    call_command("generate_synthetic", courses=300, dates_per_course=4, stdout=out)
    courses = Course.objects.filter(external_id__startswith=PREFIX)
    ids = list(courses.values_list("pk", flat=True))
    assert len(ids) == 300 == courses.filter(status="published").count()
    assert all(re.fullmatch(r".+ \(\d+\.\d s\)", line) for line in out.getvalue().splitlines()[:-1])

    # Every course has its subject, keyword and dates; its venues are its provider's.
    course_type = ContentType.objects.get_for_model(Course)
    for course in courses.prefetch_related("subjects", "dates__venue"):
        assert len(course.subjects.all()) == 1
        assert len(course.dates.all()) == 4
        assert {d.venue.organisation_id for d in course.dates.all() if d.venue} <= {
            course.provider_id
        }
    tagged = TaggedItem.objects.filter(content_type=course_type, object_id__in=ids)
    assert sorted(tagged.values_list("object_id", flat=True)) == sorted(ids)
    assert SearchDocument.objects.filter(course_id__in=ids).count() == 300

    # The database's own triggers compute the same summaries and facets: fire them again.
    written = _kept(courses)
    assert any(row[0] is not None for row in written.values())
    with connection.cursor() as cursor:
        for table in (
            "measures_coursedate",
            "measures_course_subjects",
            "measures_course_target_groups",
            "measures_course_funding",
        ):
            sql = f"UPDATE {table} SET id = id WHERE course_id = ANY(%s)"  # noqa: S608 (constants)
            cursor.execute(sql, [ids])
    assert _kept(courses) == written

    # The sequences are past the copied ids: the ORM writes on.
    course = Course.objects.create(
        provider=make_provider(), title="Nach den synthetischen", slug="nach-synthetisch"
    )
    assert course.pk > max(ids)
    course.keywords.add("Nachher")
    course.subjects.add(*Course.objects.get(pk=ids[0]).subjects.all())
    date = CourseDate.objects.create(course=course, start_date=today())
    assert date.pk > CourseDate.objects.filter(course_id__in=ids).order_by("-pk")[0].pk

    # The search finds them.
    result = course_search(params=QueryDict("q=Synthetische Testdaten"))
    found = result.page.object_list
    assert found and all(course.slug.startswith(f"{PREFIX}kurs-") for course in found)
    assert result.page.paginator.count == courses.public().count()

    call_command("generate_synthetic", delete=True, stdout=StringIO())
    assert not Course.objects.filter(pk__in=ids).exists()
    assert not CourseDate.objects.filter(course_id__in=ids).exists()
    assert not TaggedItem.objects.filter(content_type=course_type, object_id__in=ids).exists()
    assert not SearchDocument.objects.filter(course_id__in=ids).exists()
    assert not Organisation.objects.filter(slug__startswith=PREFIX).exists()
    assert not Venue.objects.filter(organisation__slug__startswith=PREFIX).exists()
    assert not Tag.objects.filter(slug__startswith=PREFIX).exists()
    for table in ("subjects", "target_groups", "funding"):
        through = getattr(Course, table).through
        assert not through.objects.filter(course_id__in=ids).exists()


def test_generated_rows_are_flagged_synthetic():
    call_command("generate_synthetic", courses=30, stdout=StringIO())
    courses = Course.objects.filter(external_id__startswith=PREFIX)
    assert courses.count() == 30 and not courses.filter(synthetic=False).exists()
    providers = Organisation.objects.filter(slug__startswith=PREFIX)
    assert providers.exists() and not providers.filter(synthetic=False).exists()
    assert not Course.objects.filter(synthetic=True).exclude(pk__in=courses).exists()


def test_delete_spares_a_providers_own_course_with_the_old_prefix():
    # A provider may call its courses "syn-…" (its own system's ids): only the flag counts.
    provider = make_provider()
    own = make_course(provider, "Synchronsprechen für Einsteiger")
    own.external_id = "syn-1"
    own.save()
    named = make_provider()
    named.slug = "syn-anbieter-99"
    named.save()
    call_command("generate_synthetic", courses=30, stdout=StringIO())
    out = StringIO()
    call_command("generate_synthetic", delete=True, stdout=out)
    assert Course.objects.filter(pk=own.pk, external_id="syn-1").exists()
    assert Organisation.objects.filter(pk=named.pk).exists()
    assert not Course.objects.filter(synthetic=True).exists()
    assert not Organisation.objects.filter(synthetic=True).exists()
    assert re.fullmatch(
        r"Synthetische Daten gelöscht: 30 Kurse, \d+ Anbieter, 0 Netzwerke\.\n", out.getvalue()
    )


def test_a_synthetic_provider_with_a_course_added_by_hand_stays_with_it():
    call_command("generate_synthetic", courses=10, stdout=StringIO())
    provider = Organisation.objects.filter(synthetic=True).first()
    added = make_course(provider, "Von Hand dazu")
    call_command("generate_synthetic", delete=True, stdout=StringIO())
    assert Course.objects.filter(pk=added.pk).exists()
    assert list(Organisation.objects.filter(synthetic=True)) == [provider]


def test_the_migration_flags_existing_synthetic_rows_but_no_providers_own():
    import importlib

    from django.apps import apps

    call_command("generate_synthetic", courses=20, stdout=StringIO())
    provider = make_provider()
    own = make_course(provider, "Eigener Kurs")
    own.external_id = "syn-2"
    own.description = f"{MARK} kopiert"  # even with the generator's text
    own.save()
    Course.objects.update(synthetic=False)
    Organisation.objects.update(synthetic=False)

    class Editor:
        connection = connection

    importlib.import_module("network.migrations.0005_origin_flags").flag_synthetic(apps, Editor)
    importlib.import_module("measures.migrations.0022_origin_flags").flag_synthetic(apps, Editor)
    assert Course.objects.filter(synthetic=True).count() == 20
    assert not Course.objects.filter(pk=own.pk, synthetic=True).exists()
    assert not Organisation.objects.filter(pk=provider.pk, synthetic=True).exists()
    assert Organisation.objects.filter(synthetic=True).exists()


def test_delete_starts_one_new_search_generation_for_everything():
    """Set-based: no signal per deleted venue or network; one change of "anything" (the
    search index is rebuilt) in the delete's transaction."""
    from core import generations

    call_command("generate_synthetic", courses=30, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {generations.CHANGES_TABLE}")  # noqa: S608
        (last,) = cursor.fetchone()
    before = generations.search()
    call_command("generate_synthetic", delete=True, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT course_id FROM {generations.CHANGES_TABLE} WHERE id > %s",  # noqa: S608
            [last],
        )
        assert cursor.fetchall() == [(None,)]
    assert generations.search() > before
