"""The course search under load: the parts of ``benchmark_load``.

- :func:`build_mix` makes the requests from the current database, the same for the same data
  and seed: free text (judged queries, frequent and rare words of the catalogue, typos), text
  with a place and radius, filters alone, a term with facets chosen, result pages 2–5, sort
  orders and course pages; :func:`summarise` counts them.
- :func:`lua_script` writes the wrk script that walks the mix, one address after the other;
  :func:`parse_wrk` reads wrk's report (requests per second, the latency distribution, socket
  errors, responses other than 2xx/3xx).
- :class:`Writer` saves courses through the write path (``course_edit``) at a fixed rate
  during a run and measures how long until each change is found over HTTP.

The server is ``atlas.page_benchmark.ProductionServer``.
"""

from __future__ import annotations

import http.client
import random
import re
import shutil
import statistics
import string
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection

from atlas.page_benchmark import HOST, fetch
from measures.models import Course, CourseDate, SearchWord
from measures.relevance import load_judgements
from measures.vocabulary import vocabulary
from workspace.models import CourseChange
from workspace.services.courses import content_change_needs_review, course_edit

SEARCH = "/kurse/"
ROBOTS = "/robots.txt"
USERNAME = "benchmark-load"
RADII = (10, 25, 50)
PAGES = (2, 3, 4, 5)
SORTS = ("relevance", "price", "date")
TIMES = ("morning", "afternoon", "evening", "weekend")
WEEKDAYS = tuple(str(day) for day in range(7))

# The share of each kind in the mix (the rest of the rounding goes to free text).
KINDS = {
    "text": 0.34,  # free text: judged queries, frequent and rare words, typos
    "place": 0.14,  # text + place (postal code of a venue) + radius
    "filters": 0.10,  # filters only
    "facets": 0.10,  # a term with facets chosen
    "pages": 0.10,  # result pages 2–5
    "sort": 0.07,  # a term sorted by relevance, price or date
    "course": 0.15,  # a course page
}


@dataclass(frozen=True)
class Request:
    kind: str
    path: str
    term: str = ""  # the text searched for, if any


@dataclass
class Terms:
    """What learners type, by source."""

    judged: list[str] = field(default_factory=list)
    common: list[str] = field(default_factory=list)
    rare: list[str] = field(default_factory=list)
    typos: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return list(dict.fromkeys([*self.judged, *self.common, *self.rare, *self.typos]))


# Words of the catalogue that nobody searches for alone.
STOP_WORDS = frozenset(
    "aber alle auch beim dass durch eine einen einer eines für ihre ihrer kann können mehr "
    "nach nicht oder ohne sich sind sowie über unter vom werden wird zum zur".split()
)


def _is_word(text: str) -> bool:
    return len(text) >= 4 and text.isalpha() and text.casefold() not in STOP_WORDS


def typo(word: str, rng: random.Random) -> str:
    """The word with two neighbouring letters swapped or one letter doubled, as typed in haste."""
    position = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5 and word[position] != word[position + 1]:
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    return word[:position] + word[position] + word[position:]


def collect_terms(rng: random.Random, *, common: int = 60, rare: int = 80, typos: int = 20):
    """The judged queries, the catalogue's most frequent words and a sample of its rare ones
    (``SearchWord``: the words of public courses' titles and keywords), and typos of frequent
    words."""
    terms = Terms(judged=[judgement.text for judgement in load_judgements()])
    frequent = [
        word
        for word in SearchWord.objects.order_by("-frequency", "display").values_list(
            "display", flat=True
        )[: common * 3]
        if _is_word(word)
    ]
    terms.common = list(dict.fromkeys(frequent))[:common]
    few = sorted(
        {
            word
            for word in SearchWord.objects.filter(frequency__lte=2).values_list(
                "display", flat=True
            )
            if _is_word(word)
        }
        - set(terms.common)
    )
    terms.rare = rng.sample(few, min(rare, len(few)))
    sources = [word for word in terms.common if len(word) >= 5] or terms.common
    terms.typos = list(
        dict.fromkeys(typo(rng.choice(sources), rng) for _ in range(typos * 2) if sources)
    )[:typos]
    return terms


def _search(**params) -> str:
    items = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        items.extend((name, item) for item in values if item not in (None, ""))
    return f"{SEARCH}?{urlencode(items)}" if items else SEARCH


