"""Shared state: the caches and the rate limits that all workers share, and the settings for them.

The limits are proven across processes: gunicorn with two workers and production settings
against this worker's test database, asked by several connections at once (both workers
answer), once with the counts in PostgreSQL and once in a Redis server the test starts itself
(Debian's ``redis-server``, on a free loopback port, no persistence, in a temporary folder).
The server commits to the test database, so what it wrote is deleted again afterwards.
"""

from __future__ import annotations

import http.client
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from contextlib import contextmanager
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from atlas.models import RateCount
from atlas.page_benchmark import HOST, ProductionServer, free_port
from core import ratelimit
from pages.models import AccessibilityFeedback
from tests.atlas.test_settings import _manage
from tests.servers import database_url_of_the_tests
from workspace.models import LoginFailure

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = "/usr/bin/redis-server"


# Settings -------------------------------------------------------------------------------------


def test_the_default_cache_is_the_database_and_the_local_one_each_workers_own():
    assert django_settings.CACHES["default"]["BACKEND"].endswith("db.DatabaseCache")
    assert django_settings.CACHES["local"]["BACKEND"].endswith("locmem.LocMemCache")
    assert not ratelimit.counts_in_cache()


@pytest.mark.django_db
def test_the_test_database_has_the_cache_table_and_the_cache_works():
    table = django_settings.CACHES["default"]["LOCATION"]
    assert table in connection.introspection.table_names()
    cache = caches["default"]
    cache.set("atlas:test", {"ein": "Wert"}, 30)
    assert cache.get("atlas:test") == {"ein": "Wert"}


def test_redis_url_makes_redis_the_shared_cache():
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings; from core import ratelimit; "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']);"
        "print(ratelimit.counts_in_cache())",
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6390/2",
    )
    lines = shown.stdout.strip().splitlines()
    assert lines[-2] == "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6390/2"
    assert lines[-1] == "True", shown.stderr


@pytest.mark.parametrize("value", ["-1", "zwei", "1.5"])
def test_a_proxy_hop_count_that_is_no_count_is_refused(value):
    result = _manage("check", DEBUG="true", TRUSTED_PROXY_HOPS=value)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_HOPS" in result.stderr


def test_no_code_but_core_client_reads_the_client_address():
    readers = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "node_modules"}:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"[\"'](REMOTE_ADDR|HTTP_X_FORWARDED_FOR)[\"']", text):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == ["core/client.py"]


# The counts in PostgreSQL --------------------------------------------------------------------


