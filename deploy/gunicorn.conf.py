"""gunicorn's settings for Bildungsatlas: ``gunicorn -c deploy/gunicorn.conf.py`` (``make serve``
and ``deploy/systemd/bildungsatlas-web.service`` run it so; README "Running in production").

Environment:
    BIND                where to listen (default ``127.0.0.1:$PORT``; ``unix:/run/…/web.sock``
                        works too)
    PORT                the port when BIND is unset (default 8000)
    WEB_CONCURRENCY     worker processes (default: the CPUs this process may use, at least 2)
    FORWARDED_ALLOW_IPS proxies whose X-Forwarded-* headers gunicorn trusts (default: this
                        machine, 127.0.0.1 and ::1)
    STATEMENT_TIMEOUT_MS the web requests' query limit (atlas/database.py); the worker timeout
                        follows it
"""

import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atlas.database import statement_timeout_ms  # noqa: E402 (the project root first)

wsgi_app = "atlas.wsgi:application"
chdir = str(ROOT)

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Sync workers, one request at a time each: a page spends most of its time in Python (the
# search's in-memory index), so more workers than cores gain little, and every worker keeps its
# own copy of the search index. The proxy in front buffers slow clients.
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, _cpus()))
worker_class = "sync"

# A query of a web request ends after the statement timeout (10 s) and the request then answers
# with the timeout page (503): the worker must live that long and a little more, to render it.
# A worker silent for longer than this is killed and replaced. 0 (no statement timeout): none.
_statement_seconds = math.ceil(statement_timeout_ms() / 1000)
timeout = _statement_seconds + 20 if _statement_seconds else 0
graceful_timeout = 30  # a stop or reload lets the running requests finish
keepalive = 5  # seconds a proxy's idle connection is kept (nginx: keepalive in upstream)

# The proxy on this machine sets X-Forwarded-Proto / -For; gunicorn trusts them from there only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No access log of gunicorn's own: the application logs one line per request with its request
# id (atlas/request_log.py). gunicorn's own messages (start, workers booted or killed) go to
# standard error, as JSON like the application's when LOG_FORMAT is json (the default when DEBUG
# is off, as in atlas/settings.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "bildungsatlas-web"

_debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
if (os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if _debug else "json")) == "json":
    logconfig_dict = {
        "root": {"level": "WARNING", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {"json": {"()": "atlas.request_log.JsonFormatter"}},
    }
