"""benchmark_pages: the report from fixed numbers, the HTTP client against a tiny server, and one
real run of the command (gunicorn, production settings) against the test database's demo data.
Nothing here times anything: the figures belong in the README, not in assertions.
"""

from __future__ import annotations

import gc
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError, OutputWrapper

from atlas.page_benchmark import (
    PatternResult,
    ProductionServer,
    Sample,
    fetch,
    format_report,
    percentile,
)
from atlas.url_catalogue import page_patterns
from tests.local_server import serving
from tests.servers import database_url_of_the_tests


def ms(value: float) -> float:
    return value / 1000


def page(seconds_ms: float, status: int = 200, size: int = 2048) -> Sample:
    return Sample(ms(seconds_ms), ms(seconds_ms), status, size, "text/html; charset=utf-8")


def download(first_byte_ms: float, seconds_ms: float, size: int) -> Sample:
    return Sample(ms(first_byte_ms), ms(seconds_ms), 200, size, "application/xml")


# Percentiles and results --------------------------------------------------------------------


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 21))
    assert percentile(values, 50) == 10
    assert percentile(values, 95) == 19
    assert percentile(values, 100) == 20
    assert percentile([7.0], 95) == 7.0
    assert percentile([3, 1, 2], 50) == 2  # unsorted input
    with pytest.raises(ValueError):
        percentile([], 50)


def test_each_workers_first_request_is_kept_out_of_the_percentiles():
    result = PatternResult("measures:course_detail", paths=["/kurse/a/"])
    result.add(page(900), worker=11)  # worker 11 renders the page for the first time
    result.add(page(10), worker=11)
    result.add(page(700), worker=12)  # so does worker 12
    for value in (20, 30, 40):
        result.add(page(value), worker=12)
    assert [s.seconds * 1000 for s in result.firsts] == pytest.approx([900, 700])
    assert result.first == pytest.approx(900)
    assert result.percentile(50) == pytest.approx(20)
    assert result.percentile(95) == pytest.approx(40)
    assert result.slowest == pytest.approx(40)
    assert result.statuses == "200×6"


def test_without_knowing_the_worker_only_the_first_request_is_a_first():
    result = PatternResult("atlas:home")
    for value in (500, 10, 20):
        result.add(page(value), worker=None)
    assert result.first == pytest.approx(500)
    assert len(result.samples) == 2


def test_a_pattern_with_first_requests_only_reports_them():
    result = PatternResult("atlas:home")
    result.add(page(500), worker=1)
    assert result.percentile(95) == pytest.approx(500)


def test_downloads_are_judged_by_the_first_byte():
    sitemap = PatternResult("atlas:sitemap_section", paths=["/sitemap-kurse.xml"])
    for first_byte, whole in ((5, 900), (40, 800), (30, 700), (20, 600)):
        sitemap.add(download(first_byte, whole, 3 * 1024 * 1024), worker=1)
    assert sitemap.is_download
    assert sitemap.judged == pytest.approx(40)  # p95 of the first byte, not of 800 ms
    assert sitemap.percentile(95) == pytest.approx(800)
    page_result = PatternResult("atlas:home")
    page_result.add(page(50), worker=1)
    assert not page_result.is_download
    # An export that answers a page when the search finds too many: each answer by its kind.
    export = PatternResult("measures:export_csv", paths=["/kurse/export.csv?q=a"])
    export.add(page(10), worker=1)
    for index in range(10):
        export.add(download(30, 5000, 4 * 1024 * 1024) if index % 2 else page(60), worker=1)
    assert export.is_download
    assert export.judged == pytest.approx(60)  # the pages' 60 ms, the files' first byte 30 ms
    assert export.percentile(95) == pytest.approx(5000)


