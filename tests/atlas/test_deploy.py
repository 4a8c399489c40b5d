"""Production serving (README "Running in production"): deploy/gunicorn.conf.py, the systemd
units, the example environment, the nginx site (``nginx -t``), and `make serve` itself — run
against the test database, asked for pages, static files and the probes, then with the nginx
site in front of it (TLS, HTTP -> HTTPS, static files, X-Forwarded-Proto, X-Request-ID) — and
gunicorn with the config against a database that does not answer (ready: 503).

Everything listens on free ports of 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import ssl
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from atlas import health, serving
from atlas.database import WEB_STATEMENT_TIMEOUT_MS
from atlas.models import ScheduledRun
from atlas.page_benchmark import free_port
from atlas.schedule import SCHEDULE
from tests.atlas.test_settings import _manage
from tests.servers import database_url_of_the_tests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "bildungsatlas.conf"
NGINX = Path("/usr/sbin/nginx")
OPENSSL = Path("/usr/bin/openssl")

# One worker runs this module: `make serve` starts once for it.
pytestmark = pytest.mark.xdist_group("deploy")

# What the test process has that a server started by an operator would not.
NOT_INHERITED = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "LOG_FORMAT",
    "PGAPPNAME",
    "PYTEST_XDIST_WORKER",
    "STATEMENT_TIMEOUT_MS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "WEB_CONCURRENCY",
    "BIND",
    "PORT",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
}


def clean_environment(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(values)
    return env


# HTTP -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def get(port: int, path: str, *, tls: bool = False, timeout: float = 30, **headers) -> Answer:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's own certificate
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={key.replace("_", "-"): v for key, v in headers.items()})
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def wait_for(
    port: int, path: str, process: subprocess.Popen, log: Path, seconds: float, tls: bool = False
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{tail(log)}", pytrace=False)
        try:
            if get(port, path, tls=tls, timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{path} did not answer within {seconds:.0f} s:\n{tail(log)}", pytrace=False)


def tail(log: Path, characters: int = 4000) -> str:
    return log.read_text(errors="replace")[-characters:] if log.exists() else ""


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """End the process group (the server and everything it started)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("processes of the server were still running after SIGTERM", pytrace=False)


# deploy/gunicorn.conf.py -----------------------------------------------------------------------


