"""The portal's daily jobs, in one place: run them once a day after midnight (cron or a timer,
see the README), or with ``--loop`` keep running and do them at start and every night."""

import os
import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from measures.export_jobs import export_jobs_delete_expired
from measures.search import refresh_search_words, refresh_stale_summaries
from pages.services import feedback_delete_old
from workspace.services.course_import import course_imports_delete_old

# (what it does, the function; each returns how many rows it changed or None)
JOBS = [
    ("Terminübersichten der Suche erneuert", refresh_stale_summaries),
    ("Vokabular für „Meinten Sie …?“ neu aufgebaut", refresh_search_words),
    ("alte Rückmeldungen zur Barrierefreiheit gelöscht", feedback_delete_old),
    ("hochgeladene Importdateien älter als 30 Tage gelöscht", course_imports_delete_old),
    ("abgelaufene Exporte im Hintergrund gelöscht", export_jobs_delete_expired),
]
RUN_AT = (0, 5)  # hour and minute, local time: just after the day's first dates have ended
POLL_SECONDS = 60


def run_jobs(stdout=None) -> None:
    for label, job in JOBS:
        count = job()
        if stdout is not None:
            stdout.write(f"{label}: {count if count is not None else 'erledigt'}")


def _next_run(now: datetime) -> datetime:
    hour, minute = RUN_AT
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Erledigt die täglichen Aufgaben: Terminübersichten der Suche erneuern, Vokabular für "
        "„Meinten Sie …?“ neu aufbauen, alte Rückmeldungen löschen."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Jetzt und danach jede Nacht um 0:05 Uhr ausführen (für make run); endet mit "
            "dem Prozess, der es gestartet hat.",
        )

    def handle(self, *args, loop=False, **options):
        out = self.stdout if options["verbosity"] else None
        run_jobs(out)
        if not loop:
            return
        parent = os.getppid()
        due = _next_run(timezone.localtime())
        while os.getppid() == parent:  # the starting process has ended: so do we
            if timezone.localtime() >= due:
                run_jobs(out)
                due = _next_run(timezone.localtime())
            connection.close()  # no idle connection held between runs
            time.sleep(POLL_SECONDS)