def test_report_lists_slowest_first_and_marks_what_is_over_budget():
    fast = PatternResult("atlas:imprint", paths=["/impressum/"])
    slow = PatternResult("measures:provider_detail", paths=["/anbieter/a/", "/anbieter/b/"])
    sitemap = PatternResult("atlas:sitemap_section", paths=["/sitemap-kurse.xml"])
    broken = PatternResult("network:event_detail", note="keine Pfade: no events")
    for value in (300, 12, 10, 11, 14):
        fast.add(page(value, size=4096), worker=1)
    for value in (4900, 150, 120, 130, 500):
        slow.add(page(value, status=200 if value != 500 else 500), worker=1)
    for first_byte in (90, 60, 70, 80):
        sitemap.add(download(first_byte, 1500, 2 * 1024 * 1024), worker=1)

    lines = format_report([fast, broken, sitemap, slow], budget_ms=100)

    header, *rows = lines
    assert header.split() == [
        "pattern",
        "paths",
        "n",
        "first",
        "p50",
        "p95",
        "max",
        "ttfb95",
        "size",
        "mem+",
        "status",
    ]
    keys = [row[2:].split()[0] for row in rows]
    assert keys == [
        "measures:provider_detail",  # p95 500 ms
        "atlas:sitemap_section",  # ttfb p95 80 ms (1.5 s in all)
        "atlas:imprint",  # 14 ms
        "network:event_detail",  # nothing measured: last
    ]
    marked = {row[2:].split()[0] for row in rows if row.startswith("!")}
    assert marked == {"measures:provider_detail"}
    provider = rows[0].split()
    # ! key paths n first p50 p95 max size(2 words) mem+ status…
    assert provider[2:8] == ["2", "5", "4900", "130", "500", "500"]
    assert "200×4" in rows[0] and "500×1" in rows[0]
    sitemap_row = rows[1].split()
    assert sitemap_row[6] == "1500"  # max of the whole download
    assert sitemap_row[7] == "80"  # ttfb95
    assert "2.0 MB" in rows[1]
    assert "keine Pfade: no events" in rows[3]


# The HTTP client ------------------------------------------------------------------------------


