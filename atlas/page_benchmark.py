"""Every public page over HTTP from the production server: the parts of ``benchmark_pages``.

- :class:`ProductionServer` runs ``collectstatic`` and gunicorn with production settings
  (``DEBUG=false``) on a free local port, and stops it again.
- :func:`fetch` requests one path, timing the first byte (status line and headers) and the
  whole response.
- :class:`PatternResult` holds one URL pattern's requests; :func:`format_report` prints them as
  a table, slowest first.

The URL patterns and their real paths come from :mod:`atlas.url_catalogue`, as for the page
checks, so a new page is measured without anyone remembering it.
"""

from __future__ import annotations

import http.client
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core.collector import collection_paused

HTML = "text/html"
HOST = "localhost"


@dataclass(frozen=True)
class Sample:
    """One request: seconds to the first byte and to the last, status, body size in bytes."""

    first_byte: float
    seconds: float
    status: int | str  # the HTTP status, or "timeout" / "error"
    size: int = 0
    content_type: str = ""


def judged_seconds(sample: Sample) -> float:
    """What a request is judged by: a download by its first byte, a page by its last."""
    return sample.first_byte if _is_download(sample) else sample.seconds


def _is_download(sample: Sample) -> bool:
    """Anything but an HTML page (or an answer without a type: a timeout, an error)."""
    return bool(sample.content_type) and not sample.content_type.startswith(HTML)


@dataclass
class PatternResult:
    """The requests to one URL pattern's paths.

    A worker's first request to a pattern is kept apart (``firsts``): the process has not
    rendered this page before (templates not yet compiled, the search index not yet built).
    The percentiles are taken over the rest (``samples``)."""

    key: str
    paths: list[str] = field(default_factory=list)
    firsts: list[Sample] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    memory_growth_kb: int = 0  # growth of the workers' peak resident memory during its requests
    note: str = ""  # why it has no paths
    notes: list[str] = field(default_factory=list)  # paths or the pattern given up, and why
    workers: set = field(default_factory=set, repr=False)

    def add(self, sample: Sample, worker: int | None = None) -> None:
        """Record a request; ``worker`` is the process that served it (None: not known, then
        only the pattern's first request counts as a first)."""
        if worker not in self.workers and (worker is not None or not self.firsts):
            self.workers.add(worker)
            self.firsts.append(sample)
        else:
            self.samples.append(sample)

    @property
    def all_samples(self) -> list[Sample]:
        return [*self.firsts, *self.samples]

    @property
    def first(self) -> float | None:
        """Milliseconds: the slowest of the workers' first requests."""
        return max(s.seconds for s in self.firsts) * 1000 if self.firsts else None

    @property
    def is_download(self) -> bool:
        """Whether its answers include downloads (calendars, sitemap files, robots.txt,
        exports): those are judged by their time to the first byte, and their size is what
        they send. (An export answers a page instead when the search finds too many.)"""
        return any(_is_download(s) for s in self.all_samples)

    def _measured(self) -> list[Sample]:
        # With first requests only, they are all there is.
        return self.samples or self.firsts

    def percentile(self, percent: float, *, first_byte: bool = False) -> float | None:
        """Milliseconds, over the requests after each worker's first."""
        values = [s.first_byte if first_byte else s.seconds for s in self._measured()]
        return percentile(values, percent) * 1000 if values else None

    @property
    def slowest(self) -> float | None:
        samples = self._measured()
        return max(s.seconds for s in samples) * 1000 if samples else None

    @property
    def judged(self) -> float | None:
        """What the budget is held against: p95 of the whole response, for downloads of the
        first byte."""
        values = [judged_seconds(s) for s in self._measured()]
        return percentile(values, 95) * 1000 if values else None

    @property
    def statuses(self) -> str:
        counts = Counter(str(s.status) for s in self.all_samples)
        return " ".join(f"{status}×{n}" for status, n in sorted(counts.items()))

    @property
    def typical_size(self) -> int | None:
        sizes = sorted(s.size for s in self.all_samples)
        return sizes[len(sizes) // 2] if sizes else None


def percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``percent`` % of the values
    at or below it (p50 of 1…20 is 10, p95 is 19, p100 is 20)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def format_report(results: list[PatternResult], *, budget_ms: float) -> list[str]:
    """The table, slowest first (by what the budget is held against), patterns without
    measurements last. ``!`` marks a pattern over the budget."""

    def order(result: PatternResult):
        judged = result.judged
        return (judged is None, -(judged or 0), result.key)

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f}"

    header = (
        f"{'':2}{'pattern':<32}{'paths':>6}{'n':>5}{'first':>8}{'p50':>7}{'p95':>7}{'max':>7}"
        f"{'ttfb95':>8}{'size':>9}{'mem+':>7}  status"
    )
    lines = [header]
    for result in sorted(results, key=order):
        judged = result.judged
        over = judged is not None and judged > budget_ms
        size = result.typical_size
        download = result.is_download
        line = (
            f"{'!' if over else '':2}{result.key:<32}{len(result.paths):>6}"
            f"{len(result.all_samples):>5}{ms(result.first):>8}"
            f"{ms(result.percentile(50)):>7}{ms(result.percentile(95)):>7}"
            f"{ms(result.slowest):>7}"
            f"{ms(result.percentile(95, first_byte=True)) if download else '':>8}"
            f"{_size(size):>9}{result.memory_growth_kb / 1024:>7.0f}  {result.statuses}"
        )
        if result.note or result.notes:
            line += f"  ({'; '.join(filter(None, [result.note, *result.notes]))})"
        lines.append(line.rstrip())
    return lines


