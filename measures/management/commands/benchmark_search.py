"""A fixed mix of course searches, timed through the real view (search, facets, template).

Prints how long building the in-memory search index takes (``measures.search_index``: once
per process and search generation) and its size; then, per kind of search, p50/p95 server
time with an empty cache and no kept text matches (``measures.text_matches``): "cold", and
p50/p95 of the same request repeated at once ("warm"), and the number of SQL queries. Each
kind's requests run once unmeasured first, as on a server that has been running:
PostgreSQL's buffers hold what they read. Run it against a data set of the size you care
about, with production settings (``DEBUG`` off: cached templates, no query
log), e.g.::

    manage.py generate_synthetic --courses 100000
    manage.py benchmark_search --repeat 20
"""

import statistics
import time

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from measures import search_index, text_matches
from measures.models import FundingType
from measures.views import course_list
from network.models import PostalCode, Region

TEXTS = ["Englisch", "Excel", "Pflege", "Yoga", "Deutsch B1", "Computer", "Buchführung", "Python"]
TYPOS = ["Englsich", "Exel", "Pflegehelfr", "Mechatroniker Nachqualifizirung", "Yogga"]
RARE = ["Gebärdensprache", "Mechatroniker", "Dialogmarketing", "Autogenes", "Lagerlogistik"]
CITIES = ["10115", "20095", "80331", "50667", "55116", "19053", "04109", "01067"]


class Command(BaseCommand):
    help = "Misst die Kurssuche mit einer festen Mischung von Suchanfragen (p50/p95, SQL-Abfragen)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="Anfragen je Art")

    def handle(self, *args, repeat, **options):
        states = list(Region.objects.states().values_list("key", flat=True))
        districts = list(Region.objects.districts().values_list("key", flat=True)[:50])
        codes = [code for code in CITIES if PostalCode.objects.filter(code=code).exists()]
        voucher = FundingType.objects.filter(kind="voucher").values_list("slug", flat=True).first()
        mix = {
            "free text": lambda i: {"q": TEXTS[i % len(TEXTS)]},
            "text + region": lambda i: {
                "q": TEXTS[i % len(TEXTS)],
                "region": (states + districts)[i % len(states + districts)],
            },
            "postcode + radius": lambda i: {"place": codes[i % len(codes)], "radius": "25"},
            "filters only": lambda i: [
                {"mode": "online", "time": "evening"},
                {"weekday": ["5", "6"], "max_price": "200"},
                {"funding": voucher or "", "kind": "retraining"},
                {"free": "true", "access": "step_free"},
            ][i % 4],
            "rare term": lambda i: {"q": RARE[i % len(RARE)]},
            "typo": lambda i: {"q": TYPOS[i % len(TYPOS)]},
            "page 50": lambda i: {"page": "50"},
        }
        factory = RequestFactory()
        search_index.forget()
        started = time.perf_counter()
        index = search_index.current_index()
        self.stdout.write(
            f"index: {index.size} public courses, {len(index.date_course)} current dates, "
            f"built in {(time.perf_counter() - started) * 1000:.0f} ms, "
            f"{index.nbytes / 1e6:.0f} MB"
        )
        if settings.DEBUG:
            self.stderr.write("DEBUG ist an: Vorlagen werden nicht zwischengespeichert.")
        self.stdout.write(
            f"{'kind':<20}{'n':>4}{'cold p50':>10}{'cold p95':>10}{'warm p50':>10}"
            f"{'warm p95':>10}{'queries':>9}{'status':>8}"
        )
        for kind, make_params in mix.items():
            # The kind's requests once, not measured: a running server has read these pages
            # before (PostgreSQL's buffers, the process's first use of each code path).
            for index in range(repeat):
                course_list(factory.get("/kurse/", make_params(index), HTTP_HOST="localhost"))
            cold, warm, queries, all_ok = [], [], set(), True
            for index in range(repeat):
                caches["local"].clear()
                text_matches.forget()
                for timings in (cold, warm):
                    request = factory.get("/kurse/", make_params(index), HTTP_HOST="localhost")
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response = course_list(request)
                        timings.append((time.perf_counter() - started) * 1000)
                    if timings is cold:
                        queries.add(len(captured))
                    all_ok = all_ok and response.status_code == 200
            query_range = (
                f"{min(queries)}-{max(queries)}" if len(queries) > 1 else str(min(queries))
            )
            self.stdout.write(
                f"{kind:<20}{repeat:>4}{_p(cold, 50):>10.1f}{_p(cold, 95):>10.1f}"
                f"{_p(warm, 50):>10.1f}{_p(warm, 95):>10.1f}{query_range:>9}"
                f"{'ok' if all_ok else 'FAIL':>8}"
            )
            self.stdout.flush()


def _p(timings: list[float], percent: int) -> float:
    """The nearest-rank percentile in milliseconds."""
    ordered = sorted(timings)
    if percent == 50:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]
