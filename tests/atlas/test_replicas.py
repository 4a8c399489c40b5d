"""Read replicas against real servers: a throwaway primary and a streaming replica made from it
with ``pg_basebackup -R`` (``tests/replica_servers.py``), both in this module's own folder on
loopback ports — never the server the test run shares. Django runs in ``manage.py shell``
subprocesses configured with ``DATABASE_URL`` and ``DATABASE_REPLICA_URLS``, and answers
requests through its whole handler (``tests/atlas/replica_probe.py``)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape

from atlas.database import REPLICA_CONNECT_TIMEOUT_S, replica_settings
from atlas.page_benchmark import ProductionServer
from core import replicas
from tests.atlas.replica_probe import PREFIX
from tests.replica_servers import (
    HOST,
    Server,
    free_port,
    start_primary,
    start_replica,
    stop_all,
    throwaway_folder,
    wait_for_replay,
)

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "bildungsatlas"
PROBE = "from tests.atlas.replica_probe import main; main()"
FAILED = "Read replica replica_1 failed"

# One group: the servers are started once for the module, on one worker.
pytestmark = pytest.mark.xdist_group("replicas")


@dataclass
class Servers:
    root: Path
    primary: Server
    replica: Server | None

    def environment(self, **extra: str) -> dict:
        """The environment of a Django process on these servers (``extra`` added)."""
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DATABASE_REPLICA_URLS", "PYTEST_XDIST_WORKER", "DEBUG"}
        }
        environment.update(
            DEBUG="true",
            ALLOWED_HOSTS="testserver",
            BILDUNGSATLAS_DATA_DIR=str(self.root / "data"),
            SEARCH_INDEX_DIR="",  # each process builds its own index (and reads for it)
            STATIC_ROOT=str(self.root / "static"),  # gunicorn's collectstatic: not the repo's
            DATABASE_URL=self.primary.url(DATABASE),
            DATABASE_REPLICA_URLS=self.replica.url(DATABASE) if self.replica else "",
            DATABASE_REPLICA_RETRY_SECONDS="1",
        )
        environment.update(extra)
        return environment


def _run(environment: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def probe(environment: dict, scenario: str, **args) -> tuple[dict, str]:
    """Run a scenario of ``replica_probe`` in a Django process; its result and its stderr."""
    environment = {**environment, "REPLICA_PROBE": json.dumps({"scenario": scenario, **args})}
    done = _run(environment, "shell", "-c", PROBE)
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(lines[-1].removeprefix(PREFIX)), done.stderr


@pytest.fixture(scope="module")
def servers():
    primary = replica = None
    with throwaway_folder() as root:
        try:
            primary = start_primary(root)
            primary.execute(f'CREATE DATABASE "{DATABASE}"')
            setup = Servers(root, primary, None).environment()
            for command in (
                ["migrate", "--no-input"],
                ["load_reference"],
                ["load_demo", "--force"],
            ):
                _run(setup, *command, "--verbosity", "0")
            replica = start_replica(primary, root)
            wait_for_replay(primary, replica)
            yield Servers(root, primary, replica)
        finally:
            stop_all(replica, primary)


@pytest.fixture(scope="module")
def unreplicated(servers):
    """What a Django process on the primary alone (no DATABASE_REPLICA_URLS) configures and
    reads, and a course of the demo data that is public now."""
    return probe(servers.environment(DATABASE_REPLICA_URLS=""), "unreplicated")[0]


@pytest.fixture(scope="module")
def slug(unreplicated):
    return unreplicated["slug"]


@pytest.fixture(scope="module")
def routing(servers, slug):
    return probe(servers.environment(), "routing", slug=slug)[0]


def _after_first_write(answer: dict) -> list[dict]:
    statements = answer["statements"]
    first = next(n for n, s in enumerate(statements) if replicas.writes(s["sql"]))
    return statements[first:]


# --- routing ------------------------------------------------------------------------------


def test_anonymous_public_reads_go_to_the_replica(routing):
    for answer in routing["public"]:
        assert answer["status"] == 200, answer["url"]
        assert "replica_1" in answer["aliases"], answer["url"]
    search = routing["public"][0]
    page = [s for s in search["statements"] if "SELECT c.id, c.slug, c.title" in s["sql"]]
    assert [s["alias"] for s in page] == ["replica_1"]  # the result page's raw SQL too


def test_the_generation_and_the_search_index_are_read_on_the_primary(routing):
    """The first search of a new process reads the generation and builds the index, the
    vocabulary and the other memos kept per generation: all on the primary."""
    stamped = [s for answer in routing["public"] for s in answer["statements"] if s["stamped"]]
    assert {s["alias"] for s in stamped} == {"default"}
    generation = [s for s in stamped if "measures_search_generation" in s["sql"]]
    venues = [s for s in stamped if s["sql"].startswith('SELECT "network_venue"."id"')]
    assert generation and venues  # the generation was read and the index built here


def test_the_admin_posts_and_logged_in_users_read_the_primary(routing):
    for answer in routing["primary"]:
        assert answer["status"] in (200, 302), answer["url"]
        assert "replica_1" not in answer["aliases"] + answer["failed"], answer["url"]
    assert all(answer["aliases"] == ["default"] for answer in routing["primary"][1:])
    posted = routing["primary"][1]
    assert posted["method"] == "post" and posted["status"] == 302  # the feedback was stored


def test_reads_outside_a_request_go_to_the_primary(routing):
    assert routing["outside"] == ["default"]


def test_a_request_reads_the_primary_once_it_wrote(routing):
    for answer in routing["written"]:
        assert answer["status"] == 200
        assert json.loads(answer["text"]) == {"found": True}
        assert {s["alias"] for s in _after_first_write(answer)} == {"default"}


# --- replication lag ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lag(servers, slug):
    return probe(servers.environment(), "lag", slug=slug, replica_url=servers.replica.url())[0]


def test_while_the_replica_lags_public_pages_show_its_older_data(lag):
    during = lag["during"]
    for name in ("anonymous", "search", "home"):
        assert during[name]["status"] == 200
    assert "replica_1" in during["anonymous"]["aliases"]
    assert lag["old_title"] in during["anonymous"]["text"]
    assert lag["new_title"] not in during["anonymous"]["text"]
    assert lag["new_title"] in lag["after"]["text"]  # replay resumed: the change arrives


def test_while_the_replica_lags_what_must_be_current_comes_from_the_primary(lag):
    during = lag["during"]
    assert during["member"]["aliases"] == ["default"]
    assert lag["new_title"] in during["member"]["text"]
    assert json.loads(during["generation"]["text"]) == {"generation": lag["primary_generation"]}
    for name in ("orm", "raw"):
        assert json.loads(during[name]["text"]) == {"found": True}
        assert {s["alias"] for s in _after_first_write(during[name])} == {"default"}


# --- a replica that goes away -------------------------------------------------------------


def test_a_stopped_replica_sends_reads_to_the_primary_until_it_is_back(servers, slug):
    replica = servers.replica
    try:
        result, stderr = probe(
            servers.environment(DATABASE_REPLICA_RETRY_SECONDS="3"),
            "outage",
            slug=slug,
            data=str(replica.data),
            port=replica.port,
            password=replica.password,
        )
    finally:
        if not (replica.data / "postmaster.pid").exists():
            replica.start()
    assert "replica_1" in result["before"]["aliases"]
    down = result["down"]
    assert [answer["status"] for answer in down] == [200] * len(down)
    assert all(answer["aliases"] == ["default"] for answer in down)
    # Its kept connection failed in the first request, which was answered again from the
    # primary; then it was left alone for DATABASE_REPLICA_RETRY_SECONDS (on a machine so
    # slow that the ten requests took longer, tried once more per period).
    assert "replica_1" in down[0]["failed"]
    tries = 1 + int(result["down_seconds"] // 3)
    assert 1 <= stderr.count(FAILED) <= tries, stderr[-3000:]
    assert sum("replica_1" in answer["failed"] for answer in down) <= tries
    assert "replica_1" in result["back"]["aliases"]  # back: read from again, no restart


def test_a_replica_that_does_not_answer_costs_one_connect_timeout(servers):
    """A replica that takes connections and never answers (here a socket nobody accepts on):
    the first request waits for the connect timeout and reads from the next replica; the
    following requests do not try it again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind((HOST, free_port()))
        silent.listen(16)
        port = silent.getsockname()[1]
        urls = f"postgresql://nobody:x@{HOST}:{port}/{DATABASE},{servers.replica.url(DATABASE)}"
        result, stderr = probe(
            servers.environment(DATABASE_REPLICA_URLS=urls, DATABASE_REPLICA_RETRY_SECONDS="60"),
            "unresponsive",
        )
    answers = result["requests"]
    assert [answer["status"] for answer in answers] == [200] * len(answers)
    assert all("replica_2" in answer["aliases"] for answer in answers)
    assert REPLICA_CONNECT_TIMEOUT_S <= answers[0]["seconds"] < REPLICA_CONNECT_TIMEOUT_S + 10
    assert all(answer["seconds"] < REPLICA_CONNECT_TIMEOUT_S for answer in answers[1:])
    assert stderr.count(FAILED) == 1, stderr[-3000:]


