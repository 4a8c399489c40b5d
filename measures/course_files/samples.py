"""Rows of made-up courses in the import template's columns, for the benchmarks that import
(``benchmark_import``: 15,000 courses at once; ``benchmark_soak``: a few, again and again
with a new price each time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from measures.models import FundingType, Subject, TargetGroup

SUMMARY = "Ein Angebot für die Messung des Imports."


def sample_rows(
    courses: int,
    dates: int = 4,
    *,
    prefix: str = "B",
    title: str = "Benchmarkkurs",
    raise_by=0,
    summary: str = SUMMARY,
    changed: Callable[[int], bool] | None = None,
) -> Iterator[dict[str, str]]:
    """``courses`` courses keyed ``<prefix>-<n>``, ``dates`` rows (dates) each; the price of
    course n is ``n % 300 + 20 + raise_by`` euros, its summary ``summary``. With ``changed``,
    only the courses n for which it is true get ``raise_by`` and ``summary`` (the others the
    price and summary of ``raise_by=0``)."""
    subjects = list(Subject.objects.filter(parent__isnull=False).values_list("name", flat=True))
    groups = list(TargetGroup.objects.values_list("name", flat=True))
    funding = list(FundingType.objects.values_list("name", flat=True))
    start = dt.date.today() + dt.timedelta(days=30)
    for number in range(1, courses + 1):
        changes = changed is None or changed(number)
        raised, told = (raise_by, summary) if changes else (0, SUMMARY)
        for index in range(dates):
            day = start + dt.timedelta(days=(number + 7 * index) % 300)
            row = {
                "kennung": f"{prefix}-{number}",
                "beginn": day.strftime("%d.%m.%Y"),
                "ende": (day + dt.timedelta(days=14)).strftime("%d.%m.%Y"),
                "wochentage": "Mo|Mi",
                "uhrzeit_von": "18:00",
                "uhrzeit_bis": "20:15",
                "ort": f"Lernort {number % 5 + 1}",
                "ort_strasse": "Hauptstraße 1",
                "ort_plz": "55116",
                "ort_ort": "Mainz",
                "plaetze": "12",
            }
            if index == 0:
                row.update(
                    {
                        "titel": f"{title} {subjects[number % len(subjects)]} {number}",
                        "kurzbeschreibung": told,
                        "beschreibung": "Lernen in kleinen Gruppen. " * 10,
                        "fachgebiete": subjects[number % len(subjects)],
                        "zielgruppen": groups[number % len(groups)],
                        "foerderung": funding[number % len(funding)],
                        "schlagwoerter": f"Messung|Stichwort {number % 50}",
                        "unterrichtseinheiten": str(8 * (number % 10 + 1)),
                        "preis": f"{sample_price(number, raised)},00",
                        "modul_titel": "Einstieg",
                        "modul_ue": "4",
                    }
                )
            yield row


def sample_price(number: int, raise_by: int = 0) -> int:
    """The price in euros :func:`sample_rows` gives course ``number``."""
    return number % 300 + 20 + raise_by
