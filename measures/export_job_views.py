"""The pages of exports prepared in the background (``measures.export_jobs``): the offer on
the page of an export too large to download directly, starting a job (a POST to the export's
own address), the job's status page and its file.

The status page's address holds the job's token (``/kurse/export/<token>/``): whoever has it
sees the job; an unknown or expired token is a 404. The page works without JavaScript: while
the job waits or runs it asks the browser to load it again (a ``Refresh`` header) and has an
"Aktualisieren" link.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import ratelimit
from measures import export_jobs, exports
from measures.course_search import course_search_found
from measures.models import ExportJob
from measures.tasks import run_export_job

RATE_SCOPE = "export-job"
REFRESH_SECONDS = 3
RETRY_AFTER_SECONDS = 300


def offer(request, kind: str, params: QueryDict, *, count: int, status: int = 400):
    """The page of a search too large to download directly: it offers the background job (a
    form posting to the export's address) or, above ``EXPORT_JOB_MAX_ROWS``, asks to narrow the
    search. A 400 either way: the file asked for is not in the response."""
    context = {
        "count": count,
        "limit": exports.export_limit(kind),
        "max_rows": settings.EXPORT_JOB_MAX_ROWS,
        "can_prepare": count <= settings.EXPORT_JOB_MAX_ROWS,
        "kind_label": ExportJob.Kind(kind).label,
        "action": exports.export_url(kind, params),
        "keep_hours": settings.EXPORT_JOB_KEEP_HOURS,
        "search_url": exports.search_url(params),
    }
    return render(request, "measures/export_too_large.html", context, status=status)


def _refused(request, params: QueryDict, message: str, *, status: int):
    response = render(
        request,
        "measures/export_job_refused.html",
        {"message": message, "search_url": exports.search_url(params)},
        status=status,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def start(request, kind: str, params: QueryDict):
    """Start a job for this search and format (the same one while one waits or runs for it)
    and show its status page; a search that fits a direct download goes to it."""
    count = len(course_search_found(params=params))
    if count <= exports.export_limit(kind):
        return HttpResponseRedirect(exports.export_url(kind, params), status=303)
    if count > settings.EXPORT_JOB_MAX_ROWS:
        return offer(request, kind, params, count=count)
    # Counted where a job may start (one count for all workers: core.ratelimit); a search that
    # fits the direct download or must be narrowed costs nothing.
    allowed = ratelimit.attempt_client(
        RATE_SCOPE,
        request,
        limit=settings.EXPORT_JOBS_PER_CLIENT,
        window=settings.EXPORT_JOBS_WINDOW_SECONDS,
    )
    if not allowed:
        return _refused(
            request,
            params,
            _(
                "Sie haben in kurzer Zeit schon %(count)s große Exporte angefordert. Bitte "
                "warten Sie eine Weile, bevor Sie weitere anfordern."
            )
            % {"count": settings.EXPORT_JOBS_PER_CLIENT},
            status=429,
        )
    base_url = f"{request.scheme}://{request.get_host()}"
    try:
        job, created = export_jobs.start(params=params, kind=kind, base_url=base_url, count=count)
    except export_jobs.Refused as refused:
        return _refused(request, params, str(refused), status=503)
    if created:
        run_export_job.enqueue(job.pk)
    return HttpResponseRedirect(
        reverse("measures:export_job", kwargs={"token": job.token}), status=303
    )


def _live_job(token: str) -> ExportJob:
    job = export_jobs.live_jobs().filter(token=token).first()
    if job is None:
        raise Http404(_("Diesen Export gibt es nicht (mehr)."))
    return job


@never_cache
@require_GET
def export_job(request, token: str):
    """Where a job stands: waiting, running (with progress), done (the download) or failed."""
    job = _live_job(token)
    if job.status == ExportJob.Status.RUNNING and export_jobs.fail_stalled():
        job.refresh_from_db()
    file_name = exports.filename(job.kind, timezone.localdate(job.created_at))
    context = {
        "job": job,
        "percent": round(job.progress * 100),
        "file_name": file_name,
        "expires_at": export_jobs.expires_at(job),
        "search_url": exports.search_url(QueryDict(job.query)),
        "refresh_seconds": REFRESH_SECONDS,
    }
    response = render(request, "measures/export_job.html", context)
    response["X-Robots-Tag"] = "noindex"
    if job.running:
        response["Refresh"] = str(REFRESH_SECONDS)  # the page follows the job without JavaScript
    return response


@require_GET
def export_job_file(request, token: str):
    """The finished job's file, streamed from the disk."""
    job = _live_job(token)
    path = export_jobs.file_path(job) if job.file else None
    if job.status != ExportJob.Status.DONE or path is None or not path.is_file():
        raise Http404(_("Diese Datei gibt es nicht (mehr)."))
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=exports.filename(job.kind, timezone.localdate(job.created_at)),
        content_type=exports.CONTENT_TYPES[job.kind],
    )
    response["X-Robots-Tag"] = "noindex"
    return response


__all__ = ["export_job", "export_job_file", "offer", "start"]