def build_mix(*, size: int = 400, seed: int = 13) -> list[Request]:
    """``size`` distinct requests in a seeded random order, built from the current database:
    the same data and seed give the same mix."""
    rng = random.Random(seed)  # noqa: S311 (a benchmark's sample, not a secret)
    terms = collect_terms(rng)
    texts = terms.all()
    broad = terms.common or texts
    public = Course.objects.public()
    slugs = list(public.order_by("pk").values_list("slug", flat=True))
    places = sorted(
        set(
            CourseDate.objects.filter(course__in=public.values("pk"))
            .exclude(venue__postal_code="")
            .exclude(venue__isnull=True)
            .values_list("venue__postal_code", flat=True)
        )
    )
    known = vocabulary()
    subjects = sorted(known.subjects)
    funding = sorted(known.funding)

    def a_filter() -> dict:
        choice = rng.randrange(7)
        if choice == 0 or not subjects:
            return {"mode": "online"}
        if choice == 1:
            return {"weekday": rng.choice(WEEKDAYS)}
        if choice == 2:
            return {"time": rng.choice(TIMES)}
        if choice == 3:
            return {"free": 1}
        if choice == 4 and funding:
            return {"funding": rng.choice(funding)}
        return {"subject": rng.choice(subjects)}

    def filters(count: int) -> dict:
        chosen: dict = {}
        for _ in range(count):
            chosen.update(a_filter())
        return chosen

    makers = {
        "text": lambda: {"q": rng.choice(texts)},
        "place": lambda: (
            {
                "q": rng.choice(texts),
                "place": rng.choice(places),
                "radius": rng.choice(RADII),
            }
            if places
            else None
        ),
        "filters": lambda: filters(rng.choice((1, 1, 2, 3))),
        "facets": lambda: {"q": rng.choice(broad), **filters(rng.choice((1, 2, 3)))},
        "pages": lambda: {
            **rng.choice(({}, {"q": rng.choice(broad)}, filters(1))),
            "page": rng.choice(PAGES),
        },
        "sort": lambda: {"q": rng.choice(texts), "sort": rng.choice(SORTS)},
    }
    quotas = {kind: int(size * share) for kind, share in KINDS.items()}
    quotas["text"] += size - sum(quotas.values())
    # Every text term once first, so that the mix holds as many of them as it can.
    unused = list(texts)
    rng.shuffle(unused)
    mix: list[Request] = []
    seen: set[str] = set()

    def add(kind: str, path: str, term: str = "") -> bool:
        if path in seen:
            return False
        seen.add(path)
        mix.append(Request(kind, path, term))
        return True

    for kind, quota in quotas.items():
        made = attempts = 0
        if kind == "course":
            for slug in rng.sample(slugs, min(quota, len(slugs))):
                made += add(kind, f"{SEARCH}{slug}/")
            quotas["text"] += quota - made  # a small catalogue: more searches instead
            continue
        while made < quota and attempts < quota * 50:
            attempts += 1
            params = makers[kind]()
            if params is None:
                break
            if "q" in params and unused and kind in ("text", "place", "sort"):
                params["q"] = unused.pop()
            made += add(kind, _search(**params), params.get("q", ""))
        if made < quota and kind != "text":
            quotas["text"] += quota - made
    rng.shuffle(mix)
    return mix


def summarise(mix: list[Request]) -> dict:
    """Requests per kind, distinct addresses and distinct text terms."""
    return {
        "kinds": dict(Counter(request.kind for request in mix)),
        "requests": len(mix),
        "distinct": len({request.path for request in mix}),
        "terms": len({request.term.casefold() for request in mix if request.term}),
    }


# wrk ----------------------------------------------------------------------------------------


class WrkMissing(Exception):
    """wrk is not installed."""


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(
            "wrk ist nicht installiert. Installieren mit\n\n    sudo apt-get install wrk\n"
        )
    return found


def _lua_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def lua_script(paths: list[str]) -> str:
    """A wrk script whose every request is the next address of ``paths`` (wrk's one thread
    shares the counter between its connections), with the server's host name."""
    if not paths:
        raise ValueError("no paths")
    lines = ",\n".join(f"  {_lua_string(path)}" for path in paths)
    return (
        "-- benchmark_load: the mix, one address after the other\n"
        f"local paths = {{\n{lines}\n}}\n"
        "local next_path = 0\n"
        f'wrk.headers["Host"] = {_lua_string(HOST)}\n'
        "request = function()\n"
        "  next_path = next_path % #paths + 1\n"
        '  return wrk.format("GET", paths[next_path])\n'
        "end\n"
    )


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    per_second: float = 0.0
    latency_ms: dict[int, float] = field(default_factory=dict)  # percent -> ms
    max_ms: float | None = None
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    output: str = ""

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    """wrk's report (run with ``--latency``)."""
    result = WrkResult(output=output)
    if found := re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.M):
        result.requests = int(found[1])
        result.seconds = _ms(found[2] + found[3]) / 1000
    if found := re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M):
        result.per_second = float(found[1])
    if found := re.search(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)", output, re.M):
        result.max_ms = _ms(found[1])
    distribution = output.split("Latency Distribution", 1)
    if len(distribution) == 2:
        for percent, value in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", distribution[1], re.M):
            result.latency_ms[int(percent)] = _ms(value)
    if found := re.search(r"Socket errors: (.+)$", output, re.M):
        result.socket_errors = {
            name: int(count) for name, count in re.findall(r"(\w+) (\d+)", found[1])
        }
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result.non_2xx_3xx = int(found[1])
    return result


