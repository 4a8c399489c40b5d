"""The course search under load: wrk against the production server (gunicorn, ``DEBUG=false``)
with a mix of distinct, realistic requests built from the current database (free text common
and rare, place and radius, filters, facets, result pages, sort orders, course pages), reported
as a share of a trivial response (``/robots.txt`` through the whole middleware stack) measured
in the same run::

    manage.py benchmark_load --duration 20 --connections 8
    manage.py benchmark_load --writes-per-second 1

With ``--writes-per-second`` the mix runs a second time while a thread of this process saves
courses through the write path (``course_edit``): the report gives the drop in throughput and
how many seconds a change took until the search found it. The courses written are put back
afterwards. It exits 0 once the server has started: it measures, it does not judge.
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atlas.load_benchmark import (
    ROBOTS,
    Writer,
    WrkMissing,
    add_server_arguments,
    build_mix,
    lua_script,
    run_wrk,
    summarise,
    warm,
    wrk_path,
)
from atlas.page_benchmark import ProductionServer, ServerFailed
from measures.models import Course


class Command(BaseCommand):
    help = (
        "Misst den Durchsatz der Kurssuche unter Last: wrk gegen den Produktionsserver "
        "(gunicorn, DEBUG aus) mit einer Mischung verschiedener realistischer Suchen und "
        "Kursseiten, als Anteil an /robots.txt im selben Lauf; mit --writes-per-second ein "
        "zweites Mal, während Kurse gespeichert werden."
    )

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=20, help="s je wrk-Lauf")
        parser.add_argument("--connections", type=int, default=8, help="gleichzeitige Verbindungen")
        parser.add_argument(
            "--writes-per-second",
            type=float,
            default=0,
            help="gespeicherte Kurse je Sekunde im zweiten Lauf (0: kein zweiter Lauf)",
        )
        add_server_arguments(parser, requests_help="verschiedene Adressen in der Mischung")

    def handle(self, *args, duration, connections, workers, writes_per_second, **options):
        if duration < 1 or connections < 1 or workers < 1 or writes_per_second < 0:
            raise CommandError(
                "--duration, --connections und --workers müssen > 0 sein, --writes-per-second ≥ 0."
            )
        try:
            wrk_path()
        except WrkMissing as error:
            raise CommandError(str(error)) from error
        mix = build_mix(size=options["requests"], seed=options["seed"])
        if not mix:
            raise CommandError("Keine öffentlichen Kurse: nichts zu messen.")
        self.describe(mix)
        timeout = options["timeout"]
        server = ProductionServer(base_dir=settings.BASE_DIR, workers=workers, timeout=timeout)
        self.stdout.write(f"Starte gunicorn ({workers} Worker, DEBUG aus) …")
        runs = {}
        writer = None
        with tempfile.TemporaryDirectory(prefix="benchmark_load-") as directory:
            script = Path(directory) / "mix.lua"
            script.write_text(lua_script([request.path for request in mix]))
            try:
                try:
                    server.start()
                except ServerFailed as error:
                    raise CommandError(f"Der Server ist nicht gestartet: {error}") from error
                self.stdout.write(f"… auf Port {server.port}.")
                self.stdout.write(warm(server, [r.path for r in mix], timeout=timeout))
                load = {"duration": duration, "connections": connections, "timeout": timeout}
                self.stdout.write(f"wrk {ROBOTS} ({duration} s, {connections} Verbindungen) …")
                runs["robots"] = run_wrk(server.port, path=ROBOTS, **load)
                self.stdout.write("wrk Mischung …")
                runs["mix"] = run_wrk(server.port, script=script, **load)
                if writes_per_second:
                    writer = Writer(port=server.port, per_second=writes_per_second)
                    self.stdout.write(
                        f"wrk Mischung, {writes_per_second:g} Kurs(e) je Sekunde gespeichert "
                        f"(als {writer.user.get_username()}) …"
                    )
                    writer.start()
                    try:
                        runs["writes"] = run_wrk(server.port, script=script, **load)
                    finally:
                        writer.stop()
            finally:
                server.stop()
                if writer is not None:
                    restored = writer.restore()
                    self.stdout.write(f"{restored} geänderte Kurse zurückgesetzt.")
        self.report(runs, writer=writer, workers=workers, connections=connections)

    def describe(self, mix) -> None:
        summary = summarise(mix)
        kinds = ", ".join(f"{kind} {count}" for kind, count in summary["kinds"].items())
        self.stdout.write(
            f"Katalog: {Course.objects.public().count()} öffentliche Kurse. Mischung: "
            f"{summary['requests']} Anfragen, {summary['distinct']} verschiedene Adressen, "
            f"{summary['terms']} verschiedene Suchbegriffe ({kinds})."
        )

    def report(self, runs, *, writer, workers, connections) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.stdout.write(
            f"\n{now}, {workers} Worker, {connections} Verbindungen. ms je Anfrage; Fehler = "
            f"Socket-Fehler (connect, read, write, timeout); nicht 2xx/3xx = Antworten mit "
            f"einem anderen Status.\n"
        )
        self.stdout.write(
            f"{'':<22}{'Anfr./s':>9}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}"
            f"{'Anfragen':>10}{'Fehler':>8}{'nicht 2xx/3xx':>15}"
        )
        labels = {
            "robots": ROBOTS,
            "mix": "Mischung",
            "writes": "Mischung + Schreiben",
        }
        for key, result in runs.items():

            def ms(percent, result=result):
                value = result.latency_ms.get(percent)
                return "–" if value is None else f"{value:.1f}"

            maximum = "–" if result.max_ms is None else f"{result.max_ms:.1f}"
            self.stdout.write(
                f"{labels[key]:<22}{result.per_second:>9.1f}{ms(50):>8}{ms(90):>8}{ms(99):>8}"
                f"{maximum:>8}{result.requests:>10}{result.errors:>8}{result.non_2xx_3xx:>15}"
            )
        robots = runs["robots"].per_second
        if robots and "mix" in runs:
            self.stdout.write(
                f"\nMischung / {ROBOTS}: {runs['mix'].per_second / robots * 100:.1f} %"
            )
        if "writes" in runs and runs["mix"].per_second:
            drop = (1 - runs["writes"].per_second / runs["mix"].per_second) * 100
            self.stdout.write(
                f"Mit Schreiben / {ROBOTS}: {runs['writes'].per_second / robots * 100:.1f} %; "
                f"Durchsatz {drop:.1f} % niedriger als ohne Schreiben."
            )
        if writer is not None:
            visible = writer.visible_summary()
            found = (
                f"in der Suche gefunden nach Median {visible[0]:.2f} s, höchstens "
                f"{visible[1]:.2f} s ({len(writer.visible)} Änderungen)"
                if visible
                else "keine Änderung der Kurzbeschreibung gemessen"
            )
            self.stdout.write(
                f"Geschrieben: {writer.writes} Kurse über course_edit; {found}"
                + f"; dafür {writer.polls} Suchen nach den neuen Wörtern"
                + (f"; nicht gefunden: {len(writer.not_found)}" if writer.not_found else "")
                + (f"; fehlgeschlagen: {len(writer.failures)}" if writer.failures else "")
                + "."
            )
            for failure in writer.failures[:5]:
                self.stderr.write(f"Fehler beim Schreiben: {failure}")
