"""German compounds, both ways (issue 12): a query word is also searched by the parts of the
compound it is, and course texts are indexed with the parts of theirs; generic heads (Kurs,
Seminar …) and stop words give way to the words that say what is wanted; when no course has
every word, the best partial matches are shown with the words they leave out."""

import pytest
from django.http import QueryDict

from measures import compounds, search
from measures import course_search as course_search_module
from measures.course_search import course_search
from measures.models import Course, SearchDocument
from tests.factories import make_course, make_provider

KNOWN = {
    "deutsch", "englisch", "pflege", "helfer", "alten", "altenpflege", "bewerbung",
    "gabel", "stapler", "schein", "lager", "logistik", "kinder", "betreuung",
}  # fmt: skip


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("deutschkurs", ["deutsch", "kurs"]),
        ("bewerbungstraining", ["bewerbung", "training"]),  # linking "s"
        ("altenpflegehelfer", ["altenpflege", "helfer"]),  # the fewest parts
        ("altenpflegehelferin", ["altenpflege", "helfer"]),  # an ending on the last part
        ("gabelstaplerschein", ["gabel", "stapler", "schein"]),
        ("kinderbetreuung", ["kinder", "betreuung"]),
        ("pflege", None),  # no compound
        ("beratung", None),  # no known parts
        ("undpflege", None),  # a stop word is no part
        ("xyzpflege", None),  # every part must be known
    ],
)
def test_split(word, parts):
    assert compounds.split(word, KNOWN) == parts


def test_a_course_word_is_indexed_with_every_part_and_the_runs_that_end_it():
    parts = compounds.index_parts("altenpflegehelferin", KNOWN)
    assert {"alten", "pflege", "altenpflege", "helfer", "helferin"} <= set(parts)
    assert set(compounds.index_parts("gabelstaplerschein", KNOWN)) >= {
        "gabel", "stapler", "schein", "staplerschein",
    }  # fmt: skip
    assert compounds.index_parts("pflege", KNOWN) == []


def tsquery(text, synonyms=None):
    return search.parse(text, synonyms={} if synonyms is None else synonyms).tsquery()


@pytest.mark.django_db
def test_a_query_word_is_also_searched_by_its_parts():
    # The vocabulary of the demo data knows the parts, not the compounds.
    assert tsquery("Deutschkurs") == "(deutschkurs:* | deutsch)"
    assert tsquery("Pflegedeutsch") == "(pflegedeutsch:* | pflege & deutsch)"
    assert tsquery("Computerkurs") == "(computerkurs:* | computer)"  # before a generic head


@pytest.mark.django_db
def test_stop_words_numbers_and_generic_heads_are_not_required():
    assert tsquery("Englisch für Anfänger ab 60") == "englisch & anfaenger"
    assert tsquery("Englisch für Anfänger") == "englisch & anfaenger:*"  # typed on
    assert tsquery("Kurs Englisch") == "englisch:*"
    assert tsquery("Kurs") == "kurs:*"  # alone, a word is what was asked for
    assert tsquery("für") == "fuer:*"


@pytest.mark.django_db
def test_the_parts_bring_their_synonyms():
    synonyms = {"computer": [["pc"], ["edv"]], "rechner": [["computer"]]}
    assert tsquery("Computerkurs", synonyms) == "(computerkurs:* | (computer | pc | edv))"


@pytest.mark.django_db
def test_the_lexicon_is_asked_once_per_query(django_assert_num_queries):
    search.active_synonyms()  # read once per reference generation, not per query
    with django_assert_num_queries(1):
        search.parse("Deutschkurs für Altenpflegehelfer")


def titles(text, **params):
    query = QueryDict(mutable=True)
    query.update({"q": text, **params})
    result = course_search(params=query)
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
@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("Helfer", "Pflegehelferin / Pflegehelfer – Basisqualifizierung Altenpflege"),
        ("Stapler", "Gabelstaplerfahrerin / Gabelstaplerfahrer (DGUV Grundsatz 308-001)"),
        ("Fahrer", "Gabelstaplerfahrerin / Gabelstaplerfahrer (DGUV Grundsatz 308-001)"),
        ("Café", "Netzcafé im Neustadttreff – Internet für Einsteigerinnen und Einsteiger"),
    ],
)
def test_a_part_of_a_compound_in_the_catalogue_finds_it(typed, title):
    assert title in titles(typed)


@pytest.mark.django_db
def test_index_time_parts_are_written_for_a_course_on_every_change():
    course = make_course(make_provider(), "Gabelstaplerschein kompakt")
    vector = SearchDocument.objects.get(course=course).vector
    for part in ("gabel", "stapl", "schein"):
        assert f"'{part}'" in vector, vector
    assert course.title in titles("Stapler")
    course.title = "Kinderbetreuung am Wochenende"
    course.save()
    search.refresh_search_vectors([course.pk])
    vector = SearchDocument.objects.get(course=course).vector
    assert "'stapl'" not in vector and "'betreu'" in vector


@pytest.mark.django_db
def test_target_groups_and_funding_are_searched():
    course = Course.objects.public().filter(target_groups__name="Ältere Menschen").first()
    assert course is not None
    assert course.title in titles("Ältere Menschen")


