"""Results kept for every web worker: first in the worker's own memory, then in the shared
cache (the database cache, or Redis with ``REDIS_URL``), else computed once and put in both.

A page that counts over the catalogue (a provider search's facets, a region's providers)
keeps its figures under a key that holds the search generation, so a change of courses drops
them. Kept only in a worker's memory, every worker paid for each new search itself: with two
workers the first two visitors of a search waited for the count. The shared cache lets the
second worker read what the first one counted (one query by primary key)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

logger = logging.getLogger(__name__)

T = TypeVar("T")


def shared(key: str, compute: Callable[[], T], seconds: int) -> T:
    """``compute()``, kept ``seconds`` under ``key`` in this worker and in the shared cache.
    A shared cache that fails (a lost Redis, a read-only replica's cache table) is skipped:
    the figure is computed as if nothing were kept."""
    local = caches["local"]
    value = local.get(key)
    if value is not None:
        return value
    value = shared_get(key)
    if value is None:
        value = compute()
        shared_set(key, value, seconds)
    local.set(key, value, seconds)
    return value


def shared_get(key: str):
    """What the shared cache holds under ``key`` (None: nothing, or the cache failed)."""
    try:
        return caches["default"].get(key)
    except Exception:  # noqa: BLE001 - any cache failure means "not kept"
        logger.warning("Shared cache unavailable for %s", key, exc_info=True)
        return None


def shared_set(key: str, value, seconds: int) -> None:
    """Keep ``value`` in the shared cache; a failing cache is logged and skipped."""
    try:
        caches["default"].set(key, value, seconds)
    except Exception:  # noqa: BLE001
        logger.warning("Shared cache unavailable for %s", key, exc_info=True)
