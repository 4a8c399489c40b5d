"""Rate limits per client (or per email address), one count for all workers and hosts.

A use is counted first and then compared with the limit, in one atomic step: two workers that
answer the same client at the same moment can never both take the last allowed use. Where the
count lives:

- **Redis** (``REDIS_URL``; any cache server Django's cache talks to: the default cache): the
  key is created with the window as its time to live (``cache.add``) and counted up by the
  server itself (``cache.incr``, Redis ``INCR``).
- **PostgreSQL** otherwise: one row per key in :data:`TABLE` (the model
  ``atlas.RateCount``), counted with a single ``INSERT … ON CONFLICT DO UPDATE … RETURNING``.
  Django's database cache cannot do this: its ``incr`` reads and then writes the value.

A window starts with the key's first use and lasts ``window`` seconds; the count starts again
after it. Keys are keyed hashes (``SECRET_KEY``) of the scope and the client's address (see
:mod:`core.client`) or the email address, never the address itself. If the count cannot be
reached (Redis is down), the use is allowed and the error logged: a limit must not take the
legally required feedback form down with it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from core.client import client_address

TABLE = "atlas_rate_count"
# Each use deletes the scope's rows of ended windows with this probability (the table holds
# one row per client and scope that was counted in the last window).
CLEANUP_CHANCE = 0.01
SHARED_CACHE_MODULES = (
    "django.core.cache.backends.redis",
    "django.core.cache.backends.memcached",
)
logger = logging.getLogger(__name__)


def _hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def key_for(scope: str, value: str) -> str:
    """The key of ``value`` (an address, a folded email address) in ``scope``."""
    return f"{scope}:{_hash(value)[:40]}"


def client_key(scope: str, request) -> str:
    return key_for(scope, "client:" + client_address(request))


def _cache():
    return caches["default"]


def counts_in_cache() -> bool:
    """Whether the default cache is a server whose counting is atomic (Redis, Memcached);
    otherwise the counts live in PostgreSQL."""
    return type(_cache()).__module__.startswith(SHARED_CACHE_MODULES)


def hit(key: str, *, window: int) -> int:
    """Count one use of ``key`` and return the uses in its current window, this one
    included (0: the count could not be reached)."""
    if counts_in_cache():
        return _hit_cache(key, window)
    return _hit_database(key, window)


def attempt(key: str, *, limit: int, window: int) -> bool:
    """Count one use of ``key``; whether it is within ``limit`` uses per ``window`` seconds."""
    return hit(key, window=window) <= limit


def attempt_client(scope: str, request, *, limit: int, window: int) -> bool:
    """Count one use by the client of ``request``; whether it is within the limit."""
    return attempt(client_key(scope, request), limit=limit, window=window)


def _hit_cache(key: str, window: int) -> int:
    cache_key = f"atlas:rate:{key}"
    cache = _cache()
    try:
        cache.add(cache_key, 0, timeout=max(1, window))
        try:
            return cache.incr(cache_key)
        except ValueError:  # the window ended between add() and incr()
            cache.add(cache_key, 1, timeout=max(1, window))
            return 1
    except Exception:  # noqa: BLE001 (the cache server is away: allow, and say so)
        logger.exception("Rate limit %s not counted: the cache server does not answer", key)
        return 0


def _hit_database(key: str, window: int) -> int:
    """One statement: a new key starts at 1; a key whose window ended starts again at 1;
    otherwise it counts up. The row is locked for the statement, so concurrent uses of the
    same key are counted one after the other. ``clock_timestamp()``, not ``now()``: the time
    of the statement, not of the transaction it may run in."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} AS counted (key, count, started)
            VALUES (%(key)s, 1, clock_timestamp())
            ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN counted.started > clock_timestamp() - %(window)s
                             THEN counted.count + 1 ELSE 1 END,
                started = CASE WHEN counted.started > clock_timestamp() - %(window)s
                               THEN counted.started ELSE clock_timestamp() END
            RETURNING count
            """,  # noqa: S608 (a constant table name)
            {"key": key, "window": _interval(window)},
        )
        count = cursor.fetchone()[0]
        if random.random() < CLEANUP_CHANCE:  # the scope's other rows of ended windows
            scope = key.split(":", 1)[0].replace("%", r"\%").replace("_", r"\_")
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE key LIKE %s AND key <> %s"  # noqa: S608
                " AND started < clock_timestamp() - %s",
                [f"{scope}:%", key, _interval(window)],
            )
    return count


def _interval(seconds: int) -> timedelta:
    return timedelta(seconds=max(0, seconds))
