"""Fixtures for tests that need a browser, a live server or the page checkers' tools.

- ``site_url``: the base URL (``http://127.0.0.1:<port>``) of a live server that serves the
  committed test data (reference + demo data, see tests/conftest.py) and the static files.
- ``browser``: a headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright.
- ``axe_path``: the path of axe-core's ``axe.min.js``; ``vnu_command``: the command line that
  runs the Nu Html Checker.

When a tool is missing the tests that need it fail with the command that installs it; they never
skip (``make test`` installs Chromium first when it runs as root with apt-get, see the Makefile).

The server and the browser start once per process (per xdist worker) and stop at the end of the
session. tests/pages/conftest.py re-exports these fixtures; pytest keeps a separate session cache
for each conftest that exposes a fixture, so ``_once_per_process`` makes both share one instance.

Do not use pytest-django's ``live_server`` or ``transaction=True``: they flush the shared data.
The live server runs in another thread with its own database connection, so it sees committed
data only, and it can reach the database only while database access is unblocked: request the
``db`` fixture in the test (or wrap the browsing in ``django_db_blocker.unblock()``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# to use the database from that thread. tests/conftest.py sets this too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Host names other than localhost do not resolve: a page that asks another host for
    # something is still seen (and fails its test) but nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = BASE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def need(available: bool, missing: str) -> None:
    """Fail the test when a tool is missing: a check that did not run must not pass as green."""
    if not available:
        pytest.fail(missing, pytrace=False)


def require_test_database() -> None:
    """Fail unless the database connection points at the test database.

    pytest-django creates the test database only when a collected test is marked
    ``django_db`` (or uses ``db``); without one, the live server would serve — and a browser
    would write to — the development database.
    """
    from django.db import connection

    name = connection.settings_dict["NAME"]
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    if not (name.startswith("test_") or name == test_name):
        pytest.fail(
            f"The database is {name!r}, not the test database: mark the test that uses the "
            "live server or the page fixtures with @pytest.mark.django_db.",
            pytrace=False,
        )


# One instance per process, however many conftests expose the fixture ----------------------

_running: dict[str, list] = {}  # name -> [value, users, exit stack]


@contextlib.contextmanager
def _once_per_process(name: str, start: Callable[[], contextlib.AbstractContextManager]):
    entry = _running.get(name)
    if entry is None:
        stack = contextlib.ExitStack()
        value = stack.enter_context(start())
        entry = _running[name] = [value, 0, stack]
    entry[1] += 1
    try:
        yield entry[0]
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            del _running[name]
            entry[2].close()


@contextlib.contextmanager
def _live_server(django_db_blocker) -> Iterator[str]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from django.test.utils import modify_settings

    host = "127.0.0.1"
    with modify_settings(ALLOWED_HOSTS={"append": host}):
        # Static files come from the finders (no collectstatic needed), as in
        # StaticLiveServerTestCase.
        thread = LiveServerThread(host, StaticFilesHandler, port=0)
        thread.daemon = True
        with django_db_blocker.unblock():
            thread.start()
            thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://{host}:{thread.port}"
        finally:
            thread.terminate()


@contextlib.contextmanager
def _chromium():
    need(
        CHROMIUM.exists(),
        f"The browser tests need Chromium at {CHROMIUM}. Install it with: "
        "sudo apt-get install chromium",
    )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright runs, the test code runs in another contextvars context, and
            # Django's connections are per context: close those opened meanwhile, or the test
            # database cannot be dropped at the end ("being accessed by other users").
            connections.close_all()


@pytest.fixture(scope="session")
def site_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Base URL of a live server serving the committed test data and the static files."""
    require_test_database()
    with _once_per_process("site_url", lambda: _live_server(django_db_blocker)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Playwright ``Browser``); make a context per viewport from it."""
    with _once_per_process("browser", _chromium) as chromium:
        yield chromium


@pytest.fixture(scope="session")
def axe_path() -> Path:
    need(AXE_JS.exists(), "axe-core is missing. Install it with: npm ci")
    return AXE_JS


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    java = shutil.which("java")
    need(
        java is not None,
        "The HTML validation needs Java. Install it with: "
        "sudo apt-get install default-jre-headless",
    )
    need(VNU_JAR.exists(), "vnu.jar is missing. Install it with: npm ci")
    return [java, "-jar", str(VNU_JAR)]
