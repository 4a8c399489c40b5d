"""The search's summary of each course, kept by the database (migrations 0006, 0011): the
linked vocabularies as id arrays, and the next start of the current dates and the last day
that holds."""

from datetime import timedelta

import pytest
from django.db import connection

from core import generations
from measures import search, search_index
from measures.models import Course, CourseDate, FundingType, Subject, TargetGroup
from network.models import Region
from tests.factories import make_course, make_date, make_provider, make_venue, today
from tests.measures.test_search import run, titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return make_provider("Volkshochschule Summenhausen")


@pytest.fixture
def mainz(provider):
    return make_venue(provider, "55116")


def summary(course) -> dict:
    return Course.objects.values(*Course.KEPT_BY_DATABASE).get(pk=course.pk)


def summarise_as_of(course, day) -> None:
    """Write the course's date summary as it was on an earlier day."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT measures_course_summarise_dates(%s, %s)", [[course.pk], day])


def test_link_arrays_follow_every_change_of_the_links(provider):
    first, second = Subject.objects.all()[:2]
    funding = FundingType.objects.first()
    group = TargetGroup.objects.first()
    course = make_course(provider, "Verknüpft", subjects=[second], funding=[funding])
    assert summary(course)["facet_subjects"] == [second.pk]
    assert summary(course)["facet_funding"] == [funding.pk]
    course.subjects.add(first)
    course.target_groups.add(group)
    assert sorted(summary(course)["facet_subjects"]) == sorted([first.pk, second.pk])
    assert summary(course)["facet_target_groups"] == [group.pk]
    course.subjects.remove(second)
    course.funding.clear()
    assert summary(course)["facet_subjects"] == [first.pk]
    assert summary(course)["facet_funding"] == []


def test_date_summary_counts_current_dates_only(provider, mainz):
    bingen = make_venue(provider, "55411")
    course = make_course(
        provider,
        "Termine",
        dates=[
            {"venue": mainz, "start_date": today() + timedelta(days=30)},
            {"mode": "online", "start_date": today() + timedelta(days=10), "end_date": None},
            {
                "venue": bingen,
                "start_date": today() + timedelta(days=5),
                "booking_status": "cancelled",
            },
            {
                "venue": bingen,
                "start_date": today() - timedelta(days=40),
                "end_date": today() - timedelta(days=1),
            },
        ],
    )
    values = summary(course)
    assert values["summary_next_start"] == today() + timedelta(days=10)
    # Valid until the first current date is over: the online one, on its start day.
    assert values["summary_valid_until"] == today() + timedelta(days=10)


def test_date_summary_follows_changes_of_dates(provider, mainz):
    course = make_course(provider, "Wandernd", dates=[{"venue": mainz}])
    date = course.dates.get()
    date.start_date = today() + timedelta(days=12)
    date.save()
    assert summary(course)["summary_next_start"] == today() + timedelta(days=12)
    date.delete()
    assert summary(course)["summary_next_start"] is None
    assert summary(course)["current_until"] is None


def test_a_venue_moved_to_another_region_moves_its_courses_in_the_search(provider, mainz):
    course = make_course(provider, "Umgezogen", dates=[{"venue": mainz}])
    before = mainz.region
    assert titles(run(provider, region=before.key)) == [course.title]
    other = Region.objects.districts().exclude(pk=before.pk).first()
    mainz.region = other
    mainz.save()
    assert titles(run(provider, region=other.key)) == [course.title]
    assert titles(run(provider, region=before.key)) == []


def test_saving_an_older_instance_does_not_overwrite_the_summary(provider, mainz):
    course = make_course(provider, "Alte Kopie", dates=[])
    stale = Course.objects.get(pk=course.pk)
    course.subjects.add(Subject.objects.first())
    make_date(course, venue=mainz)
    stale.title = "Neuer Titel"
    stale.save()
    values = summary(stale)
    assert values["facet_subjects"] and values["summary_next_start"] is not None
    assert values["current_until"] is not None
    assert Course.objects.get(pk=course.pk).title == "Neuer Titel"


def test_a_summary_gone_stale_is_renewed(provider, mainz):
    running = {"venue": mainz, "start_date": today() - timedelta(days=20)}
    ended = dict(running, end_date=today() - timedelta(days=2))
    course = make_course(
        provider,
        "Erster Termin vorbei",
        dates=[
            ended,
            {"mode": "online", "start_date": today() + timedelta(days=60)},
        ],
    )
    other = make_course(
        provider,
        "Beginnt bald",
        dates=[{"venue": mainz, "start_date": today() + timedelta(days=3)}],
    )
    # As written a week ago, when the first date was still running.
    summarise_as_of(course, today() - timedelta(days=7))
    assert summary(course)["summary_next_start"] == today() - timedelta(days=20)
    assert summary(course)["summary_valid_until"] < today()

    assert search.refresh_stale_summaries() == 1
    values = summary(course)
    assert values["summary_next_start"] == today() + timedelta(days=60)
    assert values["summary_valid_until"] == today() + timedelta(days=60)
    assert search.refresh_stale_summaries() == 0
    assert summary(other)["summary_next_start"] == today() + timedelta(days=3)


def _stale_course(provider, mainz):
    """A course whose first date ended yesterday, summarised five days ago (so its summary
    still names that date as the next start), and one starting in nine days."""
    course = make_course(
        provider,
        "Sortiert",
        dates=[
            {
                "venue": mainz,
                "start_date": today() - timedelta(days=20),
                "end_date": today() - timedelta(days=1),
            },
            {"venue": mainz, "start_date": today() + timedelta(days=50)},
        ],
    )
    make_course(
        provider, "Mitte", dates=[{"venue": mainz, "start_date": today() + timedelta(days=9)}]
    )
    summarise_as_of(course, today() - timedelta(days=5))
    return course


WRITES = ("INSERT", "UPDATE", "DELETE")


def test_a_search_never_writes_even_with_stale_summaries(provider, mainz):
    from django.test.utils import CaptureQueriesContext

    course = _stale_course(provider, mainz)
    with CaptureQueriesContext(connection) as queries:
        result = run(provider, sort="date")
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert summary(course)["summary_valid_until"] < today()  # left for the daily job
    assert result.count == 2


def test_the_daily_job_renews_stale_summaries_and_the_date_order(provider, mainz):
    from django.core.management import call_command

    course = _stale_course(provider, mainz)
    call_command("daily_jobs", verbosity=0)
    assert summary(course)["summary_next_start"] == today() + timedelta(days=50)
    result = run(provider, sort="date")
    assert titles(result) == ["Mitte", "Sortiert"]
    modes = {facet.name: facet for facet in result.facets}["mode"].options
    assert {option.value: option.count for option in modes} == {"in_person": 2}


# The search generation: cached counts and vocabularies follow changes in any process ----------


def test_a_change_in_another_process_reaches_the_cached_counts(provider, mainz):
    from django.db import connection

    make_course(provider, "Erster", dates=[{"venue": mainz}])
    assert run(provider).count == 1  # counted and cached
    second = make_course(provider, "Zweiter", dates=[{"venue": mainz}])
    assert run(provider).count == 2  # this process's own change: at once
    # Another process hides a course, logs it and starts a new generation; this process
    # notices once its one-second memo of the generation has expired.
    Course.objects.filter(pk=second.pk).update(status=Course.Status.DRAFT)
    generations._log([second.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('measures_search_generation')")
    assert run(provider).count == 2  # still the memo: the cached counts
    generations.forget()  # the second has passed
    assert run(provider).count == 1


def test_new_vocabulary_is_searchable_at_once(provider, mainz):
    area = Subject.objects.filter(parent__isnull=True).first()
    run(provider, subject=area.slug)  # the vocabulary is now in memory
    fresh = Subject.objects.create(name="Imkerei für Einsteiger", slug="imkerei", parent=area)
    course = make_course(provider, "Bienen halten", subjects=[fresh], dates=[{"venue": mainz}])
    result = run(provider, subject="imkerei")
    assert not result.errors and titles(result) == [course.title]
    assert titles(run(provider, subject=area.slug)) == [course.title]  # the new child counts
    fresh.slug = "bienen"
    fresh.save()
    assert run(provider, subject="imkerei").errors  # unknown now, said so


def test_vocabulary_changes_do_not_reload_with_every_course_change(provider, mainz):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run(provider)
    make_course(provider, "Neu", dates=[{"venue": mainz}])
    with CaptureQueriesContext(connection) as captured:
        run(provider, subject=Subject.objects.first().slug)
    loads = [q for q in captured.captured_queries if q["sql"].startswith('SELECT "measures_fund')]
    assert not loads


# What the database keeps agrees with the querysets ------------------------------------------


@pytest.fixture
def varied(provider, mainz):
    """Courses in every state and with dates at every stage."""
    day = today()

    def ago(days):
        return day - timedelta(days=days)

    def ahead(days):
        return day + timedelta(days=days)

    soon = {"venue": mainz, "start_date": ahead(10)}
    specs = {
        "draft": ({"status": Course.Status.DRAFT}, [soon]),
        "submitted": ({"status": Course.Status.SUBMITTED}, [soon]),
        "archived": ({"status": Course.Status.ARCHIVED}, [soon]),
        "no dates": ({}, []),
        "past": ({}, [{"start_date": ago(40), "end_date": ago(30)}]),
        "past, no end": ({}, [{"start_date": ago(3), "end_date": None}]),
        "ended yesterday": ({}, [{"start_date": ago(9), "end_date": ago(1)}]),
        "running": ({}, [{"start_date": ago(9), "end_date": ahead(20)}]),
        "today": ({}, [{"start_date": day, "end_date": None}]),
        "ends today": ({}, [{"start_date": ago(5), "end_date": day}]),
        "rolling": ({}, [{"rolling_start": True}]),
        "rolling and past": (
            {},
            [{"rolling_start": True}, {"start_date": ago(9), "end_date": ago(2)}],
        ),
        "future": ({}, [soon, {"start_date": ahead(45), "end_date": ahead(60)}]),
        "deadline passed": ({}, [{"start_date": ahead(5), "registration_deadline": ago(1)}]),
        "only cancelled": ({}, [{"start_date": ahead(5), "booking_status": "cancelled"}]),
        "cancelled and open": (
            {},
            [{"start_date": ahead(5), "booking_status": "cancelled"}, {"start_date": ahead(30)}],
        ),
        "full": ({}, [{"start_date": ahead(7), "booking_status": "full"}]),
        "ended and future": (
            {},
            [
                {"start_date": ago(20), "end_date": ago(1)},
                {"mode": "online", "start_date": ahead(50)},
            ],
        ),
    }
    return [
        make_course(provider, title, dates=dates, **fields)
        for title, (fields, dates) in specs.items()
    ]


DAYS = [-40, -31, -30, -10, -5, -2, -1, 0, 1, 4, 5, 6, 10, 11, 20, 21, 30, 50, 60, 61, 400]


def test_current_until_agrees_with_the_current_dates_on_every_day(varied):
    """``Course.objects.public`` reads ``current_until`` (kept by a trigger): a course is public
    on a day exactly when it is published and ``CourseDate.objects.current`` has a date of it."""
    ids = [course.pk for course in varied]
    for offset in DAYS:
        day = today() + timedelta(days=offset)
        public = set(Course.objects.public(day).filter(pk__in=ids).values_list("pk", flat=True))
        expected = set(
            CourseDate.objects.current(day)
            .filter(course__in=ids, course__status=Course.Status.PUBLISHED)
            .values_list("course_id", flat=True)
        )
        assert public == expected, offset


def test_the_date_summary_agrees_with_the_current_dates(varied):
    """The next start is the first start among the dates current on the summary's day, and
    the summary holds (the same current dates) until its last day, and no longer."""
    for offset in (-10, -1, 0):
        day = today() + timedelta(days=offset)
        for course in varied:
            summarise_as_of(course, day)
            values = summary(course)

            def current(on, course=course):
                return set(CourseDate.objects.current(on).filter(course=course))

            dates = current(day)
            starts = [date.start_date for date in dates if date.start_date is not None]
            assert values["summary_next_start"] == min(starts, default=None), course.title
            last = values["summary_valid_until"]
            if last is None:
                assert current(day + timedelta(days=1000)) == dates, course.title
            else:
                assert current(last) == dates, course.title
                assert current(last + timedelta(days=1)) < dates, course.title


PUBLIC_SQL = f"""
SELECT c.id FROM measures_course c WHERE c.id = ANY(%(ids)s) AND {search_index.PUBLIC_COURSE_SQL}
"""  # noqa: S608 - constant SQL
CURRENT_SQL = f"""
SELECT d.id FROM measures_coursedate d
WHERE d.course_id = ANY(%(ids)s) AND {search_index.CURRENT_DATE_SQL}
"""  # noqa: S608 - constant SQL


def test_the_search_index_sql_is_the_querysets(varied):
    """The raw SQL of the search index and page is compiled from ``Course.objects.public``
    and ``CourseDate.objects.current``: the same rows on every day."""
    ids = [course.pk for course in varied]
    for offset in DAYS:
        day = today() + timedelta(days=offset)
        params = {**search_index.SearchIndex.params(day), "ids": ids}
        with connection.cursor() as cursor:
            cursor.execute(PUBLIC_SQL, params)
            courses = {row[0] for row in cursor.fetchall()}
            cursor.execute(CURRENT_SQL, params)
            dates = {row[0] for row in cursor.fetchall()}
        assert courses == set(
            Course.objects.public(day).filter(pk__in=ids).values_list("pk", flat=True)
        )
        assert dates == set(
            CourseDate.objects.current(day).filter(course__in=ids).values_list("pk", flat=True)
        )
