"""The embedded PostgreSQL survives what an interrupted start or stop leaves behind: a real
server in a data directory of its own (never the one the test run uses), started by
``manage.py`` as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlas.database import repair_embedded_state, server_settings

ROOT = Path(__file__).resolve().parents[2]
CONNECT = "from django.db import connection; connection.ensure_connection(); print('connected')"


def _connect(data_dir: Path, code: str = CONNECT) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PYTEST_XDIST_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(DEBUG="true", BILDUNGSATLAS_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("embedded")
    directory.chmod(0o755)  # as root the server runs as its own user and must reach it
    first = _connect(directory)
    assert "connected" in first.stdout, first.stderr
    return directory


@pytest.mark.parametrize(
    "leftover",
    ["", "[12", "null", '["x"]'],
    ids=["empty", "truncated", "null", "not-process-ids"],
)
def test_a_broken_handle_file_is_mended_before_the_start(data_dir, leftover):
    handles = data_dir / "pgdata" / ".handle_pids.json"
    handles.write_text(leftover)
    again = _connect(data_dir)
    assert "connected" in again.stdout, again.stderr
    assert "was unreadable" in again.stderr
    assert isinstance(json.loads(handles.read_text()), list)


def test_an_ended_process_no_longer_keeps_the_server_running(data_dir):
    pgdata = data_dir / "pgdata"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_TEXT)
    (pgdata / ".handle_pids.json").write_text(json.dumps([int(ended.stdout)]))
    again = _connect(data_dir)
    assert "connected" in again.stdout, again.stderr
    assert "ended process" in again.stderr
    # The last process using it stopped it: nobody else was on the list any more.
    assert not (pgdata / "postmaster.pid").exists()
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == []


def test_a_stale_postmaster_pid_is_removed(data_dir):
    pgdata = data_dir / "pgdata"
    assert not (pgdata / "postmaster.pid").exists()  # stopped by the previous start's end
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_TEXT)
    (pgdata / "postmaster.pid").write_text(f"{int(ended.stdout)}\n{pgdata}\n")
    again = _connect(data_dir)
    assert "connected" in again.stdout, again.stderr
    assert "postmaster.pid" in again.stderr


def test_the_project_settings_hold_from_the_second_start_on(data_dir):
    """A new data directory gets them after initdb; its first server stops with its last user,
    and every later start reads them (here: the run before this one started it)."""
    shown = _connect(
        data_dir,
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW shared_buffers'); print(cursor.fetchone()[0])",
    )
    expected = server_settings()["shared_buffers"]
    assert shown.stdout.strip().splitlines()[-1] in (expected, expected.replace("2048MB", "2GB"))


def test_repair_leaves_a_healthy_directory_alone(tmp_path):
    (tmp_path / ".handle_pids.json").write_text(json.dumps([os.getpid()]))
    assert repair_embedded_state(tmp_path) == []
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


_TEXT = {"capture_output": True, "text": True, "check": True}
