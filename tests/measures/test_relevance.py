"""Relevance you can measure (issue 12): the judged queries, the measures, and the guard that
holds the search to the recorded figures (``manage.py evaluate_search --record`` re-records
them in fixtures/search/recorded_figures.toml)."""

import math
from io import StringIO

import pytest
from django.core.management import call_command

from measures import relevance
from measures.models import Course

pytestmark = pytest.mark.django_db


# The measures, by hand ------------------------------------------------------------------------


def log2(n):
    return math.log2(n)


def test_a_perfect_ranking_scores_one():
    grades = {"a": 2, "b": 1}
    assert relevance.recall_at(["a", "b", "x"], grades) == 1
    assert relevance.ndcg_at(["a", "b", "x"], grades) == pytest.approx(1)


def test_ndcg_rewards_the_better_course_first():
    grades = {"a": 2, "b": 1}
    # shown b, a: DCG = 1/log2(2) + 2/log2(3); ideal a, b: 2/log2(2) + 1/log2(3)
    expected = (1 + 2 / log2(3)) / (2 + 1 / log2(3))
    assert relevance.ndcg_at(["b", "a"], grades) == pytest.approx(expected)
    assert relevance.ndcg_at(["b", "a"], grades) == pytest.approx(0.8597, abs=1e-4)
    assert relevance.recall_at(["b", "a"], grades) == 1


def test_only_the_first_ten_count():
    grades = {"a": 2, "b": 1}
    shown = [f"x{i}" for i in range(10)] + ["a"]
    assert relevance.recall_at(shown, grades) == 0
    assert relevance.ndcg_at(shown, grades) == 0
    shown = ["a"] + [f"x{i}" for i in range(8)] + ["b"]  # b at 10
    assert relevance.recall_at(shown, grades) == 1
    expected = (2 + 1 / log2(11)) / (2 + 1 / log2(3))
    assert relevance.ndcg_at(shown, grades) == pytest.approx(expected)


def test_a_course_that_must_not_appear_counts_as_a_miss():
    grades, never = {"a": 2}, frozenset({"w"})
    # a first, w second: recall 1 / (1 + 1); the ideal order has one more course of grade 2.
    assert relevance.recall_at(["a", "w"], grades, never) == 0.5
    expected = 2 / (2 + 2 / log2(3))
    assert relevance.ndcg_at(["a", "w"], grades, never) == pytest.approx(expected)
    assert relevance.ndcg_at(["a", "w"], grades, never) == pytest.approx(0.6131, abs=1e-4)
    # w first pushes a down as well.
    expected = (2 / log2(3)) / (2 + 2 / log2(3))
    assert relevance.ndcg_at(["w", "a"], grades, never) == pytest.approx(expected)
    # Below the first ten it does no harm.
    shown = ["a"] + [f"x{i}" for i in range(9)] + ["w"]
    assert relevance.recall_at(shown, grades, never) == 1
    assert relevance.ndcg_at(shown, grades, never) == pytest.approx(1)


def test_a_query_without_relevant_courses_has_no_figures():
    assert relevance.recall_at(["a"], {}) is None
    assert relevance.ndcg_at(["a"], {}) is None


def test_the_figures_are_means_over_the_queries_with_a_relevant_course():
    def result(text, shown, count, grades=None, never=(), expect_none=False):
        judgement = relevance.Judgement(text, grades or {}, frozenset(never), expect_none)
        return relevance.QueryResult(judgement, count, shown)

    evaluation = relevance.Evaluation(
        [
            result("hit", ["a"], 1, {"a": 2}),
            result("nothing", [], 0, {"b": 1}),
            result("none expected", ["w"], 1, never={"w"}, expect_none=True),
        ]
    )
    assert evaluation.recall == 0.5
    assert evaluation.ndcg == 0.5
    assert evaluation.zero_result_rate == 0.5
    assert [r.judgement.text for r in evaluation.with_wrong] == ["none expected"]
    figures = relevance.recordable(evaluation)
    assert [str(value) for value in figures.values()] == ["0.50", "0.50", "0.500"]


