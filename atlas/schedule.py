"""Every scheduled job of the portal, in one place: what it is called, what it does, when it runs.

The scheduler (``manage.py daily_jobs --loop``: ``make run``, ``make serve``,
deploy/systemd/bildungsatlas-scheduler.service), the systemd timer that may replace it
(deploy/systemd/bildungsatlas-jobs.timer: ``daily_jobs --due`` every five minutes), cron
(``daily_jobs``) and ``manage.py daily_jobs --list`` all read :data:`SCHEDULE`; the README's
table says the same (a test compares them).

A job runs at most once per slot (its time of day), however many schedulers run: each run holds
a PostgreSQL advisory lock for its job (a second scheduler skips a job that is running) and
records itself in :class:`atlas.models.ScheduledRun` (a scheduler that comes later finds the slot
done). A job runs in one transaction (all of it or nothing); one that
failed is tried again after :data:`RETRY_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from atlas.models import ScheduledRun
from measures.export_jobs import export_jobs_delete_expired
from measures.search import refresh_search_words, refresh_stale_summaries
from pages.services import feedback_delete_old
from workspace.services.course_import import course_imports_delete_old

logger = logging.getLogger("atlas.schedule")

RETRY_AFTER = dt.timedelta(minutes=30)
# The first key of every job's advisory lock (the second is the job's name as a number), so the
# jobs' locks are apart from the project's other advisory locks.
LOCK_SPACE = 0x5C4ED


@dataclass(frozen=True)
class Job:
    name: str  # the job's name in logs, records and ``--list``
    description: str  # what it does (German, as the commands speak)
    function: Callable[[], int | None]  # returns how many rows it changed, or None
    at: dt.time  # every day at this local time (TIME_ZONE)

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The latest time at or before ``now`` this job was due."""
        local = timezone.localtime(now)
        due = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        return due if due <= local else due - dt.timedelta(days=1)

    def next_run(self, now: dt.datetime) -> dt.datetime:
        return self.slot(now) + dt.timedelta(days=1)

    @property
    def lock_key(self) -> int:
        """The job's advisory lock (second key): its name as a signed 32-bit number."""
        return zlib.crc32(self.name.encode()) - 2**31


# Just after midnight: the day's first dates have ended (the search's date summaries are renewed
# for the new day).
NIGHTLY = dt.time(0, 5)

SCHEDULE: list[Job] = [
    Job(
        "search-summaries",
        "Terminübersichten der Suche erneuern, deren erster Termin am Vortag endete",
        refresh_stale_summaries,
        NIGHTLY,
    ),
    Job(
        "search-words",
        "Vokabular für „Meinten Sie …?“ aus den heute öffentlichen Kursen neu aufbauen",
        refresh_search_words,
        NIGHTLY,
    ),
    Job(
        "old-feedback",
        "Rückmeldungen zur Barrierefreiheit löschen, die erledigt oder älter als ein Jahr sind",
        feedback_delete_old,
        NIGHTLY,
    ),
    Job(
        "old-imports",
        "Hochgeladene Importdateien löschen, die älter als 30 Tage sind",
        course_imports_delete_old,
        NIGHTLY,
    ),
    Job(
        "old-exports",
        "Im Hintergrund erstellte Exporte löschen, die abgelaufen sind (nach 24 Stunden)",
        export_jobs_delete_expired,
        NIGHTLY,
    ),
]


def job_named(name: str) -> Job:
    for job in SCHEDULE:
        if job.name == name:
            return job
    raise KeyError(name)


@dataclass(frozen=True)
class Outcome:
    job: Job
    ran: bool
    result: str  # the count, "erledigt", the error, or why it did not run
    seconds: float = 0.0


def is_due(job: Job, run: ScheduledRun | None, now: dt.datetime) -> bool:
    """Whether ``job`` should run at ``now``, given its last recorded run."""
    if run is None or run.started_at is None:
        return True
    slot = job.slot(now)
    if run.started_at < slot:
        return True  # not run since its time came
    # Run in this slot: again only when it failed (or never finished) a while ago.
    return not run.succeeded and run.started_at <= now - RETRY_AFTER


def run_job(job: Job, *, only_if_due: bool = False, using: str = DEFAULT_DB_ALIAS) -> Outcome:
    """Run one job unless another process is running it (its advisory lock is held) or, with
    ``only_if_due``, it has already run in its slot. Errors are logged and recorded, not
    raised."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_SPACE, job.lock_key])
        if not cursor.fetchone()[0]:
            logger.info("%s: läuft schon in einem anderen Prozess", job.name, extra=_fields(job))
            return Outcome(job, False, "läuft schon in einem anderen Prozess")
    try:
        now = timezone.now()
        run = ScheduledRun.objects.using(using).filter(job=job.name).first()
        if only_if_due and not is_due(job, run, now):
            return Outcome(job, False, "in diesem Zeitfenster schon gelaufen")
        ScheduledRun.objects.using(using).update_or_create(
            job=job.name,
            defaults={"started_at": now, "finished_at": None, "succeeded": False, "result": ""},
        )
        started = time.monotonic()
        try:
            with transaction.atomic(using=using):  # all of the job or nothing
                count = job.function()
        except Exception as error:
            seconds = time.monotonic() - started
            logger.exception("%s: fehlgeschlagen", job.name, extra=_fields(job, seconds))
            result, succeeded = f"Fehler: {type(error).__name__}: {error}"[:1000], False
        else:
            seconds = time.monotonic() - started
            result, succeeded = (str(count) if count is not None else "erledigt"), True
            logger.info("%s: %s", job.name, result, extra=_fields(job, seconds, result))
        ScheduledRun.objects.using(using).filter(job=job.name).update(
            finished_at=timezone.now(), succeeded=succeeded, result=result
        )
        return Outcome(job, succeeded, result, seconds)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, job.lock_key])
        except DatabaseError:
            pass  # the connection is gone, and the session's lock with it


def _fields(job: Job, seconds: float | None = None, result: str | None = None) -> dict:
    fields = {"job": job.name}
    if seconds is not None:
        fields["duration_ms"] = round(seconds * 1000, 1)
    if result is not None:
        fields["result"] = result
    return fields


def run_all(*, only_if_due: bool = False) -> list[Outcome]:
    """Run every job of the schedule in order (each as :func:`run_job`)."""
    return [run_job(job, only_if_due=only_if_due) for job in SCHEDULE]


def last_runs() -> dict[str, ScheduledRun]:
    return {run.job: run for run in ScheduledRun.objects.all()}