def gunicorn_config(**env) -> dict[str, str]:
    """The effective settings gunicorn reads from the config (``--print-config``)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "--print-config",
        ],
        cwd="/",  # the config finds the project itself
        # It loads the application too: production settings, the test database.
        env=clean_environment(
            SECRET_KEY="k" * 50,
            ALLOWED_HOSTS="localhost",
            DATABASE_URL=database_url_of_the_tests(),
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )


def test_gunicorn_config_defaults():
    config = gunicorn_config()
    assert config["wsgi_app"] == "atlas.wsgi:application"
    assert config["chdir"] == str(ROOT)
    assert config["bind"] == "['127.0.0.1:8000']"
    assert int(config["workers"]) == max(2, len(os.sched_getaffinity(0)))
    assert config["worker_class"] == "sync"
    # Longer than the web requests' statement timeout, so the timeout page is rendered.
    assert int(config["timeout"]) == WEB_STATEMENT_TIMEOUT_MS // 1000 + 20
    assert config["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert config["accesslog"] == "None"  # the application logs each request itself
    assert "atlas.request_log.JsonFormatter" in config["logconfig_dict"]  # production: JSON


def test_gunicorn_config_follows_the_environment():
    config = gunicorn_config(
        PORT="9123", WEB_CONCURRENCY="5", STATEMENT_TIMEOUT_MS="60000", DEBUG="true"
    )
    assert config["bind"] == "['127.0.0.1:9123']"
    assert config["workers"] == "5"
    assert config["timeout"] == "80"
    assert config["logconfig_dict"] == "{}"  # development: gunicorn's own text
    socket = gunicorn_config(BIND="unix:/run/bildungsatlas/web.sock", PORT="9123")
    assert socket["bind"] == "['unix:/run/bildungsatlas/web.sock']"


# deploy/systemd ---------------------------------------------------------------------------------


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings: key -> values (a key may repeat, as ExecStartPre does)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


def manage_commands(values: list[str]) -> list[list[str]]:
    """The manage.py commands (with their arguments) among ExecStart values."""
    found = []
    for value in values:
        words = shlex.split(value)
        if "manage.py" in words:
            found.append(words[words.index("manage.py") + 1 :])
    return found


SERVICES = [
    "bildungsatlas-web.service",
    "bildungsatlas-worker.service",
    "bildungsatlas-scheduler.service",
    "bildungsatlas-jobs.service",
]


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_units_run_real_commands_with_the_environment_file(name):
    settings = unit(name)
    assert settings["Service.User"] == ["bildungsatlas"]
    assert settings["Service.WorkingDirectory"] == ["/srv/bildungsatlas"]
    assert settings["Service.EnvironmentFile"] == ["/etc/bildungsatlas/environment"]
    executables = settings.get("Service.ExecStartPre", []) + settings["Service.ExecStart"]
    assert all(value.startswith("/srv/bildungsatlas/.venv/bin/") for value in executables)
    commands = get_commands()
    for name_and_arguments in manage_commands(executables):
        command, *arguments = name_and_arguments
        assert command in commands, f"{name}: no command {command!r}"
        parser = load_command_class(commands[command], command).create_parser("manage.py", command)
        parser.parse_args(arguments)  # exits (fails the test) on an unknown argument


def test_systemd_units_run_web_worker_and_scheduler_as_make_serve_does():
    web = unit("bildungsatlas-web.service")
    assert web["Service.Type"] == ["notify"]  # gunicorn tells systemd when it listens
    assert web["Service.ExecStart"] == [
        "/srv/bildungsatlas/.venv/bin/gunicorn -c deploy/gunicorn.conf.py"
    ]
    assert manage_commands(web["Service.ExecStartPre"]) == [
        ["migrate", "--no-input"],
        ["load_reference"],
        ["collectstatic", "--no-input", "-v", "0"],
    ]
    worker = unit("bildungsatlas-worker.service")
    assert manage_commands(worker["Service.ExecStart"]) == [["db_worker"]]
    assert worker["Service.Environment"] == [f"PGAPPNAME={health.WORKER_APPLICATION_NAME}"]
    scheduler = unit("bildungsatlas-scheduler.service")
    assert manage_commands(scheduler["Service.ExecStart"]) == [["daily_jobs", "--loop"]]
    jobs = unit("bildungsatlas-jobs.service")
    assert manage_commands(jobs["Service.ExecStart"]) == [["daily_jobs", "--due"]]
    assert unit("bildungsatlas-jobs.timer")["Timer.OnCalendar"] == ["*:0/5"]
    # make serve starts the same three.
    recipe = (ROOT / "Makefile").read_text().split("\nserve: venv\n", 1)[1].split("\n\n", 1)[0]
    assert f"PGAPPNAME={health.WORKER_APPLICATION_NAME} $(BIN)/python manage.py db_worker" in recipe
    assert "manage.py daily_jobs --loop" in recipe
    assert "$(BIN)/gunicorn -c deploy/gunicorn.conf.py" in recipe
    assert "collectstatic --no-input" in recipe


def test_the_readme_lists_every_scheduled_job():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    for job in SCHEDULE:
        assert re.search(rf"\| `{job.name}` \| {job.at:%H:%M} \|", section), job.name


# deploy/environment.example --------------------------------------------------------------------


def example_environment() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "environment.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_example_environment_names_only_real_settings():
    read = "".join(
        path.read_text()
        for path in (
            ROOT / "atlas/settings.py",
            ROOT / "atlas/database.py",
            DEPLOY / "gunicorn.conf.py",
        )
    )
    commented = re.findall(r"^#([A-Z_]+)=", (DEPLOY / "environment.example").read_text(), re.M)
    for name in [*example_environment(), *commented]:
        assert f'"{name}"' in read, f"{name} is read nowhere"


def test_example_environment_passes_the_deploy_check(tmp_path):
    env = example_environment()
    env["SECRET_KEY"] = serving.kept_secret_key(tmp_path)[0]  # the example's is a placeholder
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# The secret key of `make serve` ----------------------------------------------------------------


def test_without_secret_key_make_serve_keeps_one_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("BILDUNGSATLAS_DATA_DIR", str(tmp_path))
    first = subprocess.run(
        [sys.executable, "-m", "atlas.serving", "secret-key"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    key_file = tmp_path / "secret_key"
    assert first.returncode == 0
    assert first.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.stderr.strip().splitlines() == [
        f"SECRET_KEY is not set: using the key kept in {key_file} (one machine; with several, "
        "set SECRET_KEY on all of them)."
    ]
    assert serving.kept_secret_key(tmp_path)[0] == first.stdout.strip()  # kept, not remade
    monkeypatch.setenv("SECRET_KEY", "set-by-the-operator")
    assert serving.main(["secret-key"]) == 0


# nginx -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    if not OPENSSL.exists():
        pytest.fail("openssl is missing: sudo apt-get install openssl (make test does)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [str(OPENSSL), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def local_site(folder: Path, cert: tuple[Path, Path], **ports_and_paths) -> Path:
    """deploy/nginx/bildungsatlas.conf with this machine's ports, folders and test certificate
    in place of the real host's (each replacement must find its text)."""
    text = SITE.read_text()
    values = {
        "http": 80,
        "https": 443,
        "upstream": 8000,
        "static": Path("/var/lib/bildungsatlas/static"),
        **ports_and_paths,
    }
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{values['http']};"),
        ("listen [::]:80;\n", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{values['https']} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{values['upstream']};"),
        ("server_name bildungsatlas.example.org;", "server_name localhost;"),
        ("/etc/letsencrypt/live/bildungsatlas.example.org/fullchain.pem", str(cert[0])),
        ("/etc/letsencrypt/live/bildungsatlas.example.org/privkey.pem", str(cert[1])),
        ("/var/lib/bildungsatlas/static/", f"{values['static']}/"),
        ("/var/log/nginx/", f"{logs}/"),
        ("/var/www/letsencrypt", str(folder)),
    ]
    for old, new in replacements:
        assert old in text, f"{SITE.name} no longer has {old!r}: update this test"
        text = text.replace(old, new)
    (folder / "site.conf").write_text(text)
    temporary = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers read the test's folders
        + f"pid {folder / 'nginx.pid'};\n"
        + "error_log stderr;\n"
        + "events {}\n"
        + "http {\n"
        + "    include /etc/nginx/mime.types;\n"
        + temporary
        + f"\n    include {folder / 'site.conf'};\n"
        + "}\n"
    )
    return main


