"""Relevance you can measure: a judged query set run through the course search.

The judged queries (``fixtures/search/judged_queries.toml``) are what learners and hotline
advisors type, written from the target groups and subjects of the networks' reports and the
reference data, not from the course titles. Each names demo courses by their external id (the
demo loader's natural key: stable across ``load_demo`` runs and title edits):

- ``first`` — should come first (grade 2), ``relevant`` — relevant (grade 1);
- ``never`` — must not appear in the first ten;
- ``expect_none = true`` — no demo course fits: such a query is judged only by ``never`` and
  left out of the means and of the zero-result rate.

Every query runs through :func:`measures.course_search.course_search` with only ``q`` set, as
the page ``/kurse/?q=…`` does (its default order for a search term: relevance), and its first
K = 10 results are judged. A course in ``never`` among them is *wrong*, and a wrong course
counts as a miss: it takes its place with gain 0 and also counts as one more relevant course
(of grade 2) that the search did not find. Per query with a relevant course:

- recall@10 = found / (relevant + wrong), where found is the number of relevant courses among
  the first ten;
- nDCG@10 = DCG / IDCG with DCG = Σ gain(result at i) / log2(i + 1) over positions i = 1…10
  (gain = the course's grade, 0 for any other course), and IDCG the DCG of the ideal order:
  the relevant courses' grades and a 2 for each wrong course, highest first, the first ten;
- zero result: the search found nothing at all.

The figures are the means of recall@10 and nDCG@10 over the queries with a relevant course,
and the zero-result rate, the share of those queries that found nothing. ``recorded_figures``
are the figures a guard test holds the search to (``manage.py evaluate_search --record``
writes them).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

from django.conf import settings
from django.http import QueryDict

from measures.course_search import course_search
from measures.models import Course

K = 10
JUDGED_QUERIES = Path(settings.FIXTURES_DIR) / "search" / "judged_queries.toml"
RECORDED_FIGURES = Path(settings.FIXTURES_DIR) / "search" / "recorded_figures.toml"
GRADES = {"first": 2, "relevant": 1}
WRONG_GAIN = max(GRADES.values())  # what a wrong course costs in the ideal order


class JudgementError(ValueError):
    """The judged query file is malformed."""


@dataclass(frozen=True)
class Judgement:
    """One judged query: the text as typed and what it should and must not find."""

    text: str
    grades: dict[str, int]  # external id -> 2 (should come first) or 1 (relevant)
    never: frozenset[str] = frozenset()
    expect_none: bool = False
    note: str = ""

    def keys(self) -> set[str]:
        return set(self.grades) | set(self.never)


def load_judgements(path: Path | None = None) -> list[Judgement]:
    """The judged queries of the file, checked: every query has a text, is judged, and names
    no course twice; a query with ``expect_none`` names no relevant course."""
    with (path or JUDGED_QUERIES).open("rb") as file:
        data = tomllib.load(file)
    judgements, seen = [], set()
    for number, entry in enumerate(data.get("query", []), start=1):
        text = entry.get("q", "").strip()
        if not text:
            raise JudgementError(f"query {number}: no text (q)")
        if text.casefold() in seen:
            raise JudgementError(f"query {number}: {text!r} is judged twice")
        seen.add(text.casefold())
        unknown = set(entry) - {"q", "first", "relevant", "never", "expect_none", "note"}
        if unknown:
            raise JudgementError(f"query {text!r}: unknown keys {sorted(unknown)}")
        grades: dict[str, int] = {}
        for name, grade in GRADES.items():
            for key in entry.get(name, []):
                if key in grades:
                    raise JudgementError(f"query {text!r}: {key} is judged twice")
                grades[key] = grade
        never = frozenset(entry.get("never", []))
        if never & set(grades):
            raise JudgementError(f"query {text!r}: {sorted(never & set(grades))} both ways")
        expect_none = bool(entry.get("expect_none", False))
        if expect_none == bool(grades):
            raise JudgementError(
                f"query {text!r}: name relevant courses or set expect_none, not both or neither"
            )
        judgements.append(Judgement(text, grades, never, expect_none, entry.get("note", "")))
    return judgements


# The measures -------------------------------------------------------------------------------


def wrong_results(shown: list[str], never, k: int = K) -> list[str]:
    """The courses among the first k that must not appear."""
    return [key for key in shown[:k] if key in never]


def recall_at(shown: list[str], grades: dict[str, int], never=frozenset(), k: int = K):
    """found / (relevant + wrong) among the first k; None without a relevant course."""
    if not grades:
        return None
    found = sum(1 for key in shown[:k] if key in grades)
    return found / (len(grades) + len(wrong_results(shown, never, k)))


def dcg(gains: list[float]) -> float:
    return sum(gain / math.log2(position + 1) for position, gain in enumerate(gains, start=1))


def ndcg_at(shown: list[str], grades: dict[str, int], never=frozenset(), k: int = K):
    """DCG of the first k over the DCG of the ideal order, in which each wrong course is one
    more relevant course of the highest grade; None without a relevant course."""
    if not grades:
        return None
    gains = [grades.get(key, 0) for key in shown[:k]]
    ideal = sorted(
        [*grades.values(), *[WRONG_GAIN] * len(wrong_results(shown, never, k))], reverse=True
    )
    return dcg(gains) / dcg(ideal[:k])


# Running the queries ------------------------------------------------------------------------


@dataclass
class QueryResult:
    judgement: Judgement
    count: int  # how many courses the search found in all
    shown: list[str]  # the first K, by external id (``#pk`` for a course without one)
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def recall(self):
        return recall_at(self.shown, self.judgement.grades, self.judgement.never)

    @property
    def ndcg(self):
        return ndcg_at(self.shown, self.judgement.grades, self.judgement.never)

    @property
    def zero(self) -> bool:
        return self.count == 0

    @property
    def missed(self) -> list[str]:
        """The relevant courses not among the first K, those that should come first first."""
        grades = self.judgement.grades
        missing = [key for key in grades if key not in self.shown]
        return sorted(missing, key=lambda key: (-grades[key], key))

    @property
    def wrong(self) -> list[str]:
        return wrong_results(self.shown, self.judgement.never)


@dataclass
class Evaluation:
    results: list[QueryResult]

    @property
    def judged(self) -> list[QueryResult]:
        """The queries with a relevant course: those the means and the rate are over."""
        return [result for result in self.results if not result.judgement.expect_none]

    @property
    def recall(self) -> float:
        return _mean([result.recall for result in self.judged])

    @property
    def ndcg(self) -> float:
        return _mean([result.ndcg for result in self.judged])

    @property
    def zero_results(self) -> list[QueryResult]:
        return [result for result in self.judged if result.zero]

    @property
    def zero_result_rate(self) -> float:
        return len(self.zero_results) / len(self.judged) if self.judged else 0.0

    @property
    def with_wrong(self) -> list[QueryResult]:
        """Every query (also those expecting nothing) that shows a course it must not."""
        return [result for result in self.results if result.wrong]


def _mean(values) -> float:
    return sum(values) / len(values) if values else 0.0


def run_query(text: str, k: int = K) -> tuple[int, list[str], dict[str, str]]:
    """What the search page finds for this text: the count, the first k courses' keys, and
    their titles."""
    params = QueryDict(mutable=True)
    params["q"] = text
    result = course_search(params=params)
    courses = list(result.page.object_list)[:k]
    external = dict(
        Course.objects.filter(pk__in=[course.pk for course in courses]).values_list(
            "pk", "external_id"
        )
    )
    keys = [external.get(course.pk) or f"#{course.pk}" for course in courses]
    titles = {key: course.title for key, course in zip(keys, courses, strict=True)}
    return result.count, keys, titles


def evaluate(judgements: list[Judgement] | None = None) -> Evaluation:
    """Run every judged query through the course search (on the current database)."""
    if judgements is None:
        judgements = load_judgements()
    results = []
    for judgement in judgements:
        count, shown, titles = run_query(judgement.text)
        results.append(QueryResult(judgement, count, shown, titles))
    return Evaluation(results)


# The recorded figures -----------------------------------------------------------------------


def recordable(evaluation: Evaluation) -> dict[str, Decimal]:
    """The figures to record, rounded in the direction that tolerates noise and little more:
    the means down to two places (courses of equal rank may come in another order on another
    database), the zero-result rate, a ratio of counts, up to three (one more query that finds
    nothing exceeds it)."""

    def rounded(value: float, places: str, rounding: str) -> Decimal:
        return Decimal(repr(round(value, 9))).quantize(Decimal(places), rounding=rounding)

    return {
        "recall_at_10": rounded(evaluation.recall, "0.01", ROUND_FLOOR),
        "ndcg_at_10": rounded(evaluation.ndcg, "0.01", ROUND_FLOOR),
        "zero_result_rate": rounded(evaluation.zero_result_rate, "0.001", ROUND_CEILING),
    }


def recorded_figures(path: Path | None = None) -> dict[str, Decimal]:
    """The figures the guard test holds the search to."""
    with (path or RECORDED_FIGURES).open("rb") as file:
        data = tomllib.load(file, parse_float=Decimal)
    return {
        name: Decimal(data[name]) for name in ("recall_at_10", "ndcg_at_10", "zero_result_rate")
    }


RECORDED_HEADER = """\
# The search's relevance on the demo data, as recorded by `manage.py evaluate_search --record`
# (measures/relevance.py says how each figure is computed; the queries are judged_queries.toml).
# tests/measures/test_relevance.py fails when nDCG@10 falls below, or the zero-result rate rises
# above, these figures. Re-record after the search improves or the judged queries change:
#     manage.py load_demo && manage.py evaluate_search --record
# The means rounded down to two places, the rate up to three.
"""


def write_recorded(figures: dict[str, Decimal], path: Path | None = None) -> None:
    lines = [f"{name} = {value}" for name, value in figures.items()]
    (path or RECORDED_FIGURES).write_text(
        RECORDED_HEADER + "\n".join(lines) + "\n", encoding="utf-8"
    )
