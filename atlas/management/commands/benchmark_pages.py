"""Every public URL pattern, requested over HTTP from the production server (gunicorn,
``DEBUG=false``), on the synthetic catalogue: p50/p95/max per pattern, each worker's first
request to it separately (gunicorn's access log says which worker served a request), status
codes, size, the growth of the workers' peak memory, and for downloads the time to the first
byte. The patterns and their real paths come from ``atlas.url_catalogue`` (as for the page
checks), so a new page is measured without anyone remembering it::

    manage.py generate_synthetic --courses 100000
    manage.py benchmark_pages --repeat 20

Requests are sequential, one connection each, in rounds: every path of every pattern once per
round. A path is no longer requested once a request to it failed or reached ``--timeout`` (the
server's ``statement_timeout`` too), a pattern once its requests have taken ``--max-seconds``
in all. It exits 0 once the server has started: it measures, it does not judge.
"""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atlas.page_benchmark import (
    PatternResult,
    ProductionServer,
    ServerFailed,
    fetch,
    judged_seconds,
)
from atlas.page_benchmark import format_report as format_table
from atlas.url_catalogue import NoPaths, concrete_paths, page_patterns
from measures import synthetic
from measures.models import Course


class Command(BaseCommand):
    help = (
        "Misst jede öffentliche Seite über HTTP am Produktionsserver (gunicorn, DEBUG aus) mit "
        "dem synthetischen Katalog: p50/p95 je URL-Muster, die erste Anfrage getrennt, bei "
        "Downloads die Zeit bis zum ersten Byte. Legt mit --courses N fehlende synthetische "
        "Kurse an."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--courses",
            type=int,
            default=None,
            help="Mindestens so viele synthetische Kurse; fehlende werden erzeugt (0: die Daten "
            "messen, wie sie sind).",
        )
        parser.add_argument("--repeat", type=int, default=20, help="Runden über alle Pfade")
        parser.add_argument(
            "--budget", type=float, default=100, help="ms; p95 darüber wird markiert"
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn-Worker")
        parser.add_argument(
            "--timeout", type=float, default=30, help="s je Anfrage (auch statement_timeout)"
        )
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=60,
            help="s je Muster; danach keine weiteren Anfragen an dieses Muster",
        )

    def handle(self, *args, courses, repeat, budget, workers, timeout, max_seconds, **options):
        if repeat < 1 or workers < 1 or timeout <= 0 or max_seconds <= 0:
            raise CommandError("--repeat, --workers, --timeout und --max-seconds müssen > 0 sein.")
        self.ensure_catalogue(courses)
        results = self.collect_paths()
        server = ProductionServer(base_dir=settings.BASE_DIR, workers=workers, timeout=timeout)
        self.stdout.write(f"Starte gunicorn ({workers} Worker, DEBUG aus) …")
        interrupted = False
        try:
            try:
                server.start()
            except ServerFailed as error:
                raise CommandError(f"Der Server ist nicht gestartet: {error}") from error
            self.stdout.write(
                f"… auf Port {server.port}; seine erste Anfrage (/robots.txt) "
                f"{server.ready_sample.seconds * 1000:.0f} ms; {repeat} Runden."
            )
            started = time.monotonic()
            try:
                self.measure(
                    server,
                    results,
                    repeat=repeat,
                    timeout=timeout,
                    limit=max_seconds,
                    budget=budget,
                )
            except KeyboardInterrupt:
                interrupted = True
            elapsed = time.monotonic() - started
            pids = server.worker_pids()
            peaks = server.peak_memory_kb(pids)
        finally:
            server.stop()
        self.report(results, budget=budget, elapsed=elapsed, peaks=peaks, workers=workers)
        if interrupted:
            self.stderr.write("Abgebrochen: die Tabelle zeigt, was bis dahin gemessen war.")
            raise SystemExit(130)

    def ensure_catalogue(self, courses: int | None) -> None:
        existing = Course.objects.filter(synthetic=True).count()
        if courses is None and not existing:
            raise CommandError(
                "Kein synthetischer Katalog in dieser Datenbank. Erzeugen mit\n"
                "    manage.py generate_synthetic --courses 100000\n"
                "oder hier mit --courses 100000 (--courses 0 misst die Daten, wie sie sind)."
            )
        if courses and courses > existing:
            self.stdout.write(f"Erzeuge {courses - existing} synthetische Kurse …")
            synthetic.generate(courses=courses - existing, stdout=self.stdout)
            existing = courses
        public = Course.objects.public().count()
        self.stdout.write(
            f"Katalog: {Course.objects.count()} Kurse, {public} öffentlich, {existing} synthetisch."
        )

    def collect_paths(self) -> list[PatternResult]:
        self.missing: dict[str, str] = {}
        results = []
        for pattern in page_patterns():
            result = PatternResult(pattern.key)
            try:
                result.paths = concrete_paths(pattern)
            except NoPaths as error:
                result.note = "keine Pfade, siehe unten"
                self.missing[pattern.key] = str(error)
            results.append(result)
        paths = sum(len(result.paths) for result in results)
        self.stdout.write(f"{len(results)} URL-Muster, {paths} Pfade.")
        return results

    def measure(self, server, results, *, repeat, timeout, limit, budget=100.0) -> None:
        """Rounds over every path of every pattern. A path whose request fails or reaches the
        statement timeout is not requested again; a pattern whose requests have taken
        ``limit`` seconds in all is not requested again. Requests over ``budget`` ms (not a
        worker's first) are noted with their round, time and worker (``self.slow``)."""
        self.slow: list[tuple[str, str, int, float, int | None, float]] = []
        measuring = time.monotonic()
        spent = dict.fromkeys((result.key for result in results), 0.0)
        active = {result.key: list(result.paths) for result in results if not result.note}
        pids = server.worker_pids()
        seen = set(pids)
        for round_number in range(repeat):
            for result in results:
                paths = active.get(result.key)
                if not paths:
                    continue
                before = server.peak_memory_kb(pids)
                for path in list(paths):
                    # The client waits longer than the server's statement timeout, so that a
                    # runaway query shows as the server's own error page.
                    sample = fetch(server.port, path, timeout=timeout + 15)
                    worker = server.served_by()
                    result.add(sample, worker)
                    judged = judged_seconds(sample)
                    if result.samples[-1:] == [sample] and judged * 1000 > budget:
                        offset = time.monotonic() - measuring
                        self.slow.append(
                            (result.key, path, round_number + 1, offset, worker, judged)
                        )
                    spent[result.key] += sample.seconds
                    if sample.status in ("timeout", "error") or sample.seconds >= timeout:
                        paths.remove(path)
                        result.notes.append(f"{path}: {sample.status}, nicht mehr angefragt")
                    if spent[result.key] > limit:
                        paths.clear()
                        result.notes.append(
                            f"nach {limit:.0f} s in Runde {round_number + 1} beendet"
                        )
                        break
                current = server.worker_pids()
                if set(current) - seen:
                    self.stderr.write(f"Neuer Worker nach {result.key} (ein alter starb).")
                    seen |= set(current)
                pids = current
                after = server.peak_memory_kb(pids)
                result.memory_growth_kb += max(after.values(), default=0) - max(
                    before.values(), default=0
                )
            self.stderr.write(f"Runde {round_number + 1}/{repeat}", ending="\r")
            self.stderr.flush()
        self.stderr.write("")

    def report(self, results, *, budget, elapsed, peaks, workers) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.stdout.write(
            f"\n{now}, {workers} Worker, {elapsed:.0f} s. ms je Anfrage; n = Anfragen; first = "
            f"die langsamste der ersten Anfragen jedes Workers an das Muster (nicht in "
            f"p50/p95/max); ttfb95 = p95 bis zum ersten Byte (Downloads werden daran "
            f"gemessen); size = Median; mem+ = MB, um die der Spitzenspeicher (VmHWM) der "
            f"Worker während des Musters wuchs; ! = über {budget:.0f} ms.\n"
        )
        for line in format_table(results, budget_ms=budget):
            self.stdout.write(line)
        over = [r.key for r in results if r.judged is not None and r.judged > budget]
        self.stdout.write(f"\n{len(over)} von {len(results)} Mustern über {budget:.0f} ms (p95).")
        if peaks:
            memory = ", ".join(f"{kb / 1024:.0f} MB" for kb in peaks.values())
            self.stdout.write(f"Spitzenspeicher der Worker (VmHWM): {memory}.")
        slow = getattr(self, "slow", [])
        if slow:
            self.stdout.write(
                f"Anfragen über {budget:.0f} ms (ohne die ersten; Downloads bis zum ersten "
                f"Byte), die langsamsten 20: Muster, Pfad, Runde, Sekunde der Messung, Worker, "
                f"ms"
            )
            for key, path, number, offset, worker, seconds in sorted(
                slow, key=lambda row: -row[-1]
            )[:20]:
                self.stdout.write(
                    f"  {key} {path[:80]} R{number} {offset:.1f} s {worker} {seconds * 1000:.0f}"
                )
        for key, reason in self.missing.items():
            self.stdout.write(f"Nicht gemessen, {key}: {reason}")
