"""A request id for every request, on every log record made while it runs, and one log line per
request; the log formats (JSON in production, text in development; ``LOG_FORMAT``).

The id comes from the proxy's ``X-Request-ID`` header when that is well-formed (nginx sends its
``$request_id``, see deploy/nginx/bildungsatlas.conf) and is made here otherwise; the response
carries it back in ``X-Request-ID``, and ``request.request_id`` holds it. It lives in a context
variable while the request runs, and every log record made meanwhile — the request line, a view's
own messages, Django's error with its traceback — carries it as ``record.request_id`` (a record
factory, installed by ``AtlasConfig.ready``). The request line is logged by ``atlas.requests`` at
INFO: method, path (without the query string, which may hold what a visitor searched for),
status, duration in ms and the id.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid

logger = logging.getLogger("atlas.requests")

HEADER = "X-Request-ID"
# What an incoming id may look like: nginx's $request_id (32 hex digits), a UUID, or any other
# id of 8 to 128 letters, digits and ._:- (nothing that could forge a log line or a header).
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")
MAX_PATH = 300  # characters of the path kept in the request line

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def request_id_from(header: str | None) -> str:
    """The incoming id when it is well-formed, a new one (32 hex digits) otherwise."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Gives each request its id (see the module) and logs one line when it is answered. Sits
    near the top of ``MIDDLEWARE``, so that what the others log carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # unless a response comes back
        try:
            response = self.get_response(request)
            status = response.status_code
            response[HEADER] = request_id
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path = request.path
            if len(path) > MAX_PATH:
                path = path[:MAX_PATH] + "…"
            logger.info(
                "%s %s %s %s ms",
                request.method,
                path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            current_request_id.reset(token)


# Records ----------------------------------------------------------------------------------------

_installed = False


def install_record_factory() -> None:
    """Every log record made from now on carries ``request_id``: the running request's, or None
    outside a request. Once per process (AtlasConfig.ready)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def record_with_request_id(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record

    logging.setLogRecordFactory(record_with_request_id)
    _installed = True


# The attributes every LogRecord has; anything else on a record came with ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the fields
    passed with ``extra`` (a request line's method, path, status, duration_ms), and the
    traceback of an error as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-08 10:15:02,123 INFO atlas.requests [id] GET /kurse/ 200 12.3 ms``; ``[-]``
    outside a request."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or current_request_id.get() or "-"
        return self._fmt % {**vars(record), "request_id": request_id}