@pytest.mark.django_db
def test_counts_start_again_after_the_window(settings):
    key = ratelimit.key_for("test", "client:192.0.2.1")
    assert [ratelimit.hit(key, window=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit(ratelimit.key_for("test", "client:192.0.2.2"), window=60) == 1
    assert ratelimit.hit(key, window=0) == 1  # a window of 0 s is always over
    assert RateCount.objects.get(key=key).count == 1


@pytest.mark.django_db
def test_ended_windows_are_deleted_now_and_then(monkeypatch):
    monkeypatch.setattr(ratelimit, "CLEANUP_CHANCE", 0)
    ended, current = (ratelimit.key_for("test", f"client:192.0.2.{n}") for n in (1, 2))
    ratelimit.hit(ended, window=60)
    ratelimit.hit(ratelimit.key_for("other", "client:192.0.2.1"), window=60)
    RateCount.objects.update(started=timezone.now() - timedelta(minutes=2))
    monkeypatch.setattr(ratelimit, "CLEANUP_CHANCE", 1)
    assert ratelimit.hit(current, window=60) == 1
    # The scope's ended window is gone; the other scope's row stays (its window may be longer).
    assert set(RateCount.objects.values_list("key", flat=True)) == {
        current,
        ratelimit.key_for("other", "client:192.0.2.1"),
    }
    assert ratelimit.hit(current, window=0) == 1  # the row in use is never deleted
    assert RateCount.objects.filter(key=current).exists()


@pytest.mark.django_db
def test_a_count_is_keyed_by_the_address_behind_the_trusted_proxy(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    factory = RequestFactory()
    via_proxy = factory.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    other = factory.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    forged = factory.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    assert ratelimit.attempt_client("test", via_proxy, limit=2, window=60)
    assert ratelimit.attempt_client("test", other, limit=2, window=60)
    assert ratelimit.attempt_client("test", forged, limit=2, window=60)  # the same client
    assert not ratelimit.attempt_client("test", via_proxy, limit=2, window=60)
    assert not ratelimit.attempt_client("test", forged, limit=2, window=60)
    assert ratelimit.attempt_client("test", other, limit=2, window=60)


def test_an_unreachable_cache_server_allows_the_use_and_logs_it(monkeypatch, caplog):
    class Away:
        def add(self, *args, **kwargs):
            raise ConnectionError("Redis is away")

    monkeypatch.setattr(ratelimit, "counts_in_cache", lambda: True)
    monkeypatch.setattr(ratelimit, "_cache", Away)
    assert ratelimit.attempt("test:x", limit=1, window=60)
    assert "does not answer" in caplog.text


# Across two worker processes --------------------------------------------------------------


@contextmanager
def redis_server(folder: Path):
    """Debian's redis-server on a free loopback port, no persistence, in ``folder``; yields
    its URL and stops it afterwards."""
    assert Path(REDIS_SERVER).exists(), (
        f"The shared-state tests need {REDIS_SERVER}: apt-get install redis-server "
        "(make test installs it as root)."
    )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            REDIS_SERVER,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(folder),
            "--daemonize", "no",
            "--protected-mode", "yes",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert process.poll() is None, process.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "redis-server did not answer within 20 s"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


class Browser:
    """A visitor behind the proxy at ``address``: one CSRF cookie and token for its forms."""

    def __init__(self, port: int, address: str):
        self.port = port
        self.address = address
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": HOST,
            "X-Forwarded-For": f"6.6.6.6, {self.address}",  # the first is forged by the client
            "Cookie": self.cookie,
        }
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
            for name, morsel in cookies.items():
                if "csrftoken" in name:
                    self.cookie = f"{name}={morsel.value}"
            return response.status, text
        finally:
            connection.close()

    def open_form(self, path: str) -> None:
        status, text = self.request("GET", path)
        assert status == 200, text[-2000:]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)

    def post(self, path: str, data: dict) -> int:
        return self.submit(path, data)[0]

    def submit(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, **data})
        return self.request("POST", path, body)


def post_at_once(
    browser: Browser, path: str, forms: list[dict], connections: int = 4, *, texts=False
) -> list:
    """Post the forms from ``connections`` threads at once; the answers' statuses (or, with
    ``texts``, their statuses and texts)."""
    statuses: list = []
    lock = threading.Lock()
    start = threading.Barrier(connections)

    def send(share):
        start.wait()
        for data in share:
            answer = browser.submit(path, data)
            with lock:
                statuses.append(answer if texts else answer[0])

    threads = [
        threading.Thread(target=send, args=(forms[index::connections],))
        for index in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture
def test_database_url(monkeypatch, tmp_path_factory):
    """The production server's environment: this worker's test database, one trusted proxy,
    small limits, mail kept in memory; the rows it commits are deleted afterwards."""
    db = connection.settings_dict
    url = database_url_of_the_tests()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path_factory.getbasetemp() / "shared-static"))
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    monkeypatch.setenv("FEEDBACK_PER_CLIENT", "5")
    monkeypatch.setenv("PASSWORD_RESETS_PER_CLIENT", "7")
    monkeypatch.setenv("PASSWORD_RESETS_PER_EMAIL", "100")
    monkeypatch.setenv("LOGIN_FAILURES_PER_USERNAME", "4")
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    monkeypatch.delenv("REDIS_URL", raising=False)
    marker = f"Geteilte Grenze {secrets.token_hex(6)}"
    yield marker
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"]
    ) as cleanup:
        cleanup.execute(
            f"DELETE FROM {AccessibilityFeedback._meta.db_table} WHERE message LIKE %s",  # noqa: S608
            [f"%{marker}%"],
        )
        cleanup.execute(f"DELETE FROM {RateCount._meta.db_table}")  # noqa: S608
        cleanup.execute(f"DELETE FROM {LoginFailure._meta.db_table}")  # noqa: S608


