"""While PostgreSQL is down, pages answer a friendly 503 with ``Retry-After``, and every worker
recovers by itself when it is back (atlas.outage).

The last test stops and starts a real server under a real app: a throwaway PostgreSQL of its
own (tests/servers.py; never the one the test run shares) and gunicorn with two workers."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psutil
import psycopg
import pytest
from bs4 import BeautifulSoup
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client, RequestFactory
from psycopg import errors

from atlas import outage
from atlas.database import parse_database_url
from tests.servers import app_environment, manage, postgres_server, serving_app

PUBLIC_TEXT = "Gleich wieder da"
WORKSPACE_TEXT = "Die Datenbank ist gerade nicht erreichbar"


def _wrapped(django_error, cause):
    error = django_error(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), True),
        (_wrapped(OperationalError, errors.AdminShutdown("terminating connection")), True),
        (_wrapped(OperationalError, errors.CannotConnectNow("starting up")), True),
        (_wrapped(OperationalError, errors.TooManyConnections("too many clients")), True),
        (_wrapped(OperationalError, errors.ConnectionFailure("connection failure")), True),
        (_wrapped(InterfaceError, psycopg.InterfaceError("connection already closed")), True),
        (InterfaceError("connection already closed"), True),
        (_wrapped(OperationalError, errors.QueryCanceled("statement timeout")), False),
        (_wrapped(OperationalError, errors.DeadlockDetected("deadlock")), False),
        (_wrapped(OperationalError, errors.LockNotAvailable("lock")), False),
        (_wrapped(ProgrammingError, errors.UndefinedTable("no such table")), False),
        (ValueError("not the database"), False),
    ],
    ids=lambda value: (
        type(getattr(value, "__cause__", None) or value).__name__
        if not isinstance(value, bool)
        else str(value)
    ),
)
def test_only_a_refused_or_lost_connection_counts_as_the_database_being_down(error, down):
    assert outage.is_database_down(error) is down


def test_persistent_connections_are_checked_before_use_with_either_database():
    # The embedded server's settings come from its URL too (atlas.database.embedded_database).
    for url in (
        "postgresql://atlas:secret@db.example.org:5432/atlas",
        "postgresql://postgres:@/bildungsatlas?host=/tmp/socket",
    ):
        settings = parse_database_url(url)
        assert settings["CONN_HEALTH_CHECKS"] is True
        assert settings["CONN_MAX_AGE"] > 0


@pytest.mark.django_db
@pytest.mark.urls("tests.atlas.outage_urls")
class TestThePages:
    def test_a_public_page_says_it_is_back_soon_without_a_query(
        self, client, settings, django_assert_num_queries, caplog
    ):
        settings.DEBUG = False
        with django_assert_num_queries(0):
            response = client.get("/nicht-erreichbar/?q=Pflege")
        # One line in the log (beside the request's own line), no traceback.
        (record,) = [record for record in caplog.records if record.name != "atlas.requests"]
        assert record.name == "atlas.outage" and record.levelname == "WARNING"
        assert record.getMessage().startswith("Database unreachable on GET /nicht-erreichbar/:")
        assert record.exc_info is None
        assert response.status_code == 503
        assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
        assert response["Cache-Control"] == "no-store"
        page = BeautifulSoup(response.content, "html.parser")
        assert page.html["lang"] == "de"
        assert page.h1.get_text() == PUBLIC_TEXT
        assert "Datenbank" in page.main.get_text()
        assert [a["href"] for a in page.main.find_all("a")] == ["/nicht-erreichbar/?q=Pflege", "/"]
        assert "Traceback" not in response.content.decode()

    def test_the_page_is_the_same_with_debug_on(self, client, settings):
        settings.DEBUG = True
        response = client.get("/nicht-erreichbar/")
        assert response.status_code == 503
        assert PUBLIC_TEXT in response.content.decode()

    def test_the_workspace_says_the_database_is_not_reachable_and_nothing_was_saved(
        self, client, settings
    ):
        settings.DEBUG = False
        response = client.post("/admin/nicht-erreichbar/", {"title": "Neu"})
        assert response.status_code == 503
        assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
        page = BeautifulSoup(response.content, "html.parser")
        assert page.h1.get_text() == WORKSPACE_TEXT
        assert "wurde nicht gespeichert" in page.main.get_text()

    def test_the_api_answers_json(self, client):
        response = client.get("/api/nicht-erreichbar/")
        assert response.status_code == 503
        assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
        assert "Datenbank" in response.json()["detail"]

    def test_a_programming_error_stays_a_server_error(self, settings):
        settings.DEBUG = False
        response = Client(raise_request_exception=False).get("/kaputt/")
        assert response.status_code == 500
        assert "Ein Fehler ist aufgetreten" in response.content.decode()


def test_the_500_handler_answers_the_outage_page_for_an_error_outside_a_view():
    """A middleware's database error never reaches the middleware's ``process_exception``:
    Django hands it to ``handler500``, inside the ``except`` block."""
    request = RequestFactory().get("/kurse/")
    try:
        raise _wrapped(OperationalError, psycopg.OperationalError("connection refused"))
    except OperationalError:
        response = outage.server_error(request)
    assert response.status_code == 503
    assert PUBLIC_TEXT in response.content.decode()
    try:
        raise ValueError("not the database")
    except ValueError:
        response = outage.server_error(request)
    assert response.status_code == 500


# --- a real server stopped and started under gunicorn ---------------------------------------

ADMIN_PASSWORD = "Ausfall-Probe-2026!"
PUBLIC_PAGES = ["/", "/kurse/", "/impressum/"]
ADMIN_PAGES = ["/admin/", "/admin/measures/course/"]


def _cookies(answer, jar: dict) -> dict:
    for header in answer.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value
    return jar


def _cookie_header(jar: dict) -> dict:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())}


def _log_in(app) -> dict:
    """Log in to the workspace as the superuser; returns the cookies."""
    page = app.get("/admin/login/")
    jar = _cookies(page, {})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    form = {"csrfmiddlewaretoken": token, "username": "admin", "password": ADMIN_PASSWORD}
    answer = app.request(
        "POST",
        "/admin/login/",
        body=urlencode({**form, "next": "/admin/"}),
        headers={"Content-Type": "application/x-www-form-urlencoded", **_cookie_header(jar)},
    )
    assert answer.status == 302, answer.body[:2000]
    return _cookies(answer, jar)


def _worker_pids(app) -> set[str]:
    return {f"<{child.pid}>" for child in psutil.Process(app.process.pid).children()}


def _until_every_worker_answered(app, requests, check, *, seconds: float = 20) -> list:
    """Send ``requests`` (callables) in concurrent rounds, one worker kept busy for a moment in
    each, until every worker has answered at least one of them; ``check`` sees each answer.
    Bounded in time. Returns the answers."""
    workers = _worker_pids(app)
    start = app.log_size()
    answers = []
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=len(requests) + 1) as pool:
        while True:
            busy = pool.submit(app.get, "/warten/?s=0.3")
            time.sleep(0.05)
            for answer in pool.map(lambda send: send(), requests):
                check(answer)
                answers.append(answer)
            busy.result()
            seen = {worker for worker, *_, path in app.answered(start) if path != "/warten/"}
            if workers <= seen:
                return answers
            assert time.monotonic() < deadline, f"only {seen} of the workers {workers} answered"


def _app_sessions(server, database: str) -> list[int]:
    with server.connect() as connection:
        return [
            pid
            for (pid,) in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
        ]


def test_a_real_outage_answers_503_and_every_worker_recovers_by_itself(tmp_path):
    with postgres_server() as server:
        environment = app_environment(
            server.create_database("atlas"),
            tmp_path / "data",
            DJANGO_SETTINGS_MODULE="tests.atlas.outage_settings",
            DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        )
        manage("migrate", "--no-input", env=environment)
        manage(
            "createsuperuser", "--no-input", "--username=admin", "--email=a@b.de", env=environment
        )
        with serving_app(environment, tmp_path, workers=2) as app:
            jar = _log_in(app)
            signed_in = _cookie_header(jar)

            def public(path):
                return lambda: app.get(path)

            def workspace(path):
                return lambda: app.get(path, headers=signed_in)

            def feedback():
                # The log-in rotated the CSRF secret: the cookie's own value is a valid token.
                token = jar["__Host-csrftoken"]
                form = {"csrfmiddlewaretoken": token, "message": "Der Kontrast ist zu gering."}
                return app.request(
                    "POST",
                    "/barrierefreiheit/",
                    body=urlencode(form),
                    headers={"Content-Type": "application/x-www-form-urlencoded", **signed_in},
                )

            pages = [*map(public, PUBLIC_PAGES), *map(workspace, ADMIN_PAGES)]

            def ok(answer):
                assert answer.status == 200, answer.body[:2000]

            # Both workers hold a connection of their own (CONN_MAX_AGE).
            _until_every_worker_answered(app, pages, ok)

            # Connections lost between requests: the next request opens a new one.
            with server.connect() as connection:
                for pid in _app_sessions(server, "atlas"):
                    connection.execute("SELECT pg_terminate_backend(%s)", [pid])
            _until_every_worker_answered(app, pages, ok)

            # The server stops under a running query: that request answers 503 too.
            in_flight = ThreadPoolExecutor(max_workers=1)
            sleeping = in_flight.submit(app.get, "/schlafen/?s=8")
            deadline = time.monotonic() + 10
            while not _sleeping_query(server):
                assert time.monotonic() < deadline, "the query did not start"
                time.sleep(0.05)
            server.stop("fast")
            interrupted = sleeping.result(timeout=20)
            in_flight.shutdown()
            assert interrupted.status == 503
            assert PUBLIC_TEXT in interrupted.body

            # While it is down: every page, every worker.
            def unavailable(answer):
                assert answer.status == 503, answer.body[:2000]
                assert answer.headers["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
                assert "Traceback" not in answer.body
                if answer.headers["Content-Type"].startswith("application/json"):
                    assert "Datenbank" in answer.body
                    return
                page = BeautifulSoup(answer.body, "html.parser")
                assert page.h1.get_text() in (PUBLIC_TEXT, WORKSPACE_TEXT)

            answers = _until_every_worker_answered(
                app, [*pages, public("/api/courses/"), feedback], unavailable
            )
            texts = [answer.body for answer in answers]
            assert any(WORKSPACE_TEXT in text for text in texts)
            assert any("wurde nicht gespeichert" in text for text in texts)  # the feedback

            # Back again: no worker needs a restart, and the log-in held.
            server.start()
            back = _until_every_worker_answered(app, pages, ok)
            assert any("Abmelden" in answer.body or "logout" in answer.body for answer in back)
            log = app.output.read_text()
            assert "Database unreachable on GET /" in log
            assert "Traceback" not in log


def _sleeping_query(server) -> bool:
    with server.connect() as connection:
        return bool(
            connection.execute(
                "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' "
                "AND state = 'active'"
            ).fetchone()
        )
