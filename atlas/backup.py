"""Backups of the database with PostgreSQL's own ``pg_dump`` and ``pg_restore`` (the
``backup`` and ``restore`` commands).

A backup is one file in ``pg_dump``'s custom format (``-Fc``, compressed), written next to its
final name and renamed when complete, readable by its owner only (it holds accounts and
feedback). The programs are those of ``POSTGRES_BIN_DIR`` or of the embedded server's wheel
(``atlas.database.postgres_tool``), run against the configured database, the embedded one or
``DATABASE_URL``'s: the connection goes on their command line without the password, which goes
through the environment (``PGPASSWORD``), never into a process listing.

A restore runs in one transaction (``--single-transaction``): a file that is cut short or
damaged leaves the database as it was. Afterwards the search and reference generations move
past every number used before (``core.generations``), so no worker keeps serving a search index
or cache of the data the restore replaced.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection
from psycopg import pq
from psycopg.conninfo import make_conninfo

from atlas.database import data_dir, postgres_tool
from core import generations

PREFIX = "bildungsatlas-"
SUFFIX = ".dump"
# Backups the pruning may delete: only files named as the backup command names them.
_NAMED = re.compile(rf"^{re.escape(PREFIX)}\d{{4}}-\d{{2}}-\d{{2}}-\d{{6}}{re.escape(SUFFIX)}$")
DAY_SECONDS = 24 * 60 * 60


class BackupError(Exception):
    """What went wrong, in a sentence for the operator."""


@dataclass
class Done:
    path: Path
    size: int
    seconds: float

    def describe(self) -> str:
        return f"{self.path} ({self.size / 1e6:.1f} MB) in {self.seconds:.1f} s"


def backup_dir() -> Path:
    """Where backups go by default: ``backups/`` in the data directory."""
    return data_dir() / "backups"


def backup_name(moment: datetime) -> str:
    return f"{PREFIX}{moment:%Y-%m-%d-%H%M%S}{SUFFIX}"


def _libpq_keywords() -> frozenset[str]:
    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def connection_arguments(settings_dict: dict) -> tuple[str, dict[str, str]]:
    """The connection to ``settings_dict``'s database for PostgreSQL's programs: a libpq
    connection string without the password, and the environment with it (``PGPASSWORD``)."""
    keywords = _libpq_keywords() - {"password"}
    options = {
        key: str(value)
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if key in keywords and value not in (None, "")
    }
    parts = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
    }
    options.setdefault("application_name", "bildungsatlas-backup")
    conninfo = make_conninfo("", **{k: v for k, v in {**options, **parts}.items() if v})
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = settings_dict["PASSWORD"]
    return conninfo, environment


def describe_database(settings_dict: dict) -> str:
    where = settings_dict.get("HOST") or "localhost"
    if settings_dict.get("PORT"):
        where += f":{settings_dict['PORT']}"
    return f"„{settings_dict['NAME']}“ auf {where}"


def _run(command: list[str], environment: dict[str, str] | None = None):
    return subprocess.run(  # noqa: S603 - the programs of postgres_tool, no shell
        command, env=environment, capture_output=True, text=True, check=False
    )


def _message(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return " / ".join(lines[-3:]) or "(keine Meldung)"


def dump(path: Path, settings_dict: dict) -> Done:
    """Write a backup of the database to ``path`` (replaced if it exists)."""
    started = time.monotonic()
    conninfo, environment = connection_arguments(settings_dict)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    partial = path.with_name(f"{path.name}.partial")
    # Readable by the owner only, before pg_dump writes into it.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        done = _run(
            [
                str(postgres_tool("pg_dump")),
                "--format=custom",
                "--no-password",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            environment,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump ist gescheitert: {_message(done.stderr)}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return Done(path, path.stat().st_size, time.monotonic() - started)


def check_archive(path: Path) -> int:
    """The number of entries in the backup ``path``; a ``BackupError`` that says why if it is
    missing or is no backup of ``pg_dump -Fc`` (another file, damaged, cut short at the
    start)."""
    if not path.exists():
        raise BackupError(f"Die Datei {path} gibt es nicht.")
    if not path.is_file():
        raise BackupError(f"{path} ist keine Datei.")
    done = _run([str(postgres_tool("pg_restore")), "--list", str(path)])
    if done.returncode != 0:
        raise BackupError(
            f"{path} ist keine lesbare Sicherung von pg_dump (Format -Fc) oder ist beschädigt: "
            f"{_message(done.stderr)}"
        )
    entries = [line for line in done.stdout.splitlines() if line and not line.startswith(";")]
    if not entries:
        raise BackupError(f"{path} enthält nichts, was sich wiederherstellen ließe.")
    return len(entries)


def restore(path: Path, settings_dict: dict) -> Done:
    """Replace the database's contents with the backup ``path``, in one transaction: if it
    fails, nothing changed."""
    started = time.monotonic()
    conninfo, environment = connection_arguments(settings_dict)
    before = _generations()
    connection.close()  # hold no session of our own while the tables are replaced
    done = _run(
        [
            str(postgres_tool("pg_restore")),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={conninfo}",
            str(path),
        ],
        environment,
    )
    if done.returncode != 0:
        raise BackupError(
            f"Die Wiederherstellung ist gescheitert, die Datenbank ist unverändert: "
            f"{_message(done.stderr)}"
        )
    _renew_generations(before)
    return Done(path, path.stat().st_size, time.monotonic() - started)


_SEQUENCES = (generations.SEARCH_SEQUENCE, generations.REFERENCE_SEQUENCE)


def _generations() -> tuple[int, int] | None:
    """The search and reference generations, or None where the database has none (yet)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s), to_regclass(%s)", list(_SEQUENCES))
        if None in cursor.fetchone():
            return None
        cursor.execute(
            "SELECT (SELECT last_value FROM {}), (SELECT last_value FROM {})".format(*_SEQUENCES)  # noqa: S608 - constants
        )
        return cursor.fetchone()


def _renew_generations(before: tuple[int, int] | None) -> None:
    """Move both generations past every number the database had before the restore and past
    the restored ones, and log that anything may have changed: running workers rebuild their
    search index and drop what they cached (a restored, older number could be one they know)."""
    if _generations() is None:
        return  # a backup older than the generations: `migrate` creates them
    with connection.cursor() as cursor:
        for sequence, value in zip(_SEQUENCES, before or (0, 0), strict=True):
            cursor.execute(
                f"SELECT setval(%s, greatest(%s, (SELECT last_value FROM {sequence})))",  # noqa: S608 - constants
                [sequence, value],
            )
    generations.bump(reference=True)


def prune(folder: Path, keep_days: float, *, now: float | None = None) -> list[Path]:
    """Delete the backups in ``folder`` (files named as ``backup`` names them) older than
    ``keep_days`` days; returns those deleted."""
    limit = (time.time() if now is None else now) - keep_days * DAY_SECONDS
    deleted = []
    for path in sorted(folder.glob(f"{PREFIX}*{SUFFIX}")):
        if _NAMED.match(path.name) and path.is_file() and path.stat().st_mtime < limit:
            path.unlink()
            deleted.append(path)
    return deleted
