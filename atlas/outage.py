"""While PostgreSQL cannot be reached, pages answer 503 with a page that says so.

A request whose connection the server refused or lost (it is stopped, restarting, or out of
connection slots) gets a short German page with ``Retry-After`` instead of a server error: the
public site says it is back soon, the workspace (``/admin/``) that the database is not
reachable and nothing was saved, the API a JSON ``detail``. The page is drawn from a template
of its own without a query: no base template (its header and footer read the networks), no
context processors, nothing of the session or the user.

What is not an outage passes by: a statement timeout (``QueryCanceled``, also an
``OperationalError``) has its own page (``atlas.middleware.QueryTimeoutMiddleware``), and a
programming error stays a server error.

Recovery needs no restart: the connections of the failed request are closed here, and those a
worker keeps between requests (``CONN_MAX_AGE``) are checked before their first use in a
request (``CONN_HEALTH_CHECKS``, set in ``atlas.database``), so the first request after the
server is back opens a new one.
"""

from __future__ import annotations

import logging
import sys

import psycopg
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views import defaults
from psycopg import errors

from core import replicas

logger = logging.getLogger(__name__)

# How long a client is asked to wait before it tries again.
RETRY_AFTER_SECONDS = 60

# Errors the server sends when it ends or refuses a connection: class 08 (connection
# exceptions), an administrator's or a crash's shutdown, a server still starting or stopping,
# and no connection slot left. Errors raised by psycopg itself without a SQLSTATE are a
# connection that failed or broke (refused, reset, closed).
_DOWN_SQLSTATE_CLASSES = ("08",)
_DOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})

TEMPLATE = "atlas/database_down.html"


def is_database_down(exception: BaseException | None) -> bool:
    """Whether ``exception`` says the database server cannot be reached (refused or lost
    connection), as opposed to a query that failed on a working connection."""
    if isinstance(exception, InterfaceError):
        # Django's "connection already closed", psycopg's use of a closed or broken one.
        cause = exception.__cause__
        return cause is None or isinstance(cause, psycopg.InterfaceError | psycopg.OperationalError)
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    if not isinstance(cause, psycopg.OperationalError) or isinstance(cause, errors.QueryCanceled):
        return False
    state = cause.sqlstate
    return state is None or state.startswith(_DOWN_SQLSTATE_CLASSES) or state in _DOWN_SQLSTATES


def close_broken_connections() -> None:
    """Close this thread's database connections that the server ended or lost, so that the
    next request opens new ones at once (Django would close them too, after the response, if
    its check of a connection that saw an error fails). Healthy ones stay open."""
    for connection in connections.all(initialized_only=True):
        raw = connection.connection
        if raw is None or not (raw.closed or getattr(raw, "broken", False)):
            continue
        try:
            connection.close()
        except DatabaseError:
            pass  # closing a broken connection can fail too; it is dropped all the same


def _admin_prefix() -> str | None:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return None


def _api_prefix() -> str | None:
    try:
        return reverse("api:docs")
    except NoReverseMatch:
        return None


def _stylesheet() -> str | None:
    try:
        return static("css/site.css")
    except ValueError:  # not collected (production's manifest): the page goes without
        return None


def outage_response(request, exception: BaseException | None = None) -> HttpResponse:
    """The 503 answer while the database is down: the workspace's, the API's or the public
    page, with ``Retry-After``; never cached."""
    close_broken_connections()
    cause = getattr(exception, "__cause__", None) or exception
    logger.warning(
        "Database unreachable on %s %s: %s",
        request.method,
        request.path,
        str(cause).strip().splitlines()[0] if cause else "?",
    )
    path = request.path
    api = _api_prefix()
    if api and path.startswith(api):
        response = JsonResponse(
            {
                "detail": gettext(
                    "Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es in "
                    "einer Minute noch einmal."
                )
            },
            status=503,
        )
    else:
        admin = _admin_prefix()
        html = render_to_string(
            TEMPLATE,
            {
                "workspace": bool(admin and path.startswith(admin)),
                "posted": request.method not in ("GET", "HEAD", "OPTIONS"),
                "retry_url": request.get_full_path() if request.method in ("GET", "HEAD") else path,
                "stylesheet": _stylesheet(),
            },
        )
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # the warning above says it; no "Service Unavailable" too
    return response


class DatabaseOutageMiddleware:
    """Answers a view (or its template) that could not reach the database with the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_down(exception) or _a_replica_failed():
            return None
        return outage_response(request, exception)


def _a_replica_failed() -> bool:
    """Whether the connection that failed is a read replica's: the primary may be fine, and
    the replica middleware (``atlas.db_router``) answers the request again from it."""
    reads = replicas.current()
    return reads is not None and not reads.failed and replicas.failed_replica(reads) is not None


def server_error(request):
    """The site's 500 handler (``handler500``): the outage page when what failed outside a
    view (a middleware, say) was the database connection, else Django's own 500 page."""
    exception = sys.exc_info()[1]
    if is_database_down(exception):
        return outage_response(request, exception)
    return defaults.server_error(request)
