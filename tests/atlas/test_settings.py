import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from atlas.database import (
    SERVER_SETTINGS_FILE,
    parse_database_url,
    server_settings,
    write_server_settings,
)

ROOT = Path(__file__).resolve().parents[2]


def test_database_url_is_parsed_into_django_settings(monkeypatch):
    monkeypatch.delenv("CONN_MAX_AGE", raising=False)
    settings = parse_database_url(
        "postgresql://atlas:s%40cret@db.example.org:5433/atlas?sslmode=require"
    )
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "atlas"
    assert settings["USER"] == "atlas"
    assert settings["PASSWORD"] == "s@cret"
    assert settings["HOST"] == "db.example.org"
    assert settings["PORT"] == "5433"
    assert settings["OPTIONS"]["sslmode"] == "require"
    assert settings["CONN_MAX_AGE"] == 60  # connections kept: a new one per request costs 30 ms


def test_database_url_with_socket_host_in_query():
    settings = parse_database_url("postgresql://postgres@/atlas?host=/run/postgresql")
    assert settings["HOST"] == "/run/postgresql"
    assert set(settings["OPTIONS"]) == {"options"}  # the statement timeout only


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql://u@h/"])
def test_unusable_database_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        parse_database_url(url)


def _manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "PYTEST_XDIST_WORKER",
            "STATEMENT_TIMEOUT_MS",
            # set for the browser tests only; never in a deployment
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="bildungsatlas.example.org",
        CSRF_TRUSTED_ORIGINS="https://bildungsatlas.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_without_debug():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# Statement timeout --------------------------------------------------------------------------


def test_every_connection_carries_the_statement_timeout(monkeypatch):
    monkeypatch.delenv("STATEMENT_TIMEOUT_MS", raising=False)
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=8MB")
    settings = parse_database_url("postgresql://u@h/atlas?options=-c%20search_path%3Datlas")
    assert settings["OPTIONS"]["options"] == (
        "-c work_mem=8MB -c search_path=atlas -c statement_timeout=10000"
    )
    monkeypatch.setenv("STATEMENT_TIMEOUT_MS", "0")
    assert parse_database_url("postgresql://u@h/atlas")["OPTIONS"]["options"].endswith(
        "-c work_mem=8MB -c statement_timeout=0"
    )


@pytest.mark.parametrize("value", ["zehn", "-5", "1.5"])
def test_a_statement_timeout_that_is_no_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("STATEMENT_TIMEOUT_MS", value)
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("postgresql://u@h/atlas")


@pytest.mark.django_db
def test_web_requests_have_the_short_statement_timeout():
    # The test run stands for the web server: no STATEMENT_TIMEOUT_MS, the web's limit.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10s"


def test_commands_have_the_long_statement_timeout():
    shown = _manage(
        "shell", "-c", "import os; print(os.environ['STATEMENT_TIMEOUT_MS'])", DEBUG="true"
    )
    assert shown.stdout.strip().splitlines()[-1] == "3600000", shown.stderr


def test_the_embedded_server_keeps_connections_too():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"]


def test_embedded_server_settings_fit_the_machine():
    mb = 1024 * 1024
    assert server_settings(1024 * mb)["shared_buffers"] == "256MB"
    assert server_settings(512 * mb)["shared_buffers"] == "128MB"  # PostgreSQL's default
    assert server_settings(64 * 1024 * mb)["shared_buffers"] == "2048MB"
    assert server_settings(8 * 1024 * mb)["effective_cache_size"] == "4096MB"


def test_embedded_server_settings_are_written_once_and_included(tmp_path):
    (tmp_path / "postgresql.conf").write_text("shared_buffers = 128MB\n")
    assert write_server_settings(tmp_path, {"shared_buffers": "256MB"})
    assert not write_server_settings(tmp_path, {"shared_buffers": "256MB"})
    assert (tmp_path / "bildungsatlas.conf").read_text().endswith("shared_buffers = '256MB'\n")
    lines = (tmp_path / "postgresql.conf").read_text().splitlines()
    assert lines == ["shared_buffers = 128MB", "include_if_exists = 'bildungsatlas.conf'"]
    assert write_server_settings(tmp_path, {"shared_buffers": "512MB"})
    assert (tmp_path / "postgresql.conf").read_text().count("include_if_exists") == 1
    assert not list(tmp_path.glob("*.partial"))
    assert not write_server_settings(tmp_path / "not-initialised")


@pytest.mark.django_db
def test_the_running_embedded_server_accepts_the_project_settings():
    """PostgreSQL read the file written for it and took every line (a misspelt setting or value
    shows up here as an error, not as a server that does not start)."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("a server from DATABASE_URL is configured by its operator")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.name, f.error, s.context FROM pg_file_settings f "
            "JOIN pg_settings s USING (name) WHERE f.sourcefile LIKE %s",
            ["%/" + SERVER_SETTINGS_FILE],
        )
        rows = cursor.fetchall()
    assert {name for name, _error, _context in rows} == set(server_settings())
    # Written while the server ran: a start-up setting waits for the next start.
    waiting = "setting could not be applied"
    assert all(
        error is None or (error == waiting and context == "postmaster")
        for _name, error, context in rows
    ), rows
