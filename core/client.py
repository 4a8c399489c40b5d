"""The address of the client behind a request, through the configured reverse proxies.

Every place that needs a client's address (the rate limits, the log-in lock) asks
:func:`client_address`; nothing else reads ``REMOTE_ADDR`` or ``X-Forwarded-For``.

``TRUSTED_PROXY_HOPS`` (settings) is the number of reverse proxies in front of the server, each
appending the address it was connected from to ``X-Forwarded-For`` (nginx's
``$proxy_add_x_forwarded_for``):

- 0 (the default): no proxy. The client is ``REMOTE_ADDR``; the header is never read, since
  anybody can send it.
- N: the N-th address from the right of the header. The last proxy added the rightmost entry,
  the one before it the entry left of that, and so on; what stands further left came from the
  client and could be anything. A header with fewer entries came through fewer proxies (a
  request to the inner proxy straight from the local network): its leftmost entry, written by
  a trusted proxy, is the client. Without the header the request did not pass a proxy at all
  (a health check on the server's own port): ``REMOTE_ADDR``.

An entry is an IPv4 or IPv6 address, optionally with a port (``192.0.2.1:4711``,
``[2001:db8::1]:4711``) as some proxies write it; it comes back in its normal form. An entry
that is no address (a misconfigured proxy) is not used: the request counts as coming from
``REMOTE_ADDR``, the nearest proxy, as it would without the header.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings

UNKNOWN = "unknown"
logger = logging.getLogger(__name__)


def parse_address(text: str) -> str | None:
    """The address in one entry of ``X-Forwarded-For`` (or ``REMOTE_ADDR``) in its normal
    form, or ``None`` if it is none."""
    text = text.strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4:port (an IPv6 address has two colons at least)
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def forwarded_address(forwarded_for: str, hops: int) -> str | None:
    """The client's entry of an ``X-Forwarded-For`` header that passed ``hops`` trusted
    proxies: the ``hops``-th from the right, or the leftmost of fewer. ``None`` without the
    header or when that entry is no address."""
    if hops <= 0 or not forwarded_for.strip():
        return None
    entries = forwarded_for.split(",")
    entry = entries[-min(hops, len(entries))]
    address = parse_address(entry)
    if address is None:
        logger.warning("X-Forwarded-For entry %r is no address: using REMOTE_ADDR", entry[:100])
    return address


def client_address(request) -> str:
    """The client's address for ``request`` (see the module's docstring), or ``"unknown"``."""
    remote = request.META.get("REMOTE_ADDR") or ""
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = forwarded_address(request.META.get("HTTP_X_FORWARDED_FOR", ""), hops)
    return forwarded or parse_address(remote) or remote.strip() or UNKNOWN