class ReplicatedServer(ProductionServer):
    """gunicorn with production settings (``atlas.page_benchmark``) on these servers."""

    def __init__(self, environment: dict):
        super().__init__(base_dir=ROOT, workers=1)
        self.on_servers = environment

    def environment(self) -> dict:
        production = super().environment()
        return {**production, **self.on_servers, "DEBUG": "false", "ALLOWED_HOSTS": "localhost"}


def _get(port: int, path: str) -> tuple[int, str, float]:
    """Status, text and seconds of a GET on a new connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    started = time.monotonic()
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        return response.status, response.read().decode(), time.monotonic() - started
    finally:
        connection.close()


def test_gunicorn_reads_the_replica_and_the_primary_once_the_replica_stops(servers, slug):
    """A real server's request cycle (connections kept between requests and checked at the
    start of each): with the replica lagging, the public sees its older data; with it stopped,
    the primary's, at once."""
    primary, replica = servers.primary, servers.replica
    find = "SELECT title FROM measures_course WHERE slug = %s"
    title = primary.execute(find, [slug], database=DATABASE)[0][0]
    changed = f"{title} (neu)"
    change = "UPDATE measures_course SET title = %s WHERE slug = %s"
    server = ReplicatedServer(servers.environment(DATABASE_REPLICA_RETRY_SECONDS="60"))
    replica.execute("SELECT pg_wal_replay_pause()")
    try:
        primary.execute(change, [changed, slug], database=DATABASE)
        server.start()
        lagging = _get(server.port, f"/kurse/{slug}/")
        replica.stop("fast")
        paths = [f"/kurse/{slug}/", "/kurse/?q=Deutsch", "/api/courses/", "/partner/", "/"]
        down = [_get(server.port, path) for path in paths]
        log = server.tail()
    finally:
        server.stop()
        if not (replica.data / "postmaster.pid").exists():
            replica.start()  # a start ends the pause too
        replica.execute("SELECT pg_wal_replay_resume()")
        primary.execute(change, [title, slug], database=DATABASE)
        wait_for_replay(primary, replica)
    assert lagging[0] == 200
    assert escape(title) in lagging[1] and escape(changed) not in lagging[1]
    assert [status for status, _text, _seconds in down] == [200] * len(down)
    assert escape(changed) in down[0][1]
    assert all(seconds < REPLICA_CONNECT_TIMEOUT_S for _status, _text, seconds in down)
    assert log.count(FAILED) == 1, log


