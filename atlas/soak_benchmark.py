"""Load and soak (``manage.py benchmark_soak``): many connections over the public pages and
searches, the workers' resident memory sampled every second, and a long run while courses
are saved and imported beside it, after which every acknowledged write must be in the
database.

- :func:`page_paths`: real paths of every public page pattern (``atlas.url_catalogue``, as the
  page checks and ``benchmark_pages`` take them), without the exports of a search (a download
  of up to 10,000 courses each: they are measured by ``benchmark_pages``).
- :class:`MemorySampler`: each gunicorn worker's resident memory (VmRSS) once a second.
- :class:`Importer`: imports the same few courses for a benchmark provider again and again,
  each time with new prices, through the import service (``course_import``), and remembers
  what each import that returned without error wrote.
- :func:`lost_writes`: what an acknowledged save or import wrote and the database no longer
  holds.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from atlas.load_benchmark import Writer
from atlas.url_catalogue import NoPaths, concrete_paths, page_patterns
from measures.course_files.samples import sample_price, sample_rows
from measures.course_files.writers import csv_lines
from measures.models import Course
from network.models import Organisation, Venue
from workspace.models import CourseChange, RoleAssignment
from workspace.services.course_import import course_import

SOAK_SLUG = "benchmark-soak"
KEY_PREFIX = "SOAK"
# Downloads that stream a whole search's courses: not what many visitors request at once.
SKIPPED = ("measures:export_",)


def page_paths() -> list[str]:
    """A few real paths of every public page pattern."""
    paths: list[str] = []
    for pattern in page_patterns():
        if pattern.name and pattern.name.startswith(SKIPPED):
            continue
        try:
            paths.extend(concrete_paths(pattern))
        except NoPaths:
            continue  # the page checks name it; the load goes on without
    return list(dict.fromkeys(paths))


# Memory ---------------------------------------------------------------------------------------


def resident_kb(pid: int) -> int | None:
    """A process's resident memory (VmRSS) in kB; None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Growth:
    pid: int
    early_kb: int  # at the first sample from ``since`` seconds on
    late_kb: int  # at the last sample

    @property
    def percent(self) -> float:
        return (self.late_kb / self.early_kb - 1) * 100 if self.early_kb else 0.0


class MemorySampler:
    """Samples the resident memory of ``pids()`` (called each time: workers may be replaced)
    every ``interval`` seconds in a thread, from :meth:`start` to :meth:`stop`."""

    def __init__(self, pids, *, interval: float = 1.0):
        self.pids = pids
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> None:
        memory = {pid: kb for pid in self.pids() if (kb := resident_kb(pid)) is not None}
        self.samples.append((time.monotonic() - self._started, memory))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def growth(self, since: float = 2.0) -> list[Growth]:
        """Per worker that lived through the run: its memory at the first sample from
        ``since`` seconds on and at the last."""
        later = [memory for seconds, memory in self.samples if seconds >= since]
        if not later:
            return []
        first, last = later[0], later[-1]
        return [Growth(pid, first[pid], last[pid]) for pid in sorted(first) if pid in last]

    def replaced(self) -> set[int]:
        """Workers that ended during the run (restarted by gunicorn, or killed)."""
        if not self.samples:
            return set()
        seen = set().union(*(memory.keys() for _seconds, memory in self.samples))
        return seen - set(self.samples[-1][1])


# Imports beside the load ----------------------------------------------------------------------


@dataclass
class Importer:
    """Every ``interval`` seconds, imports ``courses`` courses (two dates each) for the
    benchmark provider through ``course_import``, each round with prices raised by the round's
    number; what an import that returned without error wrote is ``acknowledged`` (the
    external id → the price in euros)."""

    courses: int = 20
    interval: float = 20.0
    rounds: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def __post_init__(self):
        self.organisation, self.user = soak_provider()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def run_once(self) -> None:
        self.rounds += 1
        raise_by = self.rounds
        rows = sample_rows(self.courses, 2, prefix=KEY_PREFIX, title="Dauerlauf", raise_by=raise_by)
        binary = io.BytesIO("".join(csv_lines(rows)).encode("utf-8"))
        started = time.monotonic()
        try:
            report = course_import(
                user=self.user,
                organisation=self.organisation,
                binary=binary,
                dry_run=False,
                filename="dauerlauf.csv",
            )
        except Exception as error:  # noqa: BLE001 (reported, the soak goes on)
            self.failures.append(f"Runde {self.rounds}: {error}")
            return
        if report.file_error or report.error_count:
            first = report.errors[0].message if report.errors else report.file_error
            self.failures.append(f"Runde {self.rounds}: {report.error_count} Fehler ({first})")
            return
        self.seconds.append(time.monotonic() - started)
        for number in range(1, self.courses + 1):
            self.acknowledged[f"{KEY_PREFIX}-{number}"] = sample_price(number, raise_by)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                self.run_once()
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            connection.close()


def soak_provider():
    """The benchmark provider the imports write for, and its staff account (made once)."""
    organisation, _created = Organisation.objects.get_or_create(
        slug=SOAK_SLUG, defaults={"name": "Benchmark-Akademie (Dauerlauf)", "is_provider": True}
    )
    user, created = get_user_model().objects.get_or_create(
        username=SOAK_SLUG, defaults={"is_staff": True, "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
    RoleAssignment.objects.get_or_create(
        user=user, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=organisation
    )
    return organisation, user


def remove_soak_provider() -> None:
    """The benchmark provider with its courses, venues, account and their change log."""
    organisation = Organisation.objects.filter(slug=SOAK_SLUG).first()
    with transaction.atomic():
        if organisation is not None:
            ids = list(Course.objects.filter(provider=organisation).values_list("pk", flat=True))
            CourseChange.objects.filter(course_id__in=ids).delete()
            Course.objects.filter(pk__in=ids).delete()
            Venue.objects.filter(organisation=organisation).delete()
            RoleAssignment.objects.filter(organisation=organisation).delete()
            organisation.delete()
        get_user_model().objects.filter(username=SOAK_SLUG).delete()


# Nothing lost ---------------------------------------------------------------------------------


def lost_writes(writer: Writer | None, importer: Importer | None) -> list[str]:
    """Every acknowledged write the database does not hold as written."""
    lost = []
    if writer is not None:
        saved = Course.objects.in_bulk(list(writer.acknowledged))
        for course_id, (note, word) in writer.acknowledged.items():
            course = saved.get(course_id)
            if course is None:
                lost.append(f"Kurs {course_id}: gelöscht")
            elif course.price_notes != note:
                lost.append(f"Kurs {course_id}: Preishinweis {course.price_notes!r} statt {note!r}")
            elif word and word not in course.summary:
                lost.append(f"Kurs {course_id}: „{word}“ fehlt in der Kurzbeschreibung")
    if importer is not None and importer.acknowledged:
        prices = dict(
            Course.objects.filter(
                provider=importer.organisation, external_id__in=list(importer.acknowledged)
            ).values_list("external_id", "price")
        )
        for key, price in importer.acknowledged.items():
            if key not in prices:
                lost.append(f"Import {key}: fehlt")
            elif prices[key] != Decimal(price):
                lost.append(f"Import {key}: Preis {prices[key]} statt {price}")
    return lost