def add_server_arguments(parser, *, requests_help: str) -> None:
    """The options of the commands that load the production server with the mix
    (``benchmark_load``, ``benchmark_soak``): workers, the mix's size and seed, the timeout."""
    parser.add_argument("--workers", type=int, default=2, help="gunicorn-Worker")
    parser.add_argument("--requests", type=int, default=400, help=requests_help)
    parser.add_argument("--seed", type=int, default=13, help="Zufallsstartwert der Mischung")
    parser.add_argument(
        "--timeout", type=float, default=30, help="s je Anfrage (auch statement_timeout)"
    )


def warm(server, paths: list[str], *, timeout: float, wait: float = 60) -> str:
    """Each worker's first search builds its search index: /kurse/ until every worker has
    answered one (for ``wait`` seconds at most), then every path once, in order. What it did,
    as the commands report it."""
    answered, deadline = set(), time.monotonic() + wait
    while len(answered) < server.workers and time.monotonic() < deadline:
        fetch(server.port, SEARCH, timeout=timeout)
        answered.add(server.served_by())
    statuses: Counter[str] = Counter()
    started = time.monotonic()
    for path in paths:
        statuses[str(fetch(server.port, path, timeout=timeout).status)] += 1
    counts = " ".join(f"{status}×{n}" for status, n in sorted(statuses.items()))
    return (
        f"Aufgewärmt: {len(answered - {None})} Worker, die Mischung einmal der Reihe nach "
        f"in {time.monotonic() - started:.1f} s ({counts})."
    )


def run_wrk(
    port: int,
    *,
    path: str = ROBOTS,
    script: Path | None = None,
    duration: int,
    connections: int,
    timeout: float = 10,
) -> WrkResult:
    """wrk with one thread and ``connections`` connections for ``duration`` seconds."""
    command = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={int(timeout)}s",
        "--latency",
        "-H",
        f"Host: {HOST}",
    ]
    if script is not None:
        command += ["-s", str(script)]
    # With a script, the script names the addresses.
    command.append(f"http://127.0.0.1:{port}{'/' if script else path}")
    finished = subprocess.run(  # noqa: S603 (wrk, found on PATH)
        command, capture_output=True, text=True, check=False, timeout=duration + timeout + 30
    )
    if finished.returncode != 0:
        raise RuntimeError(f"wrk: {finished.stderr.strip() or finished.stdout.strip()}")
    return parse_wrk(finished.stdout)


# Requests with their body ------------------------------------------------------------------


def get_text(port: int, path: str, *, timeout: float = 10) -> tuple[int | str, str]:
    """GET ``path``: the status and the body as text ("error" on a failed connection)."""
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection_.request("GET", path, headers={"Host": HOST, "User-Agent": "benchmark_load"})
        response = connection_.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException):
        return "error", ""
    finally:
        connection_.close()


# Writes during the load ---------------------------------------------------------------------


