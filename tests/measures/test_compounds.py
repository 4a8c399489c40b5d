"""German compounds in queries: a word the public vocabulary does not know is split into the
parts it does know, and generic heads (Kurs, Seminar …) give way to the words that say what is
wanted (issue 12, first step: query time)."""

import pytest
from django.http import QueryDict

from measures import search
from measures.course_search import course_search

KNOWN = {"deutsch", "englisch", "pflege", "helfer", "alten", "bewerbung", "gabelstapler"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("deutschkurs", ["deutsch"]),
        ("englischkurs", ["englisch"]),
        ("bewerbungstraining", ["bewerbung"]),  # linking "s"
        ("altenpflegehelfer", ["alten", "pflege", "helfer"]),
        ("computerkurs", ["computer"]),  # unknown stem before a generic head
        ("deutsch kurs", ["deutsch"]),
        ("kurs", ["kurs"]),  # a generic word alone stays
        ("gabelstapler", ["gabelstapler"]),  # known words stay whole
        ("xyzabc", ["xyzabc"]),
    ],
)
def test_decompose(typed, expected):
    assert search.decompose(search.words(typed), known=KNOWN) == expected


def test_parts_of_a_known_word_are_not_split():
    assert search.split_compound("pflege", {"pflege", "pfl", "ege"}) is None


def titles(text):
    result = course_search(params=QueryDict(mutable=True, query_string=f"q={text}"))
    return [course.title for course in result.page.object_list]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "plain"), [("Deutschkurs", "Deutsch"), ("Englischkurs", "Englisch")]
)
def test_what_learners_type_finds_what_the_word_finds(typed, plain):
    found = titles(typed)
    assert found, f"{typed} finds nothing"
    assert set(found) == set(titles(plain))


@pytest.mark.django_db
def test_the_vocabulary_is_asked_once_per_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        search.decompose(search.words("Deutschkurs für Anfänger"))
