"""A fixed mix of course searches, timed through the real view (search, facets, template).

Prints p50/p95 server time and the number of SQL queries per kind of search. Run it against
a data set of the size you care about, e.g.::

    manage.py generate_synthetic --courses 100000
    manage.py benchmark_search --repeat 30
"""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

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
        self.stdout.write(
            f"{'kind':<20}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'queries':>10}{'status':>10}"
        )
        for kind, make_params in mix.items():
            # One warm-up request per kind, not measured.
            course_list(factory.get("/kurse/", make_params(0), HTTP_HOST="localhost"))
            timings, queries, all_ok = [], set(), True
            for index in range(repeat):
                request = factory.get("/kurse/", make_params(index), HTTP_HOST="localhost")
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = course_list(request)
                    timings.append((time.perf_counter() - started) * 1000)
                queries.add(len(captured))
                all_ok = all_ok and response.status_code == 200
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            query_range = (
                f"{min(queries)}-{max(queries)}" if len(queries) > 1 else str(min(queries))
            )
            self.stdout.write(
                f"{kind:<20}{repeat:>5}{statistics.median(timings):>10.1f}{p95:>10.1f}{query_range:>10}"
                f"{'ok' if all_ok else 'FAIL':>10}"
            )