def assert_limits_hold_across_two_workers(marker: str) -> None:
    """Start gunicorn with two workers and send more feedback and reset requests than allowed
    from several connections at once: exactly the limit is accepted, the rest is told to wait
    (429), and both workers answered."""
    server = ProductionServer(base_dir=ROOT, workers=2, timeout=30)
    server.start()
    try:
        assert len(server.worker_pids()) == 2
        feedback = Browser(server.port, "203.0.113.77")
        feedback.open_form("/barrierefreiheit/")
        forms = [{"message": f"{marker}: Nummer {n} ist zu klein."} for n in range(16)]
        statuses = post_at_once(feedback, "/barrierefreiheit/", forms)
        assert sorted(statuses) == [302] * 5 + [429] * 11, statuses

        reset = Browser(server.port, "203.0.113.78")
        path = reverse("admin:password_reset")
        reset.open_form(path)
        forms = [{"email": f"niemand-{n}@example.org"} for n in range(20)]
        statuses = post_at_once(reset, path, forms)
        assert sorted(statuses) == [302] * 7 + [429] * 13, statuses

        # Log-in attempts with a wrong password sent at once to both workers: exactly the
        # allowed number is checked, every other one is told the name is locked.
        login = Browser(server.port, "203.0.113.80")
        path = reverse("admin:login")
        login.open_form(path)
        name = f"grenze-{secrets.token_hex(4)}"
        forms = [{"username": name, "password": f"falsch-{n}"} for n in range(12)]
        answers = post_at_once(login, path, forms, texts=True)
        assert sorted(status for status, _text in answers) == [200] * 12
        locked = [text for _status, text in answers if "Zu viele fehlgeschlagene" in text]
        assert len(locked) == 12 - 4, [text[-500:] for _status, text in answers]

        # Another client behind the same proxy is not held up.
        other = Browser(server.port, "203.0.113.79")
        other.open_form("/barrierefreiheit/")
        assert other.post("/barrierefreiheit/", {"message": f"{marker}: noch eine."}) == 302

        workers = set(server.worker_pids())
        deadline = time.monotonic() + 5  # a worker writes its line just after the answer
        while True:
            served = {int(pid.strip("<>")) for pid in server.access_log.read_text().split()}
            if workers <= served or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert workers <= served, (workers, served)
    finally:
        server.stop()


@pytest.mark.django_db
def test_limits_hold_across_two_workers_with_the_counts_in_postgresql(test_database_url):
    assert_limits_hold_across_two_workers(test_database_url)
    stored = AccessibilityFeedback.objects.filter(message__contains=test_database_url)
    assert stored.count() == 6  # 5 from the first client, 1 from the other
    assert RateCount.objects.filter(key__startswith="feedback:").count() == 2
    assert RateCount.objects.filter(key__startswith="reset-client:").count() == 1
    assert not RateCount.objects.filter(key__contains="203.0.113").exists()


@pytest.mark.django_db
def test_limits_hold_across_two_workers_with_the_counts_in_redis(
    test_database_url, monkeypatch, tmp_path
):
    with redis_server(tmp_path) as url:
        monkeypatch.setenv("REDIS_URL", url)
        assert_limits_hold_across_two_workers(test_database_url)
        import redis

        keys = redis.Redis.from_url(url).keys("*")
    assert any(b"atlas:rate:feedback:" in key for key in keys), keys
    assert any(b"atlas:rate:reset-client:" in key for key in keys), keys
    assert not RateCount.objects.exists()  # nothing counted in PostgreSQL
    assert AccessibilityFeedback.objects.filter(message__contains=test_database_url).count() == 6


def test_make_test_installs_redis_server_and_never_skips():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bredis\b", makefile, re.M)
    assert "$(call debian_tool,$(REDIS),redis-server," in makefile
    assert shutil.which("redis-server") or Path(REDIS_SERVER).exists()
