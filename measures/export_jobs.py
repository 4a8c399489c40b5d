"""Exports of a course search too large for a direct download, prepared in the background.

A job (``ExportJob``) is a row in PostgreSQL: the search's parameters, the format and the site's
address. ``run_export_job`` (``measures.tasks``, run by ``manage.py db_worker``) finds the
courses with the same query code as the direct export (``course_search_ids``) and writes them
with the same writers (``measures.exports``) into a file in ``EXPORT_JOB_DIR``: streamed, batch
after batch, so memory does not grow with the file. The file is written under a temporary name
and renamed when complete; a job that fails leaves no file behind.

Who may start one: anybody (the portal is public), within limits — ``EXPORT_JOBS_PER_CLIENT``
per client and window (``core.ratelimit``), ``EXPORT_JOBS_ACTIVE`` waiting or running jobs for
everyone, ``EXPORT_JOB_MAX_ROWS`` courses, and no new job while the kept files take
``EXPORT_JOB_MAX_DISK_MB``. The same search in the same format while a job for it waits or
runs gets that job. Jobs and files are deleted ``EXPORT_JOB_KEEP_HOURS`` after they were
started (``export_jobs_delete_expired``, a daily job); a running job that has reported nothing
for ``STALLED_AFTER`` (its worker died) counts as failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from measures import exports
from measures.course_search import course_search_ids
from measures.models import ExportJob

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.0  # how often a running job records its progress (also its heartbeat)
STALLED_AFTER = dt.timedelta(minutes=10)
PART_SUFFIX = ".part"
Status = ExportJob.Status


class Refused(Exception):
    """No new job now; the message says why, for the person who asked."""


def export_dir() -> Path:
    return Path(settings.EXPORT_JOB_DIR)


def file_path(job: ExportJob) -> Path:
    return export_dir() / job.file


def kept_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.EXPORT_JOB_KEEP_HOURS)


def expires_at(job: ExportJob) -> dt.datetime:
    return job.created_at + dt.timedelta(hours=settings.EXPORT_JOB_KEEP_HOURS)


def live_jobs():
    """The jobs not yet expired (an expired one is gone even before the daily job deletes it)."""
    return ExportJob.objects.filter(created_at__gte=kept_since())


def fail_stalled() -> int:
    """Mark running jobs that have not reported for ``STALLED_AFTER`` as failed (their worker
    was stopped or died); returns how many."""
    now = timezone.now()
    return ExportJob.objects.filter(
        status=Status.RUNNING, updated_at__lt=now - STALLED_AFTER
    ).update(
        status=Status.FAILED,
        error=_("Die Vorbereitung wurde unterbrochen."),
        finished_at=now,
    )


def start(*, params: QueryDict, kind: str, base_url: str, count: int) -> tuple[ExportJob, bool]:
    """A job for this search (``params`` without the page) in this format: the one already
    waiting or running for it, or a new one (then ``True``: the caller enqueues it). Raises
    ``Refused`` when the portal is busy with exports. Checked and created under a lock, so
    parallel requests cannot pass the limits together."""
    if kind not in exports.CONTENT_TYPES:
        raise ValueError(f"No export format {kind!r}")
    query = params.urlencode()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('measures.exportjob'))")
        fail_stalled()
        active = live_jobs().filter(status__in=[Status.QUEUED, Status.RUNNING])
        same = active.filter(query=query, kind=kind, base_url=base_url).first()
        if same is not None:
            return same, False
        if active.count() >= settings.EXPORT_JOBS_ACTIVE:
            raise Refused(
                _(
                    "Gerade werden schon %(count)s große Exporte vorbereitet. Bitte versuchen "
                    "Sie es in einigen Minuten noch einmal."
                )
                % {"count": settings.EXPORT_JOBS_ACTIVE}
            )
        used = live_jobs().aggregate(total=Sum("size"))["total"] or 0
        if used >= settings.EXPORT_JOB_MAX_DISK_MB * 1_048_576:
            raise Refused(
                _(
                    "Im Moment liegen zu viele vorbereitete Dateien bereit. Bitte versuchen Sie "
                    "es später noch einmal."
                )
            )
        job = ExportJob.objects.create(
            token=secrets.token_urlsafe(32),
            query=query,
            kind=kind,
            base_url=base_url,
            total=count,
        )
    return job, True


def _claim(job_id: int) -> bool:
    now = timezone.now()
    return bool(
        live_jobs()
        .filter(pk=job_id, status=Status.QUEUED)
        .update(status=Status.RUNNING, progress=0, updated_at=now)
    )


class _Progress:
    """The items, counted as they are written, the count recorded in the job (at most every
    ``PROGRESS_SECONDS``: also the job's sign of life)."""

    def __init__(self, items: Iterable, *, job_id: int, total: int):
        self.items, self.job_id, self.total = items, job_id, total
        self.written = 0

    def __iter__(self) -> Iterator:
        last = time.monotonic()
        for item in self.items:
            yield item
            self.written += 1
            now = time.monotonic()
            if now - last >= PROGRESS_SECONDS:
                last = now
                ExportJob.objects.filter(pk=self.job_id).update(
                    progress=min(self.written / max(self.total, 1), 1.0),
                    row_count=self.written,
                    updated_at=timezone.now(),
                )


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's file (the task of ``run_export_job``). Another run of the same job, or
    a run of an expired one, finds it taken or gone and does nothing."""
    if not _claim(job_id):
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.get(pk=job_id)
    name = f"{job.token}.{job.kind}"
    target = export_dir() / name
    part = target.with_name(name + PART_SUFFIX)
    try:
        params = QueryDict(job.query)
        ids, count = course_search_ids(params=params, limit=settings.EXPORT_JOB_MAX_ROWS + 1)
        if count > settings.EXPORT_JOB_MAX_ROWS:
            _fail(
                job_id,
                _("Die Suche findet jetzt %(count)s Kurse, mehr als %(max)s.")
                % {"count": count, "max": settings.EXPORT_JOB_MAX_ROWS},
            )
            return ExportJob.objects.get(pk=job_id)
        ExportJob.objects.filter(pk=job_id).update(total=count, updated_at=timezone.now())
        items = _Progress(
            exports.export_rows(ids, base_url=job.base_url), job_id=job_id, total=count
        )
        chunks = exports.chunks(job.kind, items, count=count, host=urlsplit(job.base_url).netloc)
        export_dir().mkdir(parents=True, exist_ok=True)
        with part.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(part, target)
    except Exception:
        logger.exception("Export job %s failed", job_id)
        part.unlink(missing_ok=True)
        _fail(job_id, _("Beim Vorbereiten der Datei ist ein Fehler aufgetreten."))
        return ExportJob.objects.filter(pk=job_id).first()
    finished = ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.DONE,
        file=name,
        size=target.stat().st_size,
        row_count=items.written,
        progress=1.0,
        updated_at=timezone.now(),
        finished_at=timezone.now(),
    )
    if not finished:  # deleted or given up meanwhile: nobody will download it
        target.unlink(missing_ok=True)
    return ExportJob.objects.filter(pk=job_id).first()


def _fail(job_id: int, message: str) -> None:
    now = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=message, file="", updated_at=now, finished_at=now
    )


def export_jobs_delete_expired() -> int:
    """Delete the jobs started more than ``EXPORT_JOB_KEEP_HOURS`` ago and their files, and
    files in ``EXPORT_JOB_DIR`` that no job names and that are as old (left by a worker that
    was stopped while writing); returns how many jobs (a daily job)."""
    cutoff = kept_since()
    expired = ExportJob.objects.filter(created_at__lt=cutoff)
    for job in expired.exclude(file=""):
        file_path(job).unlink(missing_ok=True)
    deleted, _by_model = expired.delete()
    folder = export_dir()
    if folder.is_dir():
        named = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
        for path in folder.iterdir():
            if (
                path.is_file()
                and path.name not in named
                and dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff
            ):
                path.unlink(missing_ok=True)
    return deleted


SAMPLE_QUERY = "q=Deutsch"


def sample_job() -> ExportJob:
    """A finished job (a small search as CSV), made and run now unless one is kept: the job
    pages for the page checks and the page benchmark (``atlas.url_catalogue``)."""
    job = live_jobs().filter(status=Status.DONE, query=SAMPLE_QUERY, kind="csv").first()
    if job is None:
        job = ExportJob.objects.create(
            token=secrets.token_urlsafe(32),
            query=SAMPLE_QUERY,
            kind="csv",
            base_url="http://localhost",
        )
        job = export_job_run(job_id=job.pk)
    return job


__all__ = [
    "Refused",
    "expires_at",
    "export_job_run",
    "export_jobs_delete_expired",
    "fail_stalled",
    "file_path",
    "live_jobs",
    "sample_job",
    "start",
]