def test_recorded_figures_are_rounded_towards_tolerance():
    class Figures:
        recall, ndcg, zero_result_rate = 0.6789, 0.6789, 24 / 159

    figures = relevance.recordable(Figures)
    assert [str(value) for value in figures.values()] == ["0.67", "0.67", "0.151"]


# The judged query file ------------------------------------------------------------------------


def test_the_judged_query_set_is_large_enough():
    judgements = relevance.load_judgements()
    assert len(judgements) >= 100
    assert sum(1 for judgement in judgements if not judgement.expect_none) >= 100


def test_every_judged_course_exists_in_the_demo_data():
    """A demo course renamed or removed must not leave a judgement pointing at nothing."""
    known = set(
        Course.objects.filter(external_id__startswith="demo-").values_list("external_id", flat=True)
    )
    named = set().union(*(judgement.keys() for judgement in relevance.load_judgements()))
    assert named - known == set()


def test_courses_that_should_be_found_are_public():
    """A judgement asks for what a learner can find: drafts and out-of-date courses may only be
    named as courses that must not appear."""
    public = set(Course.objects.public().values_list("external_id", flat=True))
    wanted = set().union(*(set(judgement.grades) for judgement in relevance.load_judgements()))
    assert wanted - public == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[query]]\nq = ""\nfirst = ["a"]\n', "no text"),
        ('[[query]]\nq = "x"\n', "not both or neither"),
        ('[[query]]\nq = "x"\nfirst = ["a"]\nexpect_none = true\n', "not both or neither"),
        ('[[query]]\nq = "x"\nfirst = ["a"]\nnever = ["a"]\n', "both ways"),
        ('[[query]]\nq = "x"\nfirst = ["a"]\nrelevant = ["a"]\n', "judged twice"),
        ('[[query]]\nq = "x"\nfirst = ["a"]\n[[query]]\nq = "X"\nfirst = ["a"]\n', "twice"),
        ('[[query]]\nq = "x"\nfirts = ["a"]\n', "unknown keys"),
    ],
)
def test_a_malformed_judgement_is_refused(tmp_path, text, message):
    path = tmp_path / "judged.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(relevance.JudgementError, match=message):
        relevance.load_judgements(path)


# The guard ------------------------------------------------------------------------------------


def test_the_search_keeps_its_recorded_relevance():
    """Fails when nDCG@10 falls below, or the zero-result rate rises above, the figures in
    fixtures/search/recorded_figures.toml. After an improvement, re-record them:
    ``manage.py load_demo && manage.py evaluate_search --record``."""
    evaluation = relevance.evaluate()
    recorded = relevance.recorded_figures()
    assert evaluation.ndcg >= recorded["ndcg_at_10"], (
        f"nDCG@10 {evaluation.ndcg:.3f} < recorded {recorded['ndcg_at_10']}"
    )
    assert evaluation.zero_result_rate <= recorded["zero_result_rate"], (
        f"zero-result rate {evaluation.zero_result_rate:.3f} > recorded "
        f"{recorded['zero_result_rate']}: "
        + ", ".join(result.judgement.text for result in evaluation.zero_results)
    )


def test_the_command_prints_the_figures_and_what_went_wrong():
    out = StringIO()
    call_command("evaluate_search", "--verbose", stdout=out)
    printed = out.getvalue()
    for label in ("recall@10", "nDCG@10", "zero-result rate", "ndcg_at_10 = "):
        assert label in printed
    assert "'Deutschkurs':" in printed
    assert "missed (first):" in printed


def test_the_command_records_the_figures(tmp_path, monkeypatch):
    path = tmp_path / "recorded.toml"
    monkeypatch.setattr(relevance, "RECORDED_FIGURES", path)
    evaluation = relevance.evaluate()
    call_command("evaluate_search", "--record", stdout=StringIO())
    assert relevance.recorded_figures(path) == relevance.recordable(evaluation)