_COLLECTOR_DURING_REQUEST: list[bool] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server API)
        _COLLECTOR_DURING_REQUEST.append(gc.isenabled())  # this test's process: the client's
        if self.path == "/langsam":
            time.sleep(0.3)
        body = b"x" * 100_000
        self.send_response(404 if self.path == "/fehlt" else 200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    with serving(_Handler) as port:
        yield port


def test_fetch_reads_the_whole_response(tiny_server):
    sample = fetch(tiny_server, "/kalender.ics", timeout=5)
    assert sample.status == 200
    assert sample.size == 100_000
    assert sample.content_type == "text/calendar"
    assert 0 < sample.first_byte <= sample.seconds
    assert fetch(tiny_server, "/fehlt", timeout=5).status == 404


def test_fetch_reports_a_refused_connection_as_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: refused
        assert fetch(port, "/", timeout=1).status == "error"


def test_fetch_reports_a_timeout():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts the connection but never answers
        assert fetch(listener.getsockname()[1], "/", timeout=0.2).status == "timeout"


class _FakeServer:
    """What Command.measure needs of a ProductionServer, around the tiny server."""

    def __init__(self, port):
        self.port = port

    def served_by(self):
        return None

    def worker_pids(self):
        return []

    def peak_memory_kb(self, pids):
        return {}


def test_a_path_that_reaches_the_timeout_is_not_requested_again(tiny_server):
    command = load_command_class("atlas", "benchmark_pages")
    command.stderr = OutputWrapper(StringIO())
    result = PatternResult("thing", paths=["/langsam", "/schnell"])
    command.measure(_FakeServer(tiny_server), [result], repeat=3, timeout=0.2, limit=60)
    assert len(result.all_samples) == 4  # /langsam once, /schnell in every round
    assert result.notes == ["/langsam: 200, nicht mehr angefragt"]


def test_a_pattern_stops_after_its_time_budget(tiny_server):
    command = load_command_class("atlas", "benchmark_pages")
    command.stderr = OutputWrapper(StringIO())
    result = PatternResult("thing", paths=["/a", "/b"])
    command.measure(_FakeServer(tiny_server), [result], repeat=3, timeout=10, limit=0.000001)
    assert len(result.all_samples) == 1
    assert result.notes == ["nach 0 s in Runde 1 beendet"]


# The server's settings and its access log ----------------------------------------------------


def test_server_runs_with_production_settings_and_a_statement_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("STATEMENT_TIMEOUT_MS", "3600000")  # as manage.py sets it for commands
    monkeypatch.delenv("SECRET_KEY", raising=False)
    server = ProductionServer(base_dir=tmp_path, timeout=12)
    env = server.environment()
    assert env["DEBUG"] == "false"
    assert env["ALLOWED_HOSTS"] == "localhost"
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["STATEMENT_TIMEOUT_MS"] == "12000"
    monkeypatch.setenv("SECRET_KEY", "set-by-the-operator")
    assert server.environment()["SECRET_KEY"] == "set-by-the-operator"
    server.stop()  # never started: only its files go


def test_access_log_names_the_worker_of_the_last_complete_line(tmp_path):
    server = ProductionServer(base_dir=tmp_path)
    server.access_log.write_text("<101>\n<102>\n<10")  # a line still being written
    assert server.served_by(wait=0) == 102
    assert server.served_by(wait=0) is None  # nothing new and complete
    with server.access_log.open("a") as log:
        log.write("3>\n")
    assert server.served_by(wait=0) == 103
    server.stop()
    assert not server.access_log.exists()


# The command --------------------------------------------------------------------------------


def test_help_describes_the_command_in_german():
    command = load_command_class("atlas", "benchmark_pages")
    text = command.create_parser("manage.py", "benchmark_pages").format_help()
    assert "Produktionsserver" in text
    for option in ("--courses", "--repeat", "--budget", "--workers", "--timeout"):
        assert option in text


@pytest.mark.django_db
def test_without_a_synthetic_catalogue_it_says_how_to_make_one():
    with pytest.raises(CommandError, match="generate_synthetic --courses"):
        call_command("benchmark_pages", stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_command_measures_every_page_on_a_real_server_and_stops_it(monkeypatch, tmp_path):
    """gunicorn with production settings, against the test database's committed demo data."""
    monkeypatch.setenv("DATABASE_URL", database_url_of_the_tests())
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path / "static"))
    out = StringIO()

    call_command("benchmark_pages", "--courses", "0", "--repeat", "1", stdout=out)

    output = out.getvalue()
    rows = {
        line[2:].split()[0]: line
        for line in output.splitlines()
        if re.match(r"^[! ] [a-z]+:", line)
    }
    expected = {pattern.key for pattern in page_patterns()}
    assert set(rows) == expected
    for key, row in rows.items():
        statuses = re.findall(r"(\S+)×\d+", row)
        assert statuses == ["200"], f"{key}: {row}"
    port = int(re.search(r"auf Port (\d+)", output).group(1))
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server still answers"


def test_requests_over_budget_are_listed_with_round_and_worker(tiny_server):
    """Which requests were slow, when: a single outlier can decide a pattern's p95."""
    command = load_command_class("atlas", "benchmark_pages")
    command.stderr = OutputWrapper(StringIO())
    command.stdout = OutputWrapper(out := StringIO())
    command.missing = {}
    result = PatternResult("thing", paths=["/schnell", "/langsam"])
    command.measure(_FakeServer(tiny_server), [result], repeat=2, timeout=10, limit=60, budget=200)
    assert [(row[1], row[2]) for row in command.slow] == [("/langsam", 1), ("/langsam", 2)]
    assert all(row[-1] >= 0.3 and row[4] is None for row in command.slow)
    command.report([result], budget=200, elapsed=1, peaks={}, workers=1)
    assert "  thing /langsam R" in out.getvalue()


def test_the_clients_garbage_collector_waits_while_a_request_is_timed(tiny_server):
    """A full collection of the client (all of Django: about 60 ms) would count as the
    server's time."""
    _COLLECTOR_DURING_REQUEST.clear()
    assert gc.isenabled()
    assert fetch(tiny_server, "/", timeout=5).status == 200
    assert _COLLECTOR_DURING_REQUEST == [False]
    assert gc.isenabled()
