"""Time the course import at scale: a file of 15,000 courses with 60,000 dates (four rows each)
for a benchmark provider — CSV, or openQ-cat (``--format openqcat``, written by the export's
writer) — imported, imported again (nothing changes), then an update (the same courses with a
new price and summary; ``--changed-share`` of them) imported and imported again, with each
phase's seconds and the peak memory of the process. The provider, its venue, courses and
account are removed afterwards (``--keep`` keeps them)."""

from __future__ import annotations

import resource
import tempfile
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from measures.course_files.openqcat import openqcat_bytes
from measures.course_files.samples import sample_rows
from measures.course_files.writers import csv_lines
from measures.models import Course
from network.models import Organisation, Venue
from workspace.models import CourseChange, RoleAssignment
from workspace.services.course_import import course_import

SLUG = "benchmark-import"


class Command(BaseCommand):
    help = (
        "Misst den Import: 15.000 Angebote mit 60.000 Terminen als CSV oder openQ-cat, Import, "
        "Re-Import, Aktualisierung (neuer Preis und Kurzbeschreibung) und deren Re-Import."
    )

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=15_000)
        parser.add_argument("--dates", type=int, default=4, help="Termine je Angebot")
        parser.add_argument("--keep", action="store_true", help="die Daten danach behalten")
        parser.add_argument(
            "--format", dest="file_format", choices=["csv", "openqcat"], default="csv"
        )
        parser.add_argument(
            "--changed-share",
            type=float,
            default=1.0,
            help="Anteil der Angebote, die die Aktualisierung ändert (0 bis 1)",
        )

    def handle(self, *args, courses, dates, keep, file_format, changed_share, **options):
        from django.contrib.auth import get_user_model

        _remove()
        organisation = Organisation.objects.create(
            name="Benchmark-Akademie (Import)", slug=SLUG, is_provider=True
        )
        user, _created = get_user_model().objects.get_or_create(
            username=SLUG, defaults={"is_staff": True, "is_active": True}
        )
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(
            user=user, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=organisation
        )
        per_mille = round(1000 * max(0.0, min(1.0, changed_share)))
        files = {
            "Import": sample_rows(courses, dates),
            "Aktualisierung": sample_rows(
                courses,
                dates,
                raise_by=5,
                summary="Ein geändertes Angebot für die Messung des Imports.",
                changed=lambda number: number * 7919 % 1000 < per_mille,
            ),
        }
        try:
            for name, rows in files.items():
                with tempfile.NamedTemporaryFile(suffix=f".{file_format}") as file:
                    self._write(file, rows, file_format=file_format, courses=courses, dates=dates)
                    for label in (name, f"Re-Import ({name})"):
                        self._import(label, file, user=user, organisation=organisation)
        finally:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(f"Spitzenspeicher des Prozesses (RSS): {peak:.0f} MB")
            if not keep:
                _remove()

    def _write(self, file, rows, *, file_format, courses, dates) -> None:
        started = time.monotonic()
        if file_format == "openqcat":
            file.write(
                openqcat_bytes(rows, supplier=SLUG, supplier_name="Benchmark-Akademie (Import)")
            )
        else:
            for line in csv_lines(rows):
                file.write(line.encode("utf-8"))
        file.flush()
        size = file.tell()
        self.stdout.write(
            f"{file_format}: {courses} Angebote, {courses * dates} Termine, "
            f"{size / 1_048_576:.1f} MB ({time.monotonic() - started:.1f} s)"
        )

    def _import(self, label, file, *, user, organisation) -> None:
        file.seek(0)
        started = time.monotonic()
        phases = _Phases(started)
        report = course_import(
            user=user, organisation=organisation, binary=file, dry_run=False, progress=phases
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{label}: {seconds:.1f} s ({phases})  — {len(report.created)} neu, "
            f"{len(report.updated)} geändert, {len(report.unchanged)} unverändert, "
            f"{report.error_count} Fehler {report.file_error}"
        )


class _Phases:
    """The seconds each phase of an import took (the progress callback's phases)."""

    def __init__(self, started):
        self.last, self.phase, self.seconds = started, "read", {}

    def __call__(self, phase, fraction):
        if phase != self.phase or (phase == "search" and fraction >= 1.0):
            now = time.monotonic()
            self.seconds[self.phase] = self.seconds.get(self.phase, 0) + now - self.last
            self.last, self.phase = (
                now,
                "commit" if phase == "search" and fraction >= 1.0 else phase,
            )

    def __str__(self):
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())


def _remove() -> None:
    organisation = Organisation.objects.filter(slug=SLUG).first()
    if organisation is None:
        return
    with transaction.atomic():
        ids = list(Course.objects.filter(provider=organisation).values_list("pk", flat=True))
        CourseChange.objects.filter(course_id__in=ids).delete()
        Course.objects.filter(pk__in=ids).delete()
        Venue.objects.filter(organisation=organisation).delete()
        RoleAssignment.objects.filter(organisation=organisation).delete()
        organisation.delete()
