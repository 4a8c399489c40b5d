"""Load and soak against the production server (gunicorn, ``DEBUG=false``)::

    manage.py benchmark_soak                              # 60 s at 100 connections, then 10 min
    manage.py benchmark_soak --soak-minutes 0             # the load run only

The load run: wrk with ``--connections`` connections for ``--duration`` seconds over the
search mix of ``benchmark_load`` and real paths of every public page pattern; it reports socket
errors, answers other than 2xx/3xx (5xx among them), latency, and each worker's resident memory
from the 2nd second to the end. The soak: wrk over the same mix for ``--soak-minutes`` with
``--soak-connections`` connections while a thread saves courses through ``course_edit`` and
another imports courses for a benchmark provider through the import service; afterwards every
save and import that was acknowledged must be in the database as written (else the command
fails). The saved courses are put back and the benchmark provider removed at the end.
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atlas.load_benchmark import (
    Writer,
    WrkMissing,
    add_server_arguments,
    build_mix,
    lua_script,
    run_wrk,
    warm,
    wrk_path,
)
from atlas.page_benchmark import ProductionServer, ServerFailed
from atlas.soak_benchmark import (
    Importer,
    MemorySampler,
    lost_writes,
    page_paths,
    remove_soak_provider,
)
from measures.models import Course


class Command(BaseCommand):
    help = (
        "Last- und Dauertest am Produktionsserver (gunicorn, DEBUG aus): viele gleichzeitige "
        "Verbindungen über alle öffentlichen Seiten und Suchen mit dem Speicher der Worker, "
        "dann ein Dauerlauf, während Kurse gespeichert und importiert werden – danach muss "
        "jede bestätigte Änderung in der Datenbank stehen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connections", type=int, default=100, help="Verbindungen im Lasttest")
        parser.add_argument("--duration", type=int, default=60, help="s des Lasttests")
        parser.add_argument("--soak-minutes", type=float, default=10, help="min des Dauerlaufs")
        parser.add_argument(
            "--soak-connections", type=int, default=8, help="Verbindungen im Dauerlauf"
        )
        parser.add_argument(
            "--writes-per-second", type=float, default=1, help="gespeicherte Kurse je Sekunde"
        )
        parser.add_argument(
            "--import-every", type=float, default=20, help="s zwischen zwei Importen"
        )
        parser.add_argument("--import-courses", type=int, default=20, help="Kurse je Import")
        add_server_arguments(parser, requests_help="Suchen in der Mischung")

    def handle(self, *args, **options):
        numbers = ("connections", "duration", "soak_connections", "workers", "import_courses")
        if any(options[name] < 1 for name in numbers) or options["soak_minutes"] < 0:
            raise CommandError("Die Anzahlen und Dauern müssen > 0 sein (--soak-minutes ≥ 0).")
        if options["writes_per_second"] <= 0 or options["import_every"] <= 0:
            raise CommandError("--writes-per-second und --import-every müssen > 0 sein.")
        try:
            wrk_path()
        except WrkMissing as error:
            raise CommandError(str(error)) from error
        searches = [
            request.path for request in build_mix(size=options["requests"], seed=options["seed"])
        ]
        pages = page_paths()
        if not searches:
            raise CommandError("Keine öffentlichen Kurse: nichts zu messen.")
        mix = searches + pages
        self.stdout.write(
            f"Katalog: {Course.objects.public().count()} öffentliche Kurse. Mischung: "
            f"{len(searches)} Suchen und Kursseiten, {len(pages)} Pfade aller öffentlichen "
            f"Seitenmuster ({len(set(mix))} verschiedene Adressen)."
        )
        timeout = options["timeout"]
        server = ProductionServer(
            base_dir=settings.BASE_DIR, workers=options["workers"], timeout=timeout
        )
        lost: list[str] = []
        with tempfile.TemporaryDirectory(prefix="benchmark_soak-") as directory:
            script = Path(directory) / "mix.lua"
            script.write_text(lua_script(mix))
            try:
                try:
                    server.start()
                except ServerFailed as error:
                    raise CommandError(f"Der Server ist nicht gestartet: {error}") from error
                self.stdout.write(f"gunicorn ({server.workers} Worker) auf Port {server.port}.")
                self.stdout.write(warm(server, mix, timeout=timeout, wait=120))
                self.load(server, script, options)
                if options["soak_minutes"]:
                    lost = self.soak(server, script, options)
            finally:
                server.stop()
        if lost:
            raise CommandError(f"{len(lost)} bestätigte Änderungen fehlen: " + "; ".join(lost[:10]))

    def load(self, server, script, options) -> None:
        connections, duration = options["connections"], options["duration"]
        self.stdout.write(f"\nLasttest: {connections} Verbindungen, {duration} s …")
        sampler = MemorySampler(server.worker_pids)
        sampler.start()
        try:
            result = run_wrk(
                server.port,
                script=script,
                duration=duration,
                connections=connections,
                timeout=options["timeout"],
            )
        finally:
            sampler.stop()
        self.report("Lasttest", result, sampler, since=2.0)

    def soak(self, server, script, options) -> list[str]:
        minutes = options["soak_minutes"]
        self.stdout.write(
            f"\nDauerlauf: {options['soak_connections']} Verbindungen, {minutes:g} min, "
            f"{options['writes_per_second']:g} Kurs(e) je Sekunde gespeichert, alle "
            f"{options['import_every']:g} s ein Import von {options['import_courses']} Kursen …"
        )
        remove_soak_provider()  # what an interrupted earlier run left
        writer = Writer(port=server.port, per_second=options["writes_per_second"])
        importer = Importer(courses=options["import_courses"], interval=options["import_every"])
        sampler = MemorySampler(server.worker_pids, interval=5.0)
        sampler.start()
        writer.start()
        importer.start()
        try:
            result = run_wrk(
                server.port,
                script=script,
                duration=max(1, round(minutes * 60)),
                connections=options["soak_connections"],
                timeout=options["timeout"],
            )
        finally:
            importer.stop()
            writer.stop()
            sampler.stop()
        try:
            lost = lost_writes(writer, importer)
        finally:
            restored = writer.restore()
            remove_soak_provider()
        self.report("Dauerlauf", result, sampler, since=60.0)
        imports = importer.seconds
        self.stdout.write(
            f"Geschrieben: {writer.writes} Kurse über course_edit"
            + (f" ({len(writer.failures)} fehlgeschlagen)" if writer.failures else "")
            + f"; {len(imports)} Importe zu je {importer.courses} Kursen"
            + (f" ({max(imports):.1f} s höchstens)" if imports else "")
            + (f", {len(importer.failures)} fehlgeschlagen" if importer.failures else "")
            + f". Bestätigt und geprüft: {len(writer.acknowledged)} Kurse, "
            f"{len(importer.acknowledged)} importierte Kurse; fehlend: {len(lost)}. "
            f"{restored} gespeicherte Kurse zurückgesetzt, der Benchmark-Anbieter entfernt."
        )
        for failure in [*writer.failures, *importer.failures][:5]:
            self.stderr.write(f"Fehler beim Schreiben: {failure}")
        return lost

    def report(self, label, result, sampler, *, since: float) -> None:
        def ms(percent):
            value = result.latency_ms.get(percent)
            return "–" if value is None else f"{value:.0f}"

        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.stdout.write(
            f"{label} ({now}): {result.per_second:.1f} Anfragen/s, {result.requests} Anfragen; "
            f"p50 {ms(50)} ms, p90 {ms(90)} ms, p99 {ms(99)} ms; Socket-Fehler "
            f"{result.errors}, nicht 2xx/3xx {result.non_2xx_3xx}."
        )
        for growth in sampler.growth(since=since):
            self.stdout.write(
                f"  Worker {growth.pid}: {growth.early_kb / 1024:.0f} MB ab {since:g} s → "
                f"{growth.late_kb / 1024:.0f} MB am Ende ({growth.percent:+.1f} %)"
            )
        if replaced := sampler.replaced():
            self.stdout.write(f"  Während des Laufs beendet: Worker {sorted(replaced)}")
