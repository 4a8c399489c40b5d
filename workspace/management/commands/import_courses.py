"""Import courses from a CSV or XLSX file for one organisation (the workspace's import, from a
shell): ``manage.py import_courses FILE --organisation SLUG [--dry-run] [--user NAME]``."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from network.models import Organisation
from workspace.services.course_import import PHASES, course_import


class Command(BaseCommand):
    help = (
        "Importiert Angebote aus einer CSV- oder Excel-Datei (.xlsx) nach der Vorlage für eine "
        "Organisation: alles oder nichts; mit --dry-run nur prüfen."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--organisation", required=True, help="Kurzadresse der Organisation")
        parser.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts speichern")
        parser.add_argument(
            "--user",
            help="in wessen Namen (Rechte und Änderungsprotokoll); ohne: ein Superuser",
        )

    def handle(self, *args, file, organisation, dry_run, user, **options):
        User = get_user_model()
        if user:
            account = User.objects.filter(username=user, is_active=True).first()
        else:
            account = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if account is None:
            raise CommandError("Kein solcher aktiver Benutzer (bitte --user NAME angeben).")
        found = Organisation.objects.filter(slug=organisation).first()
        if found is None:
            raise CommandError(f"Die Organisation „{organisation}“ gibt es nicht.")
        started = time.monotonic()
        try:
            with open(file, "rb") as binary:
                report = course_import(
                    user=account,
                    organisation=found,
                    binary=binary,
                    dry_run=dry_run,
                    max_bytes=settings.IMPORT_MAX_UPLOAD_MB * 1_048_576,
                    progress=_Bar(sys.stderr) if sys.stderr.isatty() else None,
                    filename=str(file).rsplit("/", 1)[-1],
                )
        except OSError as error:
            raise CommandError(f"Die Datei kann nicht gelesen werden: {error}") from error
        except Organisation.DoesNotExist as error:
            raise CommandError(
                f"{account.username} darf für „{organisation}“ nicht importieren."
            ) from error
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        seconds = time.monotonic() - started
        if report.file_error:
            raise CommandError(report.file_error)
        for error in report.errors:
            self.stderr.write(f"{error.source}, Spalte „{error.column}“: {error.message}")
        if report.error_count > len(report.errors):
            self.stderr.write(f"… und {report.error_count - len(report.errors)} weitere Fehler.")
        summary = (
            f"{report.rows} Zeilen: {len(report.created)} neu, {len(report.updated)} geändert "
            f"(davon {len(report.kept_for_review)} zur Prüfung), {len(report.unchanged)} "
            f"unverändert, {len(report.archived)} archiviert ({seconds:.1f} s)."
        )
        if report.error_count:
            raise CommandError(f"{report.error_count} Fehler, nichts gespeichert. {summary}")
        verb = "Probelauf, nichts gespeichert" if dry_run else "Gespeichert"
        self.stdout.write(f"{verb}: {summary}")


class _Bar:
    """A one-line progress indicator on a terminal: the phase and its share done."""

    def __init__(self, stream):
        self.stream = stream
        self.last = ""

    def __call__(self, phase: str, fraction: float) -> None:
        width = 30
        filled = int(width * max(0.0, min(1.0, fraction)))
        line = f"\r{PHASES.get(phase, phase):<12} [{'#' * filled}{'.' * (width - filled)}]"
        line += f" {fraction:4.0%}"
        if line != self.last:
            self.stream.write(line)
            self.stream.flush()
            self.last = line
