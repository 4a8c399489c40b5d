import logging

from django.conf import settings
from django.db import OperationalError
from django.shortcuts import render
from psycopg import errors

logger = logging.getLogger(__name__)

# How long a client is asked to wait after a request that reached the statement timeout.
RETRY_AFTER_SECONDS = 30


class ContentSecurityPolicyMiddleware:
    """Sends the site's Content-Security-Policy with every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class QueryTimeoutMiddleware:
    """A request whose query reached the statement timeout (``STATEMENT_TIMEOUT_MS``) answers
    with a page that says so and a 503 with ``Retry-After``, not with a server error; PostgreSQL
    has already ended the query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (
            isinstance(exception, OperationalError)
            and isinstance(exception.__cause__, errors.QueryCanceled)
        ):
            return None
        logger.warning("Statement timeout on %s %s", request.method, request.get_full_path())
        response = render(request, "atlas/timeout.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
