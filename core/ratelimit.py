"""A simple rate limit per client in Django's cache (for public forms).

The client is keyed by a keyed hash of its address, never the address itself, and the count
lives only in the cache for the length of the window. With the default in-process cache each
worker process counts on its own; a shared cache (``CACHES``) makes it one count per
installation.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, request) -> str:
    address = request.META.get("REMOTE_ADDR") or "unknown"
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()
    return f"atlas:rate:{scope}:{digest[:32]}"


def is_limited(scope: str, request, *, limit: int) -> bool:
    """Whether this client has used up ``limit`` in the current window."""
    return (cache.get(_key(scope, request)) or 0) >= limit


def record(scope: str, request, *, window: int) -> int:
    """Count one more use by this client; the window starts with its first use."""
    key = _key(scope, request)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1
