"""What ``make serve`` needs before Django starts: the secret key of a single machine.

``python -m atlas.serving secret-key`` prints ``SECRET_KEY`` when it is set, and otherwise the
key kept in the data directory (``$BILDUNGSATLAS_DATA_DIR/secret_key``, made on first use, mode
600) — the same file development uses, next to the embedded PostgreSQL's data, so that sessions
and password-reset links outlive a restart. It says so on standard error. Several machines
must share one key: set ``SECRET_KEY`` on all of them (deploy/environment.example).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from atlas.database import data_dir

KEY_FILE = "secret_key"


def kept_secret_key(directory: Path | None = None) -> tuple[str, Path]:
    """The key kept in the data directory (made when missing) and its file."""
    path = (directory or data_dir()) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{KEY_FILE}.{os.getpid()}.partial")
        partial.write_text(secrets.token_urlsafe(50))
        partial.chmod(0o600)
        partial.replace(path)
    key = path.read_text().strip()
    if not key:
        raise SystemExit(f"{path} is empty: delete it (a new key is made) or set SECRET_KEY.")
    return key, path


def main(argv: list[str]) -> int:
    if argv != ["secret-key"]:
        sys.stderr.write("usage: python -m atlas.serving secret-key\n")
        return 2
    key = os.environ.get("SECRET_KEY", "").strip()
    if not key:
        key, path = kept_secret_key()
        sys.stderr.write(
            f"SECRET_KEY is not set: using the key kept in {path} (one machine; with several, "
            "set SECRET_KEY on all of them).\n"
        )
    print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
