"""benchmark_load: the mix on the demo data, wrk's report, the wrk script (run by wrk against a
tiny server), the writer's path through ``course_edit``, and one short real run of the command
(gunicorn, production settings, wrk) against the test database's demo data. Nothing here
judges a figure: the figures belong in the README.
"""

from __future__ import annotations

import random
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from atlas import load_benchmark
from atlas.load_benchmark import (
    KINDS,
    PAGES,
    RADII,
    SORTS,
    USERNAME,
    Writer,
    benchmark_user,
    build_mix,
    lua_script,
    made_up_word,
    parse_wrk,
    restore_course,
    run_wrk,
    save_course,
    summarise,
    typo,
)
from measures.models import Course
from tests.local_server import serving
from tests.servers import database_url_of_the_tests
from workspace.models import CourseChange
from workspace.services.courses import content_change_needs_review

# The mix --------------------------------------------------------------------------------------


@pytest.fixture
def mix(db):
    return build_mix()


def test_the_mix_holds_200_distinct_addresses_and_100_distinct_terms(mix):
    summary = summarise(mix)
    assert summary["requests"] == len(mix) == 400
    assert summary["distinct"] == len(mix)  # no address twice
    assert summary["terms"] >= 100
    assert set(summary["kinds"]) == set(KINDS)
    for kind in ("place", "filters", "facets", "pages", "sort", "course"):
        assert summary["kinds"][kind] >= 20, kind


def test_the_mix_is_the_same_for_the_same_seed_and_differs_for_another(mix):
    assert build_mix() == mix
    assert build_mix(seed=14) != mix


def test_each_kind_of_request_has_its_parameters(mix):
    public = set(Course.objects.public().values_list("slug", flat=True))
    for request in mix:
        parts = urlsplit(request.path)
        params = parse_qs(parts.query)
        if request.kind == "course":
            assert parts.path.removeprefix("/kurse/").strip("/") in public
            continue
        assert parts.path == "/kurse/"
        assert (params.get("q") == [request.term]) == bool(request.term)
        if request.kind in ("text", "place", "facets", "sort"):
            assert request.term, request
        if request.kind == "filters":
            assert not request.term and params, request
        if request.kind == "place":
            assert re.fullmatch(r"\d{5}|\d{4}", params["place"][0])
            assert int(params["radius"][0]) in RADII
        if request.kind == "pages":
            assert int(params["page"][0]) in PAGES
        if request.kind == "sort":
            assert params["sort"][0] in SORTS


def test_the_terms_include_judged_queries_rare_words_and_typos(mix):
    terms = {request.term for request in mix}
    assert "Computer für Ältere" in terms or "Computerkurs" in terms
    rng = random.Random(1)  # noqa: S311
    assert typo("Englisch", rng) != "Englisch"
    assert len({typo("Englisch", rng) for _ in range(20)}) > 3


@pytest.mark.django_db
def test_every_search_of_a_smaller_mix_answers(client):
    for request in build_mix(size=60, seed=3):
        response = client.get(request.path)
        assert response.status_code == 200, request.path


# wrk's report ---------------------------------------------------------------------------------

# Captured from wrk 4.1 (Debian) against the production server: /robots.txt, and a mix in
# which every third address is a missing course (404).
ROBOTS_OUTPUT = """\
Running 3s test @ http://127.0.0.1:39561/robots.txt
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.56ms   12.93ms 101.38ms   68.79%
    Req/Sec   191.27     43.32   303.00     76.67%
  Latency Distribution
     50%   40.29ms
     75%   49.68ms
     90%   59.01ms
     99%   76.44ms
  577 requests in 3.03s, 348.23KB read
Requests/sec:    190.34
Transfer/sec:    114.87KB
"""

MIX_OUTPUT = """\
Running 3s test @ http://127.0.0.1:48941/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   196.62ms   65.29ms 367.85ms   74.79%
    Req/Sec    39.50     10.37    60.00     66.67%
  Latency Distribution
     50%  185.82ms
     75%  240.49ms
     90%  286.58ms
     99%  345.87ms
  119 requests in 3.01s, 0.86MB read
  Non-2xx or 3xx responses: 40
Requests/sec:     39.48
Transfer/sec:    293.46KB
"""

# wrk writes seconds with a trailing space (its columns) and socket errors on their own line.
SLOW_OUTPUT = """\
Running 5s test @ http://127.0.0.1:35647/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   866.60ms  140.53ms    1.20s    74.19%
    Req/Sec    10.88      4.09    20.00     76.00%
  Latency Distribution
     50%  866.60ms
     75%    1.00s 
     90%    1.20s 
     99%    2.50s 
  44 requests in 5.01s, 574.98KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:      8.78
Transfer/sec:    114.77KB
"""  # noqa: W291 (wrk's trailing spaces, kept)


