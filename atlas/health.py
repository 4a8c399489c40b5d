"""Health endpoints for a load balancer, systemd or a monitoring probe.

- ``/health/live``: the process answers (no database): 200 ``{"status": "alive"}``.
- ``/health/ready``: the database answers a trivial query and the job queue's table
  (``django_tasks_db``) can be read: 200 ``{"status": "ready", …}``, otherwise 503
  ``{"status": "not ready", …}`` naming what failed. It also reports the jobs waiting and the
  job workers connected to the database (``manage.py db_worker`` started with
  ``PGAPPNAME=bildungsatlas-worker``, as ``make serve`` and deploy/systemd do); no worker does not
  make the site unready — the pages still answer, jobs wait.

:class:`HealthMiddleware` answers them before anything else in ``MIDDLEWARE``: a probe that
connects to 127.0.0.1 is not refused for its host name (``ALLOWED_HOSTS``), not redirected to
HTTPS, gets no session or cookie, is not rate-limited and does not add a request line to the log
every few seconds. They are not pages of the site: they are not in the URLconf (so neither in the
page checks and benchmarks of atlas/url_catalogue.py nor in the sitemap) and never cached.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
# The application name the job workers connect with (PGAPPNAME); readiness counts them.
WORKER_APPLICATION_NAME = "bildungsatlas-worker"
# A probe's queries end after this long (a table locked by a migration must not hold a probe).
PROBE_TIMEOUT_MS = 2000

_was_ready: bool | None = None  # this process's last answer, to log changes only


class HealthMiddleware:
    """Answers ``/health/live`` and ``/health/ready`` (with or without a trailing slash) itself;
    every other request goes on. First in ``MIDDLEWARE`` (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == LIVE_PATH:
            status, body = 200, {"status": "alive"}
        elif path == READY_PATH:
            ready, body = readiness()
            status = 200 if ready else 503
        else:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"error": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            response = JsonResponse(body, status=status)
            if request.method == "HEAD":
                response.content = b""
        add_never_cache_headers(response)
        response["X-Content-Type-Options"] = "nosniff"
        return response


def readiness(using: str = DEFAULT_DB_ALIAS) -> tuple[bool, dict]:
    """Whether this process can serve: (ready, the report)."""
    global _was_ready
    report: dict = {"status": "not ready"}
    ready = False
    try:
        _probe(using, lambda cursor: cursor.execute("SELECT 1"))
        report["database"] = "ok"
    except DatabaseError as error:
        report["database"] = f"unreachable ({type(error).__name__})"
    else:
        try:
            queue = _probe(using, _job_queue)
            report["job_queue"] = "ok"
            report.update(queue)
            ready = True
        except DatabaseError as error:
            report["job_queue"] = f"unreachable ({type(error).__name__})"
    if ready:
        report["status"] = "ready"
        try:
            report["workers_connected"] = _probe(using, _workers_connected)
        except DatabaseError:
            report["workers_connected"] = None  # not knowable; the site is still ready
    if ready != _was_ready:
        log = logger.info if ready else logger.warning
        log("Readiness: %s", report, extra={"health": report})
        _was_ready = ready
    return ready, report


def _probe(using: str, check):
    """Run ``check(cursor)`` in a transaction of its own (a failure leaves the connection usable)
    with the probe's short statement timeout."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(PROBE_TIMEOUT_MS)])
        return check(cursor)


def _job_queue(cursor) -> dict:
    from django_tasks_db.models import DBTaskResult

    waiting = (
        DBTaskResult.objects.using(cursor.db.alias)
        .ready()
        .order_by()
        .aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    )
    oldest = waiting["oldest"]
    return {
        "jobs_waiting": waiting["count"],
        "oldest_job_waiting_seconds": (
            round((timezone.now() - oldest).total_seconds()) if oldest else None
        ),
    }


def _workers_connected(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s",
        [WORKER_APPLICATION_NAME],
    )
    return cursor.fetchone()[0]