def benchmark_user():
    """A superuser to write as: the first one, else ``benchmark-load`` (made without a usable
    password)."""
    users = get_user_model().objects
    user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        user = users.filter(username=USERNAME).first() or users.create_user(USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_unusable_password()
        user.save()
    return user


def made_up_word(rng: random.Random) -> str:
    """A word no course holds, that the search finds as typed."""
    return "lastprobe" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


def save_course(*, course_id: int, user, word: str = "", note: str = "") -> list[CourseChange]:
    """One save through the write path: a note on the price (``note``, else the time; a minor
    change, live at once); with ``word``, the word in the summary too (a course whose major
    changes go live without review). Returns the change log's new entries."""
    course = Course.objects.get(pk=course_id)
    with course_edit(course=course, user=user) as edit:
        course = Course.objects.get(pk=course_id)
        course.price_notes = note or f"Lastprobe {time.strftime('%H:%M:%S')}"
        fields = ["price_notes", "updated_at"]
        if word:
            course.summary = f"{course.summary[: 590 - len(word)]} {word}".strip()
            fields.append("summary")
        course.save(update_fields=fields)
    return edit.entries


def restore_course(*, course_id: int, user, original: dict) -> None:
    """Put back what :func:`save_course` changed (through the write path as well)."""
    with course_edit(course=Course.objects.get(pk=course_id), user=user):
        Course.objects.filter(pk=course_id).update(**original)


def writable_courses(rng: random.Random, *, limit: int = 200) -> list[tuple[int, str, bool]]:
    """A sample of public courses as (id, slug, whether a change of its summary goes live)."""
    ids = list(Course.objects.public().order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(ids, min(limit, len(ids)))
    courses = []
    for course in Course.objects.filter(pk__in=chosen).order_by("pk"):
        courses.append((course.pk, course.slug, not content_change_needs_review(course)))
    rng.shuffle(courses)
    return courses


class Writer:
    """Saves ``per_second`` courses per second through ``course_edit`` in a thread of this
    process; where the summary changed, a second thread asks the server for the new word
    every ``poll`` seconds until the course is found and records the seconds since the save
    (these searches find nothing at first, which costs the server more than most of the mix:
    a longer interval weighs less on the throughput and measures less precisely)."""

    def __init__(
        self,
        *,
        port: int,
        per_second: float,
        seed: int = 13,
        poll: float = 0.5,
        visible_timeout: float = 30.0,
        courses: list[tuple[int, str, bool]] | None = None,
    ):
        self.port = port
        self.interval = 1 / per_second
        self.poll = poll
        self.visible_timeout = visible_timeout
        self.rng = random.Random(seed)  # noqa: S311
        self.user = benchmark_user()
        self.courses = writable_courses(self.rng) if courses is None else courses
        self.originals: dict[int, dict] = {}
        # What each course was last saved with, once the save returned (committed): the
        # price note and the word put into its summary ("" for none).
        self.acknowledged: dict[int, tuple[str, str]] = {}
        self.writes = 0
        self.failures: list[str] = []
        self.visible: list[float] = []
        self.not_found: list[str] = []
        self.polls = 0  # the searches for the new words: load on the server beside wrk's
        self._stop = threading.Event()
        self._pending: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._write_loop, daemon=True),
            threading.Thread(target=self._poll_loop, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._threads[0].join()
        # The last changes may still be on their way into the search.
        deadline = time.monotonic() + self.visible_timeout
        while self._pending and time.monotonic() < deadline:
            time.sleep(self.poll)
        self._threads[1].join(timeout=self.poll * 5)

    @staticmethod
    def original(course_id: int) -> dict:
        """What :func:`save_course` changes, as it was."""
        return dict(Course.objects.filter(pk=course_id).values("summary", "price_notes")[0])

    save = staticmethod(save_course)

    def _write_loop(self) -> None:
        try:
            started = time.monotonic()
            number = 0
            while self.courses and not self._stop.is_set():
                course_id, slug, live = self.courses[number % len(self.courses)]
                number += 1
                word = made_up_word(self.rng) if live else ""
                note = f"Lastprobe {number}"
                try:
                    if course_id not in self.originals:
                        self.originals[course_id] = self.original(course_id)
                    self.save(course_id=course_id, user=self.user, word=word, note=note)
                except Exception as error:  # noqa: BLE001 (reported, the load goes on)
                    self.failures.append(f"{slug}: {error}")
                else:
                    self.writes += 1
                    self.acknowledged[course_id] = (note, word)
                    if word:
                        with self._lock:
                            self._pending.append((word, slug, time.monotonic()))
                self._stop.wait(max(0.0, started + number * self.interval - time.monotonic()))
        finally:
            connection.close()

    def _poll_loop(self) -> None:
        while not (self._stop.is_set() and not self._pending):
            with self._lock:
                pending = list(self._pending)
            for entry in pending:
                word, slug, saved = entry
                status, body = get_text(self.port, _search(q=word))
                self.polls += 1
                waited = time.monotonic() - saved
                found = status == 200 and f"{SEARCH}{slug}/" in body
                if found or waited > self.visible_timeout:
                    with self._lock:
                        self._pending.remove(entry)
                    if found:
                        self.visible.append(waited)
                    else:
                        self.not_found.append(slug)
            time.sleep(self.poll)

    def restore(self) -> int:
        """Put every course written back as it was; the number of courses put back (one that
        fails, deleted meanwhile say, is named among the failures)."""
        restored = 0
        for course_id, original in self.originals.items():
            try:
                restore_course(course_id=course_id, user=self.user, original=original)
            except Exception as error:  # noqa: BLE001 (the others are still put back)
                self.failures.append(f"{course_id} nicht zurückgesetzt: {error}")
            else:
                restored += 1
        return restored

    def visible_summary(self) -> tuple[float, float] | None:
        """Seconds from the save until the search found the change: median and maximum."""
        if not self.visible:
            return None
        return statistics.median(self.visible), max(self.visible)
