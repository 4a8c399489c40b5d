"""``manage.py backup`` and ``restore`` (atlas.backup): the round trip on a throwaway
PostgreSQL of its own (tests/servers.py; never the server the test run shares) keeps every
table's rows, and a damaged or missing file is refused with a clear message and changes
nothing."""

import os
import re
import stat
import time
from datetime import datetime
from pathlib import Path

import pytest
from psycopg import sql

from atlas.backup import DAY_SECONDS, backup_name, connection_arguments, prune
from core import generations
from tests.servers import app_environment, manage, postgres_server

pytestmark = pytest.mark.xdist_group("backup")

DATABASE = "atlas"


@pytest.fixture(scope="module")
def server():
    """A server of its own with an empty database."""
    with postgres_server() as server:
        server.create_database(DATABASE)
        yield server


@pytest.fixture(scope="module")
def environment(server, tmp_path_factory):
    """The app's environment for that database, migrated, with the reference and demo data."""
    environment = app_environment(server.url(DATABASE), tmp_path_factory.mktemp("data"))
    manage("migrate", "--no-input", env=environment)
    manage("load_reference", env=environment)
    manage("load_demo", "--force", env=environment)
    return environment


def contents(server) -> dict[str, tuple]:
    """Every table of the public schema: its row count and a checksum of its rows; and every
    sequence's last value. The log of search changes only up to the last row before now
    (``restore`` adds one after it: see ``_restore_marked_everything_changed``)."""
    found = {}
    with server.connect(DATABASE) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        assert len(tables) > 40
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                "FROM {} t"
            ).format(sql.Identifier(table))
            found[table] = tuple(connection.execute(query).fetchone())
        for name, value in connection.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            found[f"sequence {name}"] = value
    return found


def _split_generations(found: dict) -> tuple[dict, dict]:
    """The contents without what ``restore`` changes on purpose (the generations and the log
    of search changes), and those apart."""
    apart = {
        f"sequence {generations.SEARCH_SEQUENCE}",
        f"sequence {generations.REFERENCE_SEQUENCE}",
        generations.CHANGES_TABLE,
        f"sequence {generations.CHANGES_TABLE}_id_seq",
    }
    return (
        {key: value for key, value in found.items() if key not in apart},
        {key: value for key, value in found.items() if key in apart},
    )


def _changes(server) -> list[tuple]:
    with server.connect(DATABASE) as connection:
        return connection.execute(
            sql.SQL("SELECT id, course_id FROM {} ORDER BY id").format(
                sql.Identifier(generations.CHANGES_TABLE)
            )
        ).fetchall()


def assert_restored(server, before: dict, changes_before: list) -> None:
    """The same rows in every table; the generations moved past those before, and one row
    more in the log of search changes: "anything may have changed" (NULL), so running
    workers rebuild their search index."""
    after = contents(server)
    same_before, generations_before = _split_generations(before)
    same_after, generations_after = _split_generations(after)
    assert same_after.keys() == same_before.keys()
    differing = {key for key in same_before if same_after[key] != same_before[key]}
    assert not differing, {key: (same_before[key], same_after[key]) for key in differing}
    for name in (generations.SEARCH_SEQUENCE, generations.REFERENCE_SEQUENCE):
        assert generations_after[f"sequence {name}"] > generations_before[f"sequence {name}"]
    changes = _changes(server)
    assert changes[: len(changes_before)] == changes_before
    assert [course for _id, course in changes[len(changes_before) :]] == [None]


def _no_traceback(done) -> None:
    assert "Traceback" not in done.stdout + done.stderr


def test_a_backup_restores_every_table_after_a_change_and_after_a_wipe(
    server, environment, tmp_path
):
    before, changes_before = contents(server), _changes(server)
    assert before["measures_course"][0] > 50  # the demo data is there

    done = manage("backup", env=environment)
    folder = Path(environment["BILDUNGSATLAS_DATA_DIR"]) / "backups"
    (backup,) = folder.iterdir()
    assert re.fullmatch(r"bildungsatlas-\d{4}-\d{2}-\d{2}-\d{6}\.dump", backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds accounts and feedback
    assert str(backup) in done.stdout and " MB) in " in done.stdout
    assert backup.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    # Changed since: restoring brings back what was there.
    with server.connect(DATABASE) as connection:
        connection.execute("TRUNCATE measures_course CASCADE")
        connection.execute("UPDATE network_organisation SET name = name || ' (geändert)'")
    done = manage("restore", str(backup), "--yes", env=environment)
    _no_traceback(done)
    assert "wiederhergestellt" in done.stdout and str(backup) in done.stdout
    assert_restored(server, before, changes_before)

    # Wiped: the database dropped and created empty.
    server.drop_database(DATABASE)
    server.create_database(DATABASE)
    manage("restore", str(backup), "--yes", env=environment)
    assert_restored(server, before, changes_before)


def test_a_damaged_or_missing_backup_is_refused_and_changes_nothing(server, environment, tmp_path):
    good = tmp_path / "good.dump"
    manage("backup", f"--output={good}", env=environment)
    before = contents(server)

    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(os.urandom(4096))
    cut = tmp_path / "cut.dump"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 4])  # the list of contents is whole, the data not
    expected = {
        garbage: "keine lesbare Sicherung",
        cut: "Die Wiederherstellung ist gescheitert, die Datenbank ist unverändert",
        tmp_path / "missing.dump": "gibt es nicht",
    }
    for path, message in expected.items():
        done = manage("restore", str(path), "--yes", env=environment, check=False)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr, done.stderr
        _no_traceback(done)
        assert contents(server) == before

    # Without a terminal to ask on, only with --yes.
    done = manage("restore", str(good), env=environment, check=False)
    assert done.returncode == 1
    assert "nur mit --yes" in done.stderr
    assert contents(server) == before


def test_keep_deletes_only_the_backups_older_than_so_many_days(tmp_path):
    now = time.time()
    names = {
        "old": backup_name(datetime.fromtimestamp(now - 9 * DAY_SECONDS)),
        "recent": backup_name(datetime.fromtimestamp(now - 2 * DAY_SECONDS)),
    }
    for label, name in names.items():
        path = tmp_path / name
        path.write_bytes(b"PGDMP")
        age = 9 if label == "old" else 2
        os.utime(path, (now - age * DAY_SECONDS, now - age * DAY_SECONDS))
    other = tmp_path / "bildungsatlas-handmade.dump"  # not named by the command: kept
    other.write_bytes(b"PGDMP")
    os.utime(other, (now - 30 * DAY_SECONDS, now - 30 * DAY_SECONDS))

    assert prune(tmp_path, 7, now=now) == [tmp_path / names["old"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["recent"], other.name])


def test_the_password_goes_through_the_environment_not_the_command_line():
    conninfo, environment = connection_arguments(
        {
            "NAME": "atlas",
            "USER": "atlas",
            "PASSWORD": "geheim-123",
            "HOST": "db.example.org",
            "PORT": "5433",
            "OPTIONS": {"sslmode": "require", "options": "-c statement_timeout=1000"},
        }
    )
    assert "geheim" not in conninfo
    assert environment["PGPASSWORD"] == "geheim-123"
    for part in ("dbname=atlas", "host=db.example.org", "port=5433", "sslmode=require"):
        assert part in conninfo
    embedded, _environment = connection_arguments(
        {
            "NAME": "bildungsatlas",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "/run/postgresql",
            "PORT": "",
        }
    )
    assert "port" not in embedded and "host=/run/postgresql" in embedded
