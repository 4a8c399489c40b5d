import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from atlas.database import parse_database_url

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
