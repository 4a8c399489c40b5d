import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from atlas.database import parse_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_database_url_is_parsed_into_django_settings():
    settings = parse_database_url(
        "postgresql://atlas:s%40cret@db.example.org:5433/atlas?sslmode=require"
    )
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "atlas"
    assert settings["USER"] == "atlas"
    assert settings["PASSWORD"] == "s@cret"
    assert settings["HOST"] == "db.example.org"
    assert settings["PORT"] == "5433"
    assert settings["OPTIONS"] == {"sslmode": "require"}


def test_database_url_with_socket_host_in_query():
    settings = parse_database_url("postgresql://postgres@/atlas?host=/run/postgresql")
    assert settings["HOST"] == "/run/postgresql"
    assert settings["OPTIONS"] == {}


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
