"""Read replicas: which database a read goes to.

The primary (the ``default`` database) takes every write and every read that must be current.
A read may go to a replica (``replica_1``, ``replica_2``, … from ``DATABASE_REPLICA_URLS``,
``atlas.database``) only inside :func:`replica_reads` — the request middleware
(``atlas.db_router``) opens it for anonymous GET and HEAD requests to public pages — and only
until that request writes: from its first write on, every read of the request goes to the
primary (it reads its own writes). Without that context — commands, background jobs and
threads, the admin, logged-in users, POST requests — everything goes to the primary.

A replica lags the primary by a little (usually milliseconds, longer under load). What must be
current is read on the primary, in :func:`primary` or with ``django.db.connection`` itself
(always the primary): the search and reference generations, the search index built for a
generation, and every per-process memo or cache entry keyed by a generation (read from a
lagging replica, it would hold older data under the newer generation until the next change).

A replica that cannot be reached is left alone for ``DATABASE_REPLICA_RETRY_SECONDS``
(default 30): its reads go to another replica or to the primary meanwhile, and a request whose
replica failed while it read is answered again from the primary (``atlas.db_router``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

PRIMARY = "default"
REPLICA_PREFIX = "replica_"
# Tables read and written on the primary whatever the request (app labels): the database cache
# (rate limits, shared caches), sessions, accounts and their second factors, the workspace's
# (roles, the log-in lock), the job queue.
PRIMARY_APPS = frozenset(
    {
        "django_cache",
        "sessions",
        "auth",
        "otp_totp",
        "otp_static",
        "workspace",
        "django_tasks_database",
    }
)
# Writes that do not make a request read the primary (they hold no data a page shows).
UNTRACKED_WRITES = frozenset({"django_cache"})

logger = logging.getLogger(__name__)


@dataclass
class Reads:
    """What one request reads from: a replica until it writes."""

    wrote: bool = False
    alias: str | None = None  # the replica chosen at its first read (PRIMARY: none reachable)
    failed: bool = False  # its replica failed while it read: answer it again from the primary


_request: ContextVar[Reads | None] = ContextVar("replica_reads", default=None)
_pinned: ContextVar[bool] = ContextVar("primary_reads", default=False)
_down: dict[str, float] = {}  # replica -> until when (time.monotonic) it is not tried
_turns = itertools.count()  # spreads requests over the replicas


def aliases() -> list[str]:
    """The replicas configured (none without ``DATABASE_REPLICA_URLS``)."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@contextlib.contextmanager
def replica_reads():
    """Let the reads in this block (one request) go to a replica until the block writes."""
    reads = Reads()
    token = _request.set(reads)
    try:
        yield reads
    finally:
        _request.reset(token)


def current() -> Reads | None:
    """The reads of the request being answered (None: not a public read)."""
    return _request.get()


@contextlib.contextmanager
def primary():
    """Read on the primary in this block, whatever the request (also as a decorator)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def read_alias(app_label: str = "") -> str:
    """The database a read (of a model of ``app_label``) goes to now."""
    reads = _request.get()
    if (
        reads is None
        or reads.wrote
        or _pinned.get()
        or app_label in PRIMARY_APPS
        or connections[PRIMARY].in_atomic_block  # a transaction reads what it writes
    ):
        return PRIMARY
    if reads.alias is None:
        reads.alias = _choose()
    return reads.alias


def read_connection():
    """The connection a raw public read goes to now (``connection`` is always the primary)."""
    return connections[read_alias()]


def mark_written(app_label: str = "") -> None:
    """This request writes: its later reads go to the primary."""
    reads = _request.get()
    if reads is not None and app_label not in UNTRACKED_WRITES:
        reads.wrote = True


# A statement on the primary writes unless it is a SELECT or SHOW that takes no row locks and
# advances no sequence (raw SQL such as the generation's nextval() does not pass the router).
_READ = re.compile(r"\s*\(*\s*(SELECT|SHOW)\b", re.IGNORECASE)
_WRITES_IN_A_READ = re.compile(
    r"\b(nextval|setval)\s*\(|\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b",
    re.IGNORECASE,
)


def writes(sql: str) -> bool:
    return not _READ.match(sql) or _WRITES_IN_A_READ.search(sql) is not None


def note_writes(execute, sql, params, many, context):
    """An ``execute_wrapper`` for the primary's connection: a write marks the request."""
    if writes(sql) and not _in_cache_table(sql):
        mark_written()
    return execute(sql, params, many, context)


def _in_cache_table(sql: str) -> bool:
    return any(f'"{table}"' in sql for table in _cache_tables())


def _cache_tables() -> list[str]:
    return [
        cache["LOCATION"]
        for cache in settings.CACHES.values()
        if cache["BACKEND"].endswith(".DatabaseCache")
    ]


def _choose() -> str:
    """A replica that answers (each in turn), or the primary when none does."""
    replicas = aliases()
    start = next(_turns)
    now = time.monotonic()
    for offset in range(len(replicas)):
        alias = replicas[(start + offset) % len(replicas)]
        if _down.get(alias, 0.0) > now:
            continue
        connection = connections[alias]
        try:
            connection.close_if_health_check_failed()  # a kept connection the server dropped
            connection.ensure_connection()
        except DatabaseError as error:
            mark_down(alias, error)
            continue
        return alias
    return PRIMARY


def retry_seconds() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_RETRY_SECONDS", 30))


def mark_down(alias: str, error: BaseException) -> None:
    """Leave the replica alone for a while (its connection closed) and say so in the log."""
    seconds = retry_seconds()
    _down[alias] = time.monotonic() + seconds
    logger.warning(
        "Read replica %s failed (%s); its reads go elsewhere for %g s",
        alias,
        " ".join(str(error).split()) or type(error).__name__,  # one line
        seconds,
    )
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def failed_replica(reads: Reads) -> str | None:
    """The replica this request read from, if reading there failed (a database error on its
    connection)."""
    alias = reads.alias
    if alias is None or alias == PRIMARY or not connections[alias].errors_occurred:
        return None
    return alias
