"""/health/live and /health/ready (atlas/health.py): answered before the rest of the middleware,
never cached, and ready only while the database and the job queue answer — tried against real
failures: the job queue's table gone (renamed in the test's transaction) and a database alias
whose server does not listen."""

import json
import logging

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from django_tasks_db.models import DBTaskResult

from atlas import health
from atlas.database import parse_database_url
from atlas.page_benchmark import free_port
from atlas.sitemaps import SITEMAPS
from atlas.url_catalogue import collect_patterns


def body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def assert_never_cached(response):
    cache = response["Cache-Control"]
    assert "no-store" in cache and "max-age=0" in cache, cache


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live", "/health/live/"])
def test_liveness_answers_without_the_database(client, path, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200
    assert body(response) == {"status": "alive"}
    assert_never_cached(response)


@pytest.mark.django_db
def test_readiness_answers_200_with_the_database_and_the_job_queue(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    report = body(response)
    assert report["status"] == "ready"
    assert report["database"] == "ok" and report["job_queue"] == "ok"
    assert report["jobs_waiting"] == 0 and report["oldest_job_waiting_seconds"] is None
    assert report["workers_connected"] == 0  # no db_worker runs beside the tests
    assert_never_cached(response)


@pytest.mark.django_db
def test_readiness_counts_waiting_jobs_and_connected_workers(client):
    from workspace.tasks import run_course_import  # a task of the project (not run here)

    run_course_import.enqueue(0, False)
    db = connection.settings_dict
    worker = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"] or None,
        application_name=health.WORKER_APPLICATION_NAME,
    )
    try:
        report = body(client.get("/health/ready"))
    finally:
        worker.close()
    assert report["jobs_waiting"] == 1
    assert report["oldest_job_waiting_seconds"] >= 0
    assert report["workers_connected"] == 1


@pytest.mark.django_db
def test_readiness_answers_503_when_the_job_queue_is_unreachable(client, caplog):
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"ALTER TABLE {table} RENAME TO gone")
    caplog.set_level(logging.INFO, logger="atlas.health")
    response = client.get("/health/ready")
    assert response.status_code == 503
    report = body(response)
    assert report == {
        "status": "not ready",
        "database": "ok",
        "job_queue": "unreachable (ProgrammingError)",
    }
    assert_never_cached(response)
    assert any(r.levelno == logging.WARNING for r in caplog.records), "a change is logged"
    # The failed check left the connection usable.
    assert client.get("/health/live").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE gone RENAME TO {table}")
    assert client.get("/health/ready").status_code == 200


@pytest.fixture
def unreachable_database():
    """A database alias whose server does not listen (a free port of 127.0.0.1)."""
    alias = "unreachable"
    url = f"postgresql://atlas@127.0.0.1:{free_port()}/atlas?connect_timeout=3"
    configured = connections.configure_settings(
        {"default": connections.settings["default"], alias: parse_database_url(url)}
    )
    connections.settings[alias] = configured[alias]
    yield alias
    connections[alias].close()
    del connections[alias]
    del connections.settings[alias]


def test_readiness_is_not_ready_when_the_database_cannot_be_reached(
    unreachable_database, django_db_blocker
):
    with django_db_blocker.unblock():  # a real attempt to connect, to a port nobody listens on
        ready, report = health.readiness(using=unreachable_database)
    assert not ready
    assert report == {"status": "not ready", "database": "unreachable (OperationalError)"}


@pytest.mark.django_db
def test_probes_pass_host_check_https_redirect_and_session(settings, caplog):
    """A probe of 127.0.0.1 over plain HTTP gets its answer where pages are refused or
    redirected, sets no cookie and adds no request line to the log."""
    settings.ALLOWED_HOSTS = ["bildungsatlas.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    caplog.set_level(logging.INFO, logger="atlas.requests")
    probe = Client(HTTP_HOST="127.0.0.1:8000", raise_request_exception=False)
    assert probe.get("/").status_code == 400  # a page: the host is refused
    caplog.clear()
    for path in ("/health/live", "/health/ready"):
        response = probe.get(path)
        assert response.status_code == 200, path
        assert not response.cookies
    assert not [r for r in caplog.records if r.name == "atlas.requests"]
    site = Client(HTTP_HOST="bildungsatlas.example.org")
    assert site.get("/").status_code == 301  # a page over plain HTTP: redirected
    assert site.get("/health/ready").status_code == 200


@pytest.mark.django_db
def test_only_get_and_head(client):
    response = client.post("/health/ready")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    head = client.head("/health/live")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.django_db
def test_health_is_no_page_of_the_site():
    """Not in the URLconf (so not among the page checks' patterns and not in the sitemap)."""
    assert not [p for p in collect_patterns() if "health" in p.route]
    for section in SITEMAPS.values():
        sitemap = section()
        assert not [path for path, _ in sitemap.entries(1) if path.startswith("/health/")]
