"""The site's URLs and pages for the outage tests (tests/atlas/test_outage.py): one that cannot
reach its database (a real refused connection), one whose query runs for a while (to stop the
server under it), one that waits without the database (to keep a worker busy), and one with a
programming error."""

import time

import psycopg
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from atlas.urls import urlpatterns as site_patterns
from tests.servers import free_port


def unreachable(request):
    # A connection to a port nothing listens on, through Django's wrapper of database errors:
    # the error a request gets while PostgreSQL is down.
    with connection.wrap_database_errors:
        psycopg.connect(host="127.0.0.1", port=free_port(), connect_timeout=5)
    return HttpResponse("never")


def sleeping(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(request.GET.get("s", "5"))])
    return HttpResponse("ausgeschlafen")


def waiting(request):
    time.sleep(min(float(request.GET.get("s", "0.2")), 2))
    return HttpResponse("gewartet")


def broken(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM gibt_es_nicht")
    return HttpResponse("never")


urlpatterns = [
    path("nicht-erreichbar/", unreachable),
    path("admin/nicht-erreichbar/", unreachable),
    path("api/nicht-erreichbar/", unreachable),
    path("schlafen/", sleeping),
    path("warten/", waiting),
    path("kaputt/", broken),
    *site_patterns,
]
handler404 = "atlas.views.not_found"
handler500 = "atlas.outage.server_error"
