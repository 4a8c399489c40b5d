"""Log-in protection: a lock after repeated failures, a limit on password-reset emails, and
who needs two-factor log-in.

Failures are counted per user name (case-insensitive) and per client (rows of
``LoginFailure``); the client is kept only as a keyed hash of its address
(``core.client.client_address``: through the trusted proxies), never the address itself. A
locked user name or client gets the same clear message whether or not the password was right,
so guessing goes nowhere during the lock. Password-reset requests are counted per client and
per email address in the shared rate-limit counts (``core.ratelimit``: one atomic count for all
workers), whether or not an account has that address, so the limit tells nobody whether one
exists.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_otp.util import random_hex

from core import ratelimit
from core.client import client_address
from workspace.access import access_for
from workspace.models import LoginFailure


def _hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def username_key(username: str) -> str:
    return _hash("user:" + (username or "").strip().casefold())


def client_key(request) -> str:
    return _hash("client:" + client_address(request))


def _window():
    return timedelta(seconds=settings.LOGIN_LOCK_SECONDS)


def _recent(scope: str, key: str, window=None):
    since = timezone.now() - (window or _window())
    return LoginFailure.objects.filter(scope=scope, key=key, at__gte=since)


def _forget_old() -> None:
    """Delete rows that no window looks at any more (and the password-reset rows of earlier
    versions, which counted those here)."""
    LoginFailure.objects.filter(at__lt=timezone.now() - _window()).delete()


def attempt(request, username: str) -> list[int] | None:
    """Count a log-in attempt before its password is checked: its rows (one for the user name,
    one for the client) are written first and then the recent ones counted, so of attempts
    sent at once to several workers no more than the allowed number are checked — each
    attempt sees at least the rows written before its count. ``None``: locked (this attempt's
    rows are removed again); else the rows, which stay as failures unless ``succeeded``."""
    _forget_old()
    rows = LoginFailure.objects.bulk_create(
        [
            LoginFailure(scope=LoginFailure.Scope.USERNAME, key=username_key(username)),
            LoginFailure(scope=LoginFailure.Scope.CLIENT, key=client_key(request)),
        ]
    )
    ids = [row.pk for row in rows]
    if (
        _recent(LoginFailure.Scope.USERNAME, username_key(username)).count()
        > settings.LOGIN_FAILURES_PER_USERNAME
        or _recent(LoginFailure.Scope.CLIENT, client_key(request)).count()
        > settings.LOGIN_FAILURES_PER_CLIENT
    ):
        LoginFailure.objects.filter(pk__in=ids).delete()
        return None
    return ids


def succeeded(username: str, attempt_ids: list[int]) -> None:
    """A log-in succeeded: its own rows and the user name's earlier failures are forgotten
    (the client's earlier failures stay)."""
    LoginFailure.objects.filter(
        Q(pk__in=attempt_ids) | Q(scope=LoginFailure.Scope.USERNAME, key=username_key(username))
    ).delete()


def lock_minutes() -> int:
    return max(1, round(settings.LOGIN_LOCK_SECONDS / 60))


# Password reset --------------------------------------------------------------------------------


def email_key(email: str) -> str:
    return _hash("email:" + (email or "").strip().casefold())


RESET_CLIENT_SCOPE = "reset-client"
RESET_EMAIL_SCOPE = "reset-email"


def reset_allowed(request, email: str) -> bool:
    """Count a request for a reset email from this client and then for this address; whether
    both are within their limits (``PASSWORD_RESETS_PER_CLIENT``, ``PASSWORD_RESETS_PER_EMAIL``
    per ``PASSWORD_RESET_WINDOW_SECONDS``). Counting and comparing are one step for all workers;
    a request over the client's limit is not counted against the address."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    return ratelimit.attempt_client(
        RESET_CLIENT_SCOPE, request, limit=settings.PASSWORD_RESETS_PER_CLIENT, window=window
    ) and ratelimit.attempt(
        ratelimit.key_for(RESET_EMAIL_SCOPE, email_key(email)),
        limit=settings.PASSWORD_RESETS_PER_EMAIL,
        window=window,
    )


def reset_wait_minutes() -> int:
    return max(1, round(settings.PASSWORD_RESET_WINDOW_SECONDS / 60))


# Two-factor log-in -----------------------------------------------------------------------------


BACKUP_CODE_COUNT = 10


def new_app_key() -> str:
    """A new secret key for an authenticator app (hex, as django-otp stores it)."""
    return random_hex(20)


def confirmed_devices(user):
    """The user's authenticator apps (TOTP)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True)


def backup_devices(user):
    """The holder of the user's one-time backup codes (at most one)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    return StaticDevice.objects.filter(user=user, confirmed=True)


def backup_codes_left(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def has_two_factor(user) -> bool:
    """Two-factor log-in is set up: an authenticator app (backup codes alone are not)."""
    return confirmed_devices(user).exists()


def is_app_code(token: str) -> bool:
    """A code of the authenticator app has six digits; a backup code is eight letters and
    digits."""
    return len(token) == 6 and token.isdigit()


def two_factor_required(user) -> bool:
    """Coordinators and superusers must use a second factor where the settings say so
    (production)."""
    if not settings.WORKSPACE_REQUIRE_2FA:
        return False
    access = access_for(user)
    return access.is_superuser or access.is_coordinator


def two_factor_missing(request) -> bool:
    """The user must use two-factor log-in but this session was not verified with it."""
    user = request.user
    if not (user.is_authenticated and two_factor_required(user)):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified())