def test_parses_requests_per_second_and_the_latency_distribution():
    robots = parse_wrk(ROBOTS_OUTPUT)
    assert robots.per_second == pytest.approx(190.34)
    assert robots.requests == 577
    assert robots.seconds == pytest.approx(3.03)
    assert robots.latency_ms == pytest.approx({50: 40.29, 75: 49.68, 90: 59.01, 99: 76.44})
    assert robots.max_ms == pytest.approx(101.38)
    assert robots.errors == 0 and robots.non_2xx_3xx == 0


def test_parses_responses_other_than_2xx_and_3xx():
    result = parse_wrk(MIX_OUTPUT)
    assert result.non_2xx_3xx == 40
    assert result.per_second == pytest.approx(39.48)
    assert result.latency_ms[99] == pytest.approx(345.87)


def test_parses_seconds_and_socket_errors():
    result = parse_wrk(SLOW_OUTPUT)
    assert result.latency_ms == pytest.approx({50: 866.6, 75: 1000, 90: 1200, 99: 2500})
    assert result.max_ms == pytest.approx(1200)
    assert result.socket_errors == {"connect": 0, "read": 2, "write": 0, "timeout": 3}
    assert result.errors == 5


# The wrk script, run by wrk -------------------------------------------------------------------


def test_lua_script_lists_every_address_in_order_and_escapes_them():
    script = lua_script(["/kurse/?q=a", '/kurse/?q="b"', "/kurse/?q=c\\d"])
    assert script.index('"/kurse/?q=a"') < script.index('"/kurse/?q=\\"b\\""')
    assert '"/kurse/?q=c\\\\d"' in script
    assert 'wrk.headers["Host"] = "localhost"' in script
    with pytest.raises(ValueError):
        lua_script([])


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        self.seen.append((self.path, self.headers.get("Host", "")))
        body = b"missing" if self.path == "/fehlt" else b"ok"
        self.send_response(404 if self.path == "/fehlt" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    with serving(_Recorder) as port:
        yield port


def test_wrk_walks_the_mix_with_the_servers_host_name(recorder, tmp_path):
    paths = ["/a", "/b", "/fehlt", "/c"]
    script = tmp_path / "mix.lua"
    script.write_text(lua_script(paths))

    result = run_wrk(recorder, script=script, duration=1, connections=2)

    requested = [path for path, _host in _Recorder.seen]
    assert len(requested) >= 8
    # wrk asks the next address for each request; with two connections the answers overlap,
    # so every address comes about equally often.
    counts = {path: requested.count(path) for path in paths}
    assert max(counts.values()) - min(counts.values()) <= 2, counts
    assert {host for _path, host in _Recorder.seen} == {"localhost"}
    assert result.requests >= len(requested) - 2
    assert result.non_2xx_3xx >= counts["/fehlt"] - 1 > 0
    assert result.latency_ms.keys() == {50, 75, 90, 99}


# Writes through course_edit -------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_superuser_it_writes_as_benchmark_load():
    get_user_model().objects.filter(is_superuser=True).update(is_superuser=False)
    user = benchmark_user()
    assert user.username == USERNAME and user.is_superuser and not user.has_usable_password()
    assert benchmark_user() == user


@pytest.mark.django_db
def test_a_save_goes_through_course_edit_and_stays_live():
    user = benchmark_user()
    courses = Course.objects.public().order_by("pk")
    live = next(c for c in courses if not content_change_needs_review(c))
    reviewed = next(c for c in courses if content_change_needs_review(c))
    word = made_up_word(random.Random(5))  # noqa: S311
    before = {"summary": live.summary, "price_notes": live.price_notes}

    entries = save_course(course_id=live.pk, user=user, word=word)

    live.refresh_from_db()
    assert word in live.summary and live.price_notes.startswith("Lastprobe")
    assert [entry.action for entry in entries] == [CourseChange.Action.EDITED]
    assert CourseChange.objects.filter(course=live, user=user).exists()

    # A reviewed course gets the price note only: a minor change, live at once.
    entries = save_course(course_id=reviewed.pk, user=user)
    assert [entry.action for entry in entries] == [CourseChange.Action.MINOR_EDIT]
    assert not Course.objects.filter(revision_of=reviewed).exists()

    restore_course(course_id=live.pk, user=user, original=before)
    live.refresh_from_db()
    assert {"summary": live.summary, "price_notes": live.price_notes} == before
    assert live.status == Course.Status.PUBLISHED


class _Search(BaseHTTPRequestHandler):
    """A search that finds the course 0.3 s after the write."""

    written: dict[str, float] = {}

    def do_GET(self):  # noqa: N802
        word = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
        found = time.monotonic() - self.written.get(word, time.monotonic()) > 0.3
        body = b'<a href="/kurse/ein-kurs/">' if found else b"nichts"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_the_writer_saves_at_its_rate_and_times_until_the_search_finds_the_change():
    _Search.written = {}
    saved = []

    def save(*, course_id, user, word="", note=""):
        saved.append((course_id, word))
        _Search.written[word] = time.monotonic()

    with serving(_Search) as port:
        writer = Writer(
            port=port,
            per_second=5,
            poll=0.05,
            courses=[(1, "ein-kurs", True), (2, "anderer-kurs", False)],
        )
        writer.save = save
        writer.original = lambda course_id: {"summary": "", "price_notes": ""}
        writer.start()
        time.sleep(1.1)
        writer.stop()
    assert 5 <= writer.writes <= 7
    assert [course_id for course_id, _word in saved[:4]] == [1, 2, 1, 2]
    assert all(word for course_id, word in saved if course_id == 1)
    assert not any(word for course_id, word in saved if course_id == 2)
    assert len(writer.visible) == len([1 for course_id, _ in saved if course_id == 1])
    median, maximum = writer.visible_summary()
    assert 0.3 <= median <= maximum < 1
    assert set(writer.originals) == {1, 2}
    # What each course was last saved with, for the soak's check that nothing was lost.
    assert writer.acknowledged[2] == (f"Lastprobe {writer.writes - (writer.writes % 2 == 1)}", "")
    assert writer.acknowledged[1][1] == saved[-1 if saved[-1][0] == 1 else -2][1]
    assert writer.polls >= len(writer.visible)


# The command ----------------------------------------------------------------------------------


def test_help_describes_the_command_in_german():
    command = load_command_class("atlas", "benchmark_load")
    text = command.create_parser("manage.py", "benchmark_load").format_help()
    assert "Durchsatz" in text
    for option in ("--duration", "--connections", "--workers", "--writes-per-second"):
        assert option in text


def test_without_wrk_it_names_the_install_command(monkeypatch):
    monkeypatch.setattr(load_benchmark.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="apt-get install wrk"):
        call_command("benchmark_load", stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_command_runs_wrk_against_a_real_server_and_reports_numbers(monkeypatch, tmp_path):
    """gunicorn with production settings and wrk, against the test database's demo data. The
    writer's saves are only counted: a save in its thread would be committed to the shared
    test data (the saves themselves are tested above)."""
    monkeypatch.setenv("DATABASE_URL", database_url_of_the_tests())
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path / "static"))
    saved = []
    monkeypatch.setattr(Writer, "save", staticmethod(lambda **kwargs: saved.append(kwargs)))
    monkeypatch.setattr(Writer, "original", staticmethod(lambda course_id: {}))
    monkeypatch.setattr(Writer, "restore", lambda self: len(self.originals))
    monkeypatch.setattr(
        load_benchmark,
        "writable_courses",
        lambda rng: [(1, "ein-kurs", False)],  # no new word: nothing to search for
    )
    out = StringIO()

    call_command(
        "benchmark_load",
        *("--duration", "2", "--requests", "40", "--writes-per-second", "2"),
        stdout=out,
    )

    output = out.getvalue()
    assert re.search(r"Mischung: 40 Anfragen, 40 verschiedene Adressen", output)
    assert re.search(r"Aufgewärmt: 2 Worker, .* \(200×40\)", output)
    number = r"(\d+\.\d)"
    for label in ("/robots.txt", "Mischung", "Mischung + Schreiben"):
        row = re.search(
            rf"^{re.escape(label)}\s+{number}\s+{number}\s+{number}\s+{number}\s+{number}"
            r"\s+(\d+)\s+(\d+)\s+(\d+)$",
            output,
            re.M,
        )
        assert row, f"{label}:\n{output}"
        assert float(row[1]) > 0 and int(row[6]) > 0
        assert row[8] == "0"  # every answer 2xx/3xx
    assert re.search(r"Mischung / /robots.txt: \d+\.\d %", output)
    assert re.search(r"Durchsatz -?\d+\.\d % niedriger als ohne Schreiben", output)
    assert 3 <= len(saved) <= 8  # two a second while wrk runs for two seconds
    assert f"Geschrieben: {len(saved)} Kurse über course_edit" in output
    assert "1 geänderte Kurse zurückgesetzt." in output
    port = int(re.search(r"auf Port (\d+)", output).group(1))
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server still answers"
