"""The site's URLs and one page whose query runs past a 1 ms statement timeout."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path

from atlas.urls import urlpatterns as site_patterns


def slow(request):
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint in the tests
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(0.5)")
    return HttpResponse("never")


urlpatterns = [path("langsam/", slow), *site_patterns]
handler404 = "atlas.views.not_found"