# --- configuration ------------------------------------------------------------------------


def test_without_replica_urls_nothing_changes(unreplicated):
    result = unreplicated
    assert result["aliases"] == ["default"]
    assert result["routers"] == []
    assert result["middleware"] is False
    assert result["request"]["status"] == 200
    assert result["request"]["aliases"] == ["default"]


def test_replicas_get_the_primarys_options(routing):
    result = routing["settings"]
    assert result["aliases"] == ["default", "replica_1"]
    assert result["routers"] == ["atlas.db_router.ReplicaRouter"]
    assert result["middleware"] is True
    replica = result["replicas"]["replica_1"]
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert "statement_timeout" in replica["OPTIONS"]["options"]


def test_replica_urls_become_numbered_aliases(monkeypatch):
    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS",
        " postgresql://r:pw@one:5433/atlas , ,postgres://r@two/atlas?connect_timeout=9",
    )
    monkeypatch.setenv("CONN_MAX_AGE", "30")
    found = replica_settings()
    assert list(found) == ["replica_1", "replica_2"]
    one, two = found["replica_1"], found["replica_2"]
    assert (one["HOST"], one["PORT"], one["NAME"]) == ("one", "5433", "atlas")
    assert (one["USER"], one["PASSWORD"]) == ("r", "pw")
    assert one["OPTIONS"]["connect_timeout"] == str(REPLICA_CONNECT_TIMEOUT_S)
    assert two["OPTIONS"]["connect_timeout"] == "9"  # the URL's own wins
    assert one["CONN_MAX_AGE"] == 30 and one["CONN_HEALTH_CHECKS"] is True
    assert "statement_timeout" in one["OPTIONS"]["options"]
    assert one["TEST"] == {"MIRROR": "default"}


def test_no_replica_urls_no_replicas(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    assert replica_settings() == {}
    monkeypatch.setenv("DATABASE_REPLICA_URLS", " , ")
    assert replica_settings() == {}


def test_a_wrong_replica_url_names_its_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "mysql://r@one/atlas")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URLS"):
        replica_settings()


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "measures_course"."id" FROM "measures_course"', False),
        ("  (SELECT 1) UNION (SELECT 2)", False),
        ("SHOW statement_timeout", False),
        ("SELECT (SELECT last_value FROM measures_search_generation)", False),
        ("SELECT nextval('measures_search_generation'), 1", True),
        ('SELECT "x"."id" FROM "x" FOR UPDATE', True),
        ('SELECT "x"."id" FROM "x" FOR NO KEY UPDATE OF "x"', True),
        ("INSERT INTO measures_search_change (course_id) VALUES (NULL)", True),
        ('UPDATE "measures_course" SET "title" = %s', True),
        ("DELETE FROM measures_searchword", True),
        ("WITH stale AS (SELECT 1) UPDATE measures_course SET x = 1", True),
    ],
)
def test_what_counts_as_a_write_on_the_primary(sql, writes):
    assert replicas.writes(sql) is writes