def require_nginx() -> None:
    if not NGINX.exists():
        pytest.fail("nginx is missing: sudo apt-get install nginx (make test does)")


def test_nginx_site_passes_nginx_t(tmp_path, certificate):
    require_nginx()
    main = local_site(tmp_path, certificate, http=80, https=443)
    result = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    site = SITE.read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site


# make serve ------------------------------------------------------------------------------------


@dataclass
class Served:
    port: int
    process: subprocess.Popen
    log: Path
    static_root: Path
    data_dir: Path

    def log_entries(self) -> list[dict]:
        entries = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries

    def hashed(self, name: str) -> str:
        manifest = json.loads((self.static_root / "staticfiles.json").read_text())
        return manifest["paths"][name]


@pytest.fixture(scope="module")
def served(django_db_setup, django_db_blocker, tmp_path_factory):
    """`make serve` against the test database, on a free port; stopped after the module."""
    folder = tmp_path_factory.mktemp("serve")
    log = folder / "serve.log"
    port = free_port()
    env = clean_environment(
        DATABASE_URL=database_url_of_the_tests(),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        STATIC_ROOT=str(folder / "static"),
        BILDUNGSATLAS_DATA_DIR=str(folder / "data"),
    )
    started = time.time()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            # -o: never reinstall the packages here (make test has just checked them).
            ["make", "--no-print-directory", "-o", ".venv/.installed", "serve"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(port, "/health/live", process, log, seconds=240)
        served = Served(port, process, log, folder / "static", folder / "data")
        # The scheduler's first round has run before anything is stopped (its jobs write to
        # the test database this worker's later tests read).
        deadline = time.monotonic() + 120
        with django_db_blocker.unblock():
            while time.monotonic() < deadline:
                done = ScheduledRun.objects.filter(
                    finished_at__isnull=False, started_at__gte=_utc(started)
                ).count()
                if done == len(SCHEDULE):
                    break
                time.sleep(0.5)
            else:
                pytest.fail(f"the scheduler did not run every job:\n{tail(log)}", pytrace=False)
        yield served
    finally:
        stop(process)


def _utc(timestamp: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp - 1, dt.UTC)


@pytest.mark.django_db
def test_make_serve_serves_pages_and_static_files_with_debug_off(served):
    behind_proxy = {"X_Forwarded_Proto": "https"}
    home = get(served.port, "/", X_Request_ID="probe-home-0001", **behind_proxy)
    assert home.status == 200
    assert home.headers["Content-Type"].startswith("text/html")
    assert home.headers["X-Request-ID"] == "probe-home-0001"
    assert "max-age=31536000" in home.headers["Strict-Transport-Security"]
    # DEBUG is off: an unknown address gets the site's 404 page, not Django's debug page.
    missing = get(served.port, "/gibt-es-nicht/", **behind_proxy)
    assert missing.status == 404
    assert b"Seite nicht gefunden" in missing.body and b"URLconf" not in missing.body
    # Static files: collected, hashed names cached for good, through whitenoise.
    css = get(served.port, "/static/" + served.hashed("css/site.css"), **behind_proxy)
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "immutable" in css.headers["Cache-Control"]
    # Without TLS in front the pages redirect to HTTPS (README: SECURE_SSL_REDIRECT=false).
    plain = get(served.port, "/kurse/")
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{served.port}/kurse/"
    # The request line, as JSON with the request id.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [e for e in served.log_entries() if e.get("request_id") == "probe-home-0001"]
        if lines:
            break
        time.sleep(0.2)
    assert lines and lines[0]["logger"] == "atlas.requests"
    assert (lines[0]["method"], lines[0]["path"], lines[0]["status"]) == ("GET", "/", 200)


@pytest.mark.django_db
def test_make_serve_answers_probes_over_plain_http_with_a_worker_connected(served):
    assert get(served.port, "/health/live").json() == {"status": "alive"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = get(served.port, "/health/ready")
        if ready.status == 200 and ready.json()["workers_connected"]:
            break
        time.sleep(0.5)
    assert ready.status == 200, ready.body
    assert ready.json()["workers_connected"] == 1  # make serve's db_worker
    assert "no-store" in ready.headers["Cache-Control"]


@pytest.mark.django_db
def test_make_serve_keeps_its_secret_key_in_the_data_directory(served):
    key_file = served.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"SECRET_KEY is not set: using the key kept in {key_file}" in tail(served.log, 10**6)


@pytest.mark.django_db
def test_nginx_in_front_of_make_serve(served, certificate, tmp_path):
    require_nginx()
    http_port, https_port = free_port(), free_port()
    main = local_site(
        tmp_path,
        certificate,
        http=http_port,
        https=https_port,
        upstream=served.port,
        static=served.static_root,
    )
    log = tmp_path / "nginx.log"
    with log.open("wb") as output:
        nginx = subprocess.Popen(  # noqa: S603
            [str(NGINX), "-p", str(tmp_path), "-c", str(main), "-e", "stderr"]
            + ["-g", "daemon off;"],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(https_port, "/health/live", nginx, log, seconds=30, tls=True)
        # HTTP -> HTTPS, the path and query kept.
        plain = get(http_port, "/kurse/?q=Deutsch")
        assert plain.status == 301
        assert plain.headers["Location"] == "https://localhost/kurse/?q=Deutsch"
        # HTTPS: Django sees X-Forwarded-Proto and serves (no redirect loop); nginx's own
        # request id replaces the client's and reaches the application.
        home = get(https_port, "/", tls=True, Host="localhost", X_Request_ID="from-the-client")
        assert home.status == 200, home.body[:500]
        request_id = home.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert "max-age=31536000" in home.headers["Strict-Transport-Security"]
        deadline = time.monotonic() + 10
        while not [e for e in served.log_entries() if e.get("request_id") == request_id]:
            assert time.monotonic() < deadline, "the application did not log nginx's id"
            time.sleep(0.2)
        # Static files come from nginx itself: hashed names for a year, others for an hour.
        hashed = get(https_port, "/static/" + served.hashed("css/site.css"), tls=True)
        assert hashed.status == 200
        assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "X-Request-ID" not in hashed.headers  # not through the application
        plain_css = get(https_port, "/static/css/site.css", tls=True)
        assert plain_css.status == 200
        assert plain_css.headers["Cache-Control"] == "public, max-age=3600"
        ready = get(https_port, "/health/ready", tls=True)
        assert ready.status == 200 and ready.json()["status"] == "ready"
    finally:
        stop(nginx)


# gunicorn against a database that does not answer ----------------------------------------------


def test_gunicorn_with_the_config_is_alive_but_not_ready_without_its_database(tmp_path):
    port = free_port()
    closed = free_port()  # nothing listens there
    env = clean_environment(
        DEBUG="false",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=f"postgresql://atlas@127.0.0.1:{closed}/atlas?connect_timeout=3",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        STATIC_ROOT=str(tmp_path / "static"),
        BILDUNGSATLAS_DATA_DIR=str(tmp_path / "data"),
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(port, "/health/live", process, log, seconds=120)
        ready = get(port, "/health/ready")
        assert ready.status == 503
        assert ready.json() == {"status": "not ready", "database": "unreachable (OperationalError)"}
        assert "no-store" in ready.headers["Cache-Control"]
    finally:
        stop(process)
