"""The scheduled jobs (atlas/schedule.py): one list, each job run once per slot — an advisory
lock keeps a second process from running a job that is running, the record of the last run
keeps a later scheduler from running it again — and ``daily_jobs --list`` prints the list."""

import datetime as dt
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from atlas import schedule
from atlas.models import ScheduledRun
from atlas.schedule import LOCK_SPACE, SCHEDULE, Job, is_due, job_named, run_job
from measures.export_jobs import export_jobs_delete_expired
from measures.search import refresh_search_words, refresh_stale_summaries
from pages.models import AccessibilityFeedback
from pages.services import feedback_delete_old
from workspace.services.course_import import course_imports_delete_old

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_recorded_runs():
    # A scheduler of an earlier test (tests/atlas/test_deploy.py) may have left committed rows.
    ScheduledRun.objects.all().delete()


@pytest.fixture
def old_feedback():
    feedback = AccessibilityFeedback.objects.create(message="Kontrast zu schwach", page="/")
    AccessibilityFeedback.objects.filter(pk=feedback.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    return feedback


@pytest.fixture
def lock_held_elsewhere():
    """Another session holds the advisory lock of a job while the block runs."""
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"] or None,
        autocommit=True,
    )

    def hold(job: Job):
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, job.lock_key])

    yield hold
    other.close()


def test_the_schedule_lists_every_job_once():
    assert [job.name for job in SCHEDULE] == [
        "search-summaries",
        "search-words",
        "old-feedback",
        "old-imports",
        "old-exports",
    ]
    assert [job.function for job in SCHEDULE] == [
        refresh_stale_summaries,
        refresh_search_words,
        feedback_delete_old,
        course_imports_delete_old,
        export_jobs_delete_expired,
    ]
    assert all(job.at == dt.time(0, 5) and job.description for job in SCHEDULE)
    assert len({job.lock_key for job in SCHEDULE}) == len(SCHEDULE)


def test_a_run_does_the_work_and_is_recorded(old_feedback):
    outcome = run_job(job_named("old-feedback"))
    assert outcome.ran and outcome.result == "1"
    assert not AccessibilityFeedback.objects.filter(pk=old_feedback.pk).exists()
    run = ScheduledRun.objects.get(job="old-feedback")
    assert run.succeeded and run.result == "1"
    assert run.started_at <= run.finished_at <= timezone.now()


def test_a_job_running_in_another_process_is_skipped(old_feedback, lock_held_elsewhere):
    job = job_named("old-feedback")
    lock_held_elsewhere(job)
    outcome = run_job(job)
    assert not outcome.ran
    assert outcome.result == "läuft schon in einem anderen Prozess"
    assert AccessibilityFeedback.objects.filter(pk=old_feedback.pk).exists()
    assert not ScheduledRun.objects.filter(job=job.name).exists()
    # The other jobs are not held up.
    assert run_job(job_named("old-imports")).ran


def test_a_run_releases_its_lock():
    job = job_named("old-imports")
    run_job(job)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0


def test_a_job_runs_once_per_slot(old_feedback):
    job = job_named("old-feedback")
    assert run_job(job, only_if_due=True).ran
    again = run_job(job, only_if_due=True)  # a second scheduler, after the first
    assert not again.ran and again.result == "in diesem Zeitfenster schon gelaufen"
    assert run_job(job).ran  # by hand (daily_jobs without --due): always


def test_when_a_job_is_due():
    job = Job("x", "x", lambda: None, dt.time(0, 5))
    tz = timezone.get_current_timezone()
    now = dt.datetime(2026, 12, 8, 10, 0, tzinfo=tz)
    assert job.slot(now) == dt.datetime(2026, 12, 8, 0, 5, tzinfo=tz)
    assert job.slot(dt.datetime(2026, 12, 8, 0, 4, tzinfo=tz)) == dt.datetime(
        2026, 12, 7, 0, 5, tzinfo=tz
    )
    assert job.next_run(now) == dt.datetime(2026, 12, 9, 0, 5, tzinfo=tz)

    def run(started, succeeded=True):
        return ScheduledRun(job="x", started_at=started, finished_at=started, succeeded=succeeded)

    assert is_due(job, None, now)  # never ran
    assert is_due(job, run(dt.datetime(2026, 12, 7, 23, 0, tzinfo=tz)), now)  # before its slot
    assert not is_due(job, run(dt.datetime(2026, 12, 8, 0, 5, tzinfo=tz)), now)
    failed_early = run(dt.datetime(2026, 12, 8, 0, 5, tzinfo=tz), succeeded=False)
    assert is_due(job, failed_early, now)  # tried again after RETRY_AFTER
    failed_just_now = run(now - dt.timedelta(minutes=5), succeeded=False)
    assert not is_due(job, failed_just_now, now)


def test_a_failing_job_is_rolled_back_recorded_and_the_others_still_run(
    monkeypatch, old_feedback, caplog
):
    def breaks():
        AccessibilityFeedback.objects.all().delete()
        raise ValueError("kaputt")

    broken = Job("old-feedback", "bricht ab", breaks, dt.time(0, 5))
    monkeypatch.setattr(schedule, "SCHEDULE", [broken, job_named("old-imports")])
    outcomes = schedule.run_all()
    assert [o.ran for o in outcomes] == [False, True]
    assert outcomes[0].result == "Fehler: ValueError: kaputt"
    assert AccessibilityFeedback.objects.filter(pk=old_feedback.pk).exists()  # rolled back
    run = ScheduledRun.objects.get(job="old-feedback")
    assert not run.succeeded and run.finished_at and "kaputt" in run.result
    [error] = [r for r in caplog.records if r.name == "atlas.schedule" and r.exc_info]
    assert error.job == "old-feedback"


def test_daily_jobs_runs_every_job_and_lists_them(old_feedback):
    out = StringIO()
    call_command("daily_jobs", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(SCHEDULE)
    assert f"{job_named('old-feedback').description}: 1" in lines
    assert set(ScheduledRun.objects.values_list("job", flat=True)) == {j.name for j in SCHEDULE}

    due = StringIO()
    call_command("daily_jobs", "--due", stdout=due)
    assert due.getvalue().count("in diesem Zeitfenster schon gelaufen") == len(SCHEDULE)

    listed = StringIO()
    call_command("daily_jobs", "--list", stdout=listed)
    text = listed.getvalue()
    for job in SCHEDULE:
        assert f"{job.name}: täglich 00:05 Uhr — {job.description}" in text
    assert "zuletzt" in text and "nächster Lauf" in text
