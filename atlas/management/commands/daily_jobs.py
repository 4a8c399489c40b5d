"""The portal's scheduled jobs (atlas/schedule.py lists them): ``daily_jobs`` runs each now,
``--due`` those whose time has come and that have not run since, ``--loop`` is the scheduler
(``make run``, ``make serve``, deploy/systemd) and ``--list`` prints the schedule."""

import os
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection
from django.utils import timezone

from atlas import schedule

POLL_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Erledigt die geplanten Aufgaben (atlas/schedule.py, Liste mit --list): "
        "Terminübersichten der Suche erneuern, Vokabular für „Meinten Sie …?“ neu aufbauen, "
        "alte Rückmeldungen und Importdateien löschen. Jede Aufgabe läuft höchstens einmal "
        "gleichzeitig, auch wenn mehrere Prozesse sie anstoßen."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--loop",
            action="store_true",
            help="Der Planer: jetzt ausführen, was fällig ist, und danach jede Aufgabe zu ihrer "
            "Zeit (für make run, make serve und systemd); endet mit dem Prozess, der ihn "
            "gestartet hat.",
        )
        mode.add_argument(
            "--due",
            action="store_true",
            help="Nur ausführen, was fällig ist und seit seiner Zeit noch nicht lief (für einen "
            "Timer, der alle paar Minuten startet).",
        )
        mode.add_argument(
            "--list",
            action="store_true",
            dest="show",
            help="Die Aufgaben mit Zeit und letztem Lauf zeigen.",
        )

    def handle(self, *args, loop=False, due=False, show=False, **options):
        if show:
            self.print_schedule()
            return
        if not loop:
            self.report(schedule.run_all(only_if_due=due), options["verbosity"])
            return
        parent = os.getppid()
        while os.getppid() == parent:  # the starting process has ended: so do we
            try:
                schedule.run_all(only_if_due=True)  # logged by atlas.schedule
            except DatabaseError as error:  # the database is away: try again at the next poll
                schedule.logger.warning("Planer: Datenbank nicht erreichbar (%s)", error)
            connection.close()  # no idle connection held between runs
            time.sleep(POLL_SECONDS)

    def report(self, outcomes, verbosity) -> None:
        if not verbosity:
            return
        for outcome in outcomes:
            line = f"{outcome.job.description}: {outcome.result}"
            self.stdout.write(line if outcome.ran else self.style.WARNING(line))

    def print_schedule(self) -> None:
        runs = schedule.last_runs()
        now = timezone.now()
        for job in schedule.SCHEDULE:
            run = runs.get(job.name)
            if run is None or run.started_at is None:
                last = "noch nie gelaufen"
            else:
                started = timezone.localtime(run.started_at).strftime("%d.%m.%Y %H:%M")
                state = run.result or ("läuft" if run.finished_at is None else "")
                last = f"zuletzt {started}: {state}"
            if schedule.is_due(job, run, now):
                following = "fällig"
            else:
                following = timezone.localtime(job.next_run(now)).strftime("%d.%m.%Y %H:%M")
            self.stdout.write(
                f"{job.name}: täglich {job.at:%H:%M} Uhr — {job.description}\n"
                f"    {last}; nächster Lauf: {following}"
            )