def _size(size: int | None) -> str:
    if size is None:
        return "–"
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.0f} kB"


def fetch(port: int, path: str, *, timeout: float) -> Sample:
    """GET ``path`` on a new connection, as a browser's first visit would. The client's own
    garbage collector waits until the response is read: this process holds all of Django,
    and a full collection of it (about 60 ms) inside the timed window was counted as the
    server's (``core.collector``)."""
    with collection_paused():
        return _fetch(port, path, timeout=timeout)


def _fetch(port: int, path: str, *, timeout: float) -> Sample:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(
            "GET", path, headers={"Host": HOST, "User-Agent": "benchmark_pages", "Accept": "*/*"}
        )
        response = connection.getresponse()
        first_byte = time.perf_counter() - started
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
        return Sample(
            first_byte=first_byte,
            seconds=time.perf_counter() - started,
            status=response.status,
            size=size,
            content_type=response.getheader("Content-Type", ""),
        )
    except TimeoutError:
        elapsed = time.perf_counter() - started
        return Sample(first_byte=elapsed, seconds=elapsed, status="timeout")
    except (OSError, http.client.HTTPException):
        elapsed = time.perf_counter() - started
        return Sample(first_byte=elapsed, seconds=elapsed, status="error")
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerFailed(Exception):
    """The production server did not start; the message holds the end of its log."""


class ProductionServer:
    """gunicorn with production settings, on a free port of 127.0.0.1.

    The environment is this process's (same database) with ``DEBUG=false``, a generated
    ``SECRET_KEY`` unless one is set, ``ALLOWED_HOSTS=localhost`` and no HTTPS redirect; every
    query of the server ends after ``timeout`` seconds (``STATEMENT_TIMEOUT_MS``), so a page
    that hangs does not keep PostgreSQL busy after the benchmark.
    """

    def __init__(self, *, base_dir: Path, workers: int = 2, timeout: float = 30):
        self.base_dir = base_dir
        self.workers = workers
        self.timeout = timeout
        self.port = 0
        self.ready_sample: Sample | None = None
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="benchmark_pages-", suffix=".log", delete=False
        )
        # One line per request, "<pid>": which worker served it.
        self.access_log = Path(self.log.name).with_suffix(".access")
        self.access_offset = 0

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DEBUG="false",
            SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="false",
            STATEMENT_TIMEOUT_MS=str(int(self.timeout * 1000)),
        )
        return env

    def start(self) -> None:
        env = self.environment()
        collected = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=self.base_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if collected.returncode != 0:
            raise ServerFailed(f"collectstatic failed:\n{collected.stderr[-3000:]}")
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "atlas.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                f"--timeout={int(self.timeout) + 30}",
                "--graceful-timeout=5",
                "--log-level=warning",
                f"--access-logfile={self.access_log}",
                "--access-logformat=%(p)s",
            ],
            cwd=self.base_dir,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this process only; stop() ends gunicorn
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            if len(self.worker_pids()) >= self.workers:
                sample = fetch(self.port, "/robots.txt", timeout=5)
                if sample.status == 200:
                    self.ready_sample = sample
                    self.served_by()
                    return
            time.sleep(0.2)
        raise ServerFailed(f"gunicorn did not answer within 120 s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
        self.access_log.unlink(missing_ok=True)

    def served_by(self, wait: float = 1.0) -> int | None:
        """The worker that served the last request, from the access log (which the worker
        writes just after the response, so this waits up to ``wait`` seconds for the line)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                with self.access_log.open("rb") as log:
                    log.seek(self.access_offset)
                    new = log.read()
            except OSError:
                new = b""
            complete = new[: new.rfind(b"\n") + 1]
            if complete:
                self.access_offset += len(complete)
                last = complete.decode(errors="replace").split()[-1]
                return int(last.strip("<>")) if last.strip("<>").isdigit() else None
            if time.monotonic() > deadline:
                return None
            time.sleep(0.001)

    def tail(self, characters: int = 3000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-characters:]

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's child processes (Linux /proc; empty elsewhere)."""
        if self.process is None:
            return []
        master = str(self.process.pid)
        pids = []
        for entry in Path("/proc").glob("[0-9]*/stat"):
            try:
                # "pid (name) state ppid …": the name may hold spaces, so split after ")".
                fields = entry.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == master:
                pids.append(int(entry.parent.name))
        return sorted(pids)

    def peak_memory_kb(self, pids: list[int]) -> dict[int, int]:
        """Each worker's peak resident memory so far (VmHWM), in kB."""
        peaks = {}
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1])
            except OSError:
                continue
        return peaks
