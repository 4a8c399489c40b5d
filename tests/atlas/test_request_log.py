"""The request id (atlas/request_log.py): taken from the proxy when well-formed, made otherwise,
sent back, on every log record of the request; one log line per request; the log formats."""

import json
import logging
import re

import pytest
from django.test import Client

from atlas.request_log import JsonFormatter, TextFormatter, current_request_id, request_id_from

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.atlas.request_log_urls")]

NEW_ID = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "atlas.requests"]


def test_a_request_gets_an_id_in_the_response_and_its_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="atlas.requests")
    response = client.get("/logs/?q=geheim")
    request_id = response["X-Request-ID"]
    assert NEW_ID.fullmatch(request_id)
    assert response.wsgi_request.request_id == request_id
    [line] = request_lines(caplog)
    assert line.request_id == request_id
    assert (line.method, line.path, line.status) == ("GET", "/logs/", 200)
    assert line.duration_ms >= 0
    assert "geheim" not in line.getMessage()  # the query string stays out of the log
    assert line.getMessage().startswith("GET /logs/ 200 ")
    # The next request gets an id of its own.
    assert client.get("/logs/")["X-Request-ID"] != request_id


def test_the_proxys_well_formed_id_is_kept(client, caplog):
    caplog.set_level(logging.INFO, logger="atlas.requests")
    nginx_id = "4f9d0c1e2b3a49e8a7c6d5b4a3f2e1d0"
    response = client.get("/logs/", headers={"X-Request-ID": nginx_id})
    assert response["X-Request-ID"] == nginx_id
    assert request_lines(caplog)[0].request_id == nginx_id
    uuid_id = "0b6a4c1e-8f0e-4d5c-9a7b-3c2d1e0f9a8b"
    assert client.get("/logs/", headers={"X-Request-ID": uuid_id})["X-Request-ID"] == uuid_id


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "short",  # fewer than 8 characters
        "x" * 129,  # longer than 128
        "abc def ghi",  # a space
        "abcdefgh\nFAKE log line",  # a forged log line
        "<script>alert(1)</script>",
        "ünïcødé-1234",
    ],
)
def test_a_malformed_incoming_id_is_replaced(client, malformed):
    response = client.get("/logs/", headers={"X-Request-ID": malformed})
    assert NEW_ID.fullmatch(response["X-Request-ID"])
    assert request_id_from(malformed) != malformed


def test_a_record_logged_inside_the_view_carries_the_id(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/logs/")
    [inside] = [r for r in caplog.records if r.name == "tests.view"]
    assert inside.request_id == response["X-Request-ID"]
    assert current_request_id.get() is None  # and none outside the request
    outside = logging.getLogger("tests.view").makeRecord("tests.view", 20, "", 0, "x", (), None)
    assert outside.request_id is None


def test_an_error_is_logged_with_the_same_id(caplog):
    caplog.set_level(logging.INFO)
    response = Client(raise_request_exception=False).get("/fails/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    [error] = [r for r in caplog.records if r.name == "django.request"]
    assert error.levelno == logging.ERROR and error.exc_info
    assert error.request_id == request_id
    [line] = request_lines(caplog)
    assert (line.status, line.request_id) == (500, request_id)
    # As JSON: the same id, and the traceback.
    entry = json.loads(JsonFormatter().format(error))
    assert entry["request_id"] == request_id
    assert "RuntimeError: the view broke" in entry["exception"]


def test_a_long_path_is_cut_in_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="atlas.requests")
    client.get("/" + "a" * 1000 + "/")
    [line] = request_lines(caplog)
    assert line.status == 404
    assert len(line.path) == 301 and line.path.endswith("…")


def test_the_request_line_as_json_and_as_text(client, caplog):
    caplog.set_level(logging.INFO, logger="atlas.requests")
    request_id = client.get("/logs/")["X-Request-ID"]
    [line] = request_lines(caplog)
    entry = json.loads(JsonFormatter().format(line))
    assert entry["logger"] == "atlas.requests" and entry["level"] == "INFO"
    assert entry["request_id"] == request_id
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/logs/", 200)
    assert isinstance(entry["duration_ms"], float)
    assert entry["time"].endswith("+00:00")
    text = TextFormatter().format(line)
    assert f"INFO atlas.requests [{request_id}] GET /logs/ 200 " in text
    plain = logging.LogRecord("x", logging.WARNING, "", 0, "outside", (), None)
    assert "WARNING x [-] outside" in TextFormatter().format(plain)
    assert json.loads(JsonFormatter().format(plain))["request_id"] is None


def test_production_logs_json_and_development_text():
    from tests.atlas.test_settings import _manage

    shown = "from django.conf import settings; print(settings.LOG_FORMAT)"
    production = _manage("shell", "-c", shown, DEBUG="false", SECRET_KEY="k" * 50)
    assert production.stdout.strip().splitlines()[-1] == "json", production.stderr
    development = _manage("shell", "-c", shown, DEBUG="true")
    assert development.stdout.strip().splitlines()[-1] == "text", development.stderr
    chosen = _manage("shell", "-c", shown, DEBUG="true", LOG_FORMAT="json")
    assert chosen.stdout.strip().splitlines()[-1] == "json"
    wrong = _manage("check", DEBUG="true", LOG_FORMAT="xml")
    assert wrong.returncode != 0 and "LOG_FORMAT must be json or text" in wrong.stderr
