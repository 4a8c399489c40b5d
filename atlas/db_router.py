"""Read replicas in the request cycle: the database router and the middleware that lets public
reads go to a replica (``core.replicas`` says which reads may, and where they go).

Both are installed only when ``DATABASE_REPLICA_URLS`` names replicas (``atlas.settings``).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections
from django.http import HttpResponse
from django.urls import reverse
from psycopg import errors

from core import replicas

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})


class ReplicaRouter:
    """Reads go where ``core.replicas`` says (the primary outside a public request); writes,
    migrations and everything they lock go to the primary."""

    def db_for_read(self, model, **hints):
        return replicas.read_alias(model._meta.app_label)

    def db_for_write(self, model, **hints):
        replicas.mark_written(model._meta.app_label)
        return replicas.PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == replicas.PRIMARY


class ReplicaMiddleware:
    """Anonymous GET and HEAD requests outside the admin read from a replica, until they write
    (the router's writes and, for raw SQL, every statement on the primary that is not a plain
    read). Logged-in users read the primary: what they saved is what they see.

    A request whose replica failed while it read (a lost connection, a query cancelled by a
    conflict with the replica's replay) is answered again from the primary; a replica that
    cannot be reached is left alone for a while (``core.replicas.mark_down``). It comes after
    the authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._private: tuple[str, ...] | None = None

    def __call__(self, request):
        if not self._public_read(request):
            return self.get_response(request)
        primary = connections[replicas.PRIMARY]
        with replicas.replica_reads() as reads, primary.execute_wrapper(replicas.note_writes):
            response = self.get_response(request)
            if reads.failed:  # the answer of the first try was a stand-in
                response = self.get_response(request)
        return response

    def _public_read(self, request) -> bool:
        if self._private is None:
            self._private = (reverse("admin:index"),)
        user = getattr(request, "user", None)
        return (
            request.method in READ_METHODS
            and not request.path.startswith(self._private)
            and user is not None
            and not user.is_authenticated
        )

    def process_exception(self, request, exception):
        reads = replicas.current()
        if reads is None or reads.failed or not isinstance(exception, DatabaseError):
            return None
        if isinstance(exception.__cause__, errors.QueryCanceled):
            return None  # the statement timeout: the same query would time out on the primary
        alias = replicas.failed_replica(reads)
        if alias is None:
            return None
        connection = connections[alias]
        if connection.is_usable():  # a conflict with the replay: the replica itself is fine
            connection.errors_occurred = False
            logger.info("Read on %s failed (%s); answered from the primary", alias, exception)
        else:
            replicas.mark_down(alias, exception)
        reads.failed = True
        reads.alias = replicas.PRIMARY
        return HttpResponse(status=503)  # a stand-in: __call__ asks the view again