# The table of the issue ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "Computer für Ältere",
            {
                "Digitale Sprechstunde: Hilfe bei Handy, Tablet und E-Book-Reader",
                "Netzcafé im Neustadttreff – Internet für Einsteigerinnen und Einsteiger",
            },
        ),
        ("Deutschkurs", {"Integrationskurs Deutsch (A1 bis B1) mit Kinderbetreuung"}),
        ("Englischkurs", {"Englisch A2 – Auffrischung am Abend"}),
        (
            "Computerkurs",
            {"Netzcafé im Neustadttreff – Internet für Einsteigerinnen und Einsteiger"},
        ),  # noqa: E501
        ("PC", {"Netzcafé im Neustadttreff – Internet für Einsteigerinnen und Einsteiger"}),
    ],
)
def test_the_issues_table(typed, expected):
    found = set(titles(typed))
    assert expected <= found, found


@pytest.mark.django_db
def test_computer_finds_the_edv_subject():
    query = QueryDict(mutable=True)
    query.update({"subject": "edv-und-it"})
    edv = course_search(params=query).count
    assert edv
    query["q"] = "Computer"
    assert course_search(params=query).count == edv


# Several words ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_when_no_course_has_every_word_the_best_partial_matches_are_shown():
    result = course_search(params=QueryDict("q=Englisch+Xylophon"))
    english = course_search(params=QueryDict("q=Englisch"))
    assert result.partial and result.count == english.count
    for course in result.page.object_list:
        assert course.missing == ["Xylophon"]


@pytest.mark.django_db
def test_partial_matches_with_more_words_come_first():
    # No course has all three; those with two of them come before those with one.
    result = course_search(params=QueryDict("q=Englisch+Abend+Xylophon"))
    assert result.partial
    missing = [len(course.missing) for course in result.page.object_list]
    assert missing[0] == 1 and missing == sorted(missing)
    assert result.page.object_list[0].title == "Englisch A2 – Auffrischung am Abend"


@pytest.mark.django_db
def test_partial_matches_respect_the_filters_and_the_page_says_so(client):
    response = client.get("/kurse/", {"q": "Englisch Xylophon", "mode": "online"})
    assert response.status_code == 200
    for course in response.context["search"].page.object_list:
        assert "online" in {date.mode for date in course.current_dates}
    response = client.get("/kurse/", {"q": "Englisch Xylophon"})
    page = response.content.decode()
    assert "Kein Kurs enthält alle Suchwörter" in page
    assert "Ohne: „Xylophon“" in page


@pytest.mark.django_db
def test_a_full_match_is_never_partial():
    result = course_search(params=QueryDict("q=Englisch+Abend"))
    assert result.count and not result.partial
    assert all(course.missing == [] for course in result.page.object_list)


@pytest.mark.django_db
def test_nothing_is_found_when_no_word_finds_anything():
    result = course_search(params=QueryDict("q=Xylophon+Quetzal"))
    assert result.count == 0


# Typos ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_typo_that_finds_nothing_shows_what_its_spelling_finds(client):
    result = course_search(params=QueryDict("q=Englich+lernen"))
    assert result.corrected_from == "Englich lernen"
    assert result.count and result.query.text.casefold() == "englisch lernen"
    page = client.get("/kurse/", {"q": "Englich lernen"}).content.decode()
    assert "Für „Englich lernen“ gibt es keine Kurse." in page


@pytest.mark.django_db
def test_the_spelling_is_not_changed_when_the_words_find_something():
    result = course_search(params=QueryDict("q=Englisch"))
    assert result.count and result.corrected_from == ""


@pytest.mark.django_db
def test_the_whole_rebuild_indexes_the_parts_too():
    from django.core.management import call_command

    call_command("refresh_search", verbosity=0)
    assert "Gabelstaplerfahrerin / Gabelstaplerfahrer (DGUV Grundsatz 308-001)" in titles("Stapler")
    assert "Pflegehelferin / Pflegehelfer – Basisqualifizierung Altenpflege" in titles("Helfer")


@pytest.mark.django_db
def test_partial_matches_rank_only_what_can_reach_the_page_and_keep_the_full_order(monkeypatch):
    provider = make_provider("Musikschule Quokka")
    make_course(provider, "Harfe und Trommel im Duo")
    for number in range(2):
        make_course(provider, f"Harfe für Anfänger {number}")
    for number in range(9):
        make_course(provider, f"Trommel im Kreis {number}")
    params = "q=Harfe+Trommel+Xylophon&sort=relevance"
    # The order with every match ranked: all on one page.
    monkeypatch.setattr(course_search_module.CourseListing, "page_size", 100)
    full = [course.title for course in course_search(params=QueryDict(params)).page.object_list]
    assert full[0] == "Harfe und Trommel im Duo" and len(full) == 12
    ranked = []
    real_ranks = course_search_module._ranks

    def spy(index, query, positions):
        ranked.append(len(positions))
        return real_ranks(index, query, positions)

    monkeypatch.setattr(course_search_module, "_ranks", spy)
    monkeypatch.setattr(course_search_module.CourseListing, "page_size", 2)
    pages = []
    for number in range(1, 7):
        result = course_search(params=QueryDict(f"{params}&page={number}"))
        pages += [course.title for course in result.page.object_list]
    assert pages == full
    assert ranked[0] == 3  # page 1: only the courses with "Harfe" can reach it
