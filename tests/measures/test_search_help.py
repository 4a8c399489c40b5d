"""A search that finds little offers ways on: the subjects whose names or synonyms come closest
to what was typed, "Meinten Sie" in proper spelling, and the counselling offers nearby."""

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from measures import search_help
from measures.course_search import course_search
from measures.models import Course, Subject, Synonym
from tests.factories import make_course, make_provider, make_venue, refresh_words

pytestmark = pytest.mark.django_db


def run(**params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = str(value)
    return course_search(params=query)


def page(client, **params):
    response = client.get("/kurse/", params)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "lxml")


def result_count(client, url):
    """The number of courses the search page at ``url`` (relative to /kurse/) says it found."""
    response = client.get("/kurse/" + url)
    assert response.status_code == 200, url
    heading = BeautifulSoup(response.content, "lxml").find("h2", id="result-count")
    return int(heading.get_text(" ", strip=True).split()[0])


@pytest.fixture
def provider():
    return make_provider("Volkshochschule Hilfedorf")


@pytest.fixture
def mainz(provider):
    return make_venue(provider, "55116")


@pytest.fixture
def magic(provider, mainz):
    """A subject with two public courses, whose name no course text holds."""
    area = Subject.objects.create(name="Bühnenkünste", slug="buehnenkuenste")
    subject = Subject.objects.create(name="Zauberkunst", slug="zauberkunst", parent=area)
    for title in ("Tricks mit Karten", "Tricks mit Münzen"):
        make_course(provider, title, subjects=[subject], dates=[{"venue": mainz}])
    return subject


# Closest subjects -----------------------------------------------------------------------------


def test_a_misspelt_subject_name_offers_that_subject_with_its_course_count(magic):
    result = run(q="Zauberkunzt")
    assert result.count == 0
    offered = {link.subject.slug: link for link in result.closest_subjects}
    assert offered["zauberkunst"].count == 2
    assert parse_qs(urlsplit(offered["zauberkunst"].url).query) == {"subject": ["zauberkunst"]}


def test_a_word_of_a_compound_query_finds_the_subject_of_that_name(magic):
    result = run(q="Zauberkunstschule")
    assert "zauberkunst" in [link.subject.slug for link in result.closest_subjects]


def test_a_thesaurus_term_close_to_the_typed_word_offers_the_subject_it_names(magic):
    Synonym.objects.create(term="Magie", alternatives="Zauberkunst, Illusion")
    result = run(q="Magiie")  # no course, subject or alternative is spelt like this
    assert result.count == 0
    assert [link.subject.slug for link in result.closest_subjects][:1] == ["zauberkunst"]


def test_a_two_way_synonym_leads_from_any_of_its_words_to_the_subject(magic):
    Synonym.objects.create(term="Zauberkunst", alternatives="Taschenspielerei", two_way=True)
    result = run(q="Taschenspielerey")
    assert [link.subject.slug for link in result.closest_subjects][:1] == ["zauberkunst"]


def test_an_inactive_synonym_leads_nowhere(magic):
    Synonym.objects.create(term="Magie", alternatives="Zauberkunst", is_active=False)
    assert "zauberkunst" not in [link.subject.slug for link in run(q="Magiie").closest_subjects]


def test_the_shipped_thesaurus_leads_from_an_everyday_word_to_the_catalogues_subject():
    # "Computer" → "PC, EDV, Rechner"; the subject is called "EDV und IT".
    result = run(q="Computr")
    assert "edv-und-it" in [link.subject.slug for link in result.closest_subjects]


def test_a_subject_without_courses_hands_its_place_to_its_area(provider, mainz, magic):
    Subject.objects.create(name="Feuerschlucken", slug="feuerschlucken", parent=magic.parent)
    offered = {link.subject.slug: link for link in run(q="Feuerschlucken").closest_subjects}
    assert "feuerschlucken" not in offered
    assert offered["buehnenkuenste"].count == 2


def test_demo_first_aid_offers_the_health_area_not_the_empty_first_aid_subject():
    offered = [link.subject.slug for link in run(q="Erste Hilfe").closest_subjects]
    assert "erste-hilfe" not in offered
    assert "gesundheit-und-pflege" in offered


def test_with_a_place_the_subject_links_keep_it_and_count_only_there(magic):
    near = run(q="Zauberkunzt", place="55116", radius=10)
    far = run(q="Zauberkunzt", place="20095", radius=10)  # Hamburg: no magic there
    link = next(link for link in near.closest_subjects if link.subject.slug == "zauberkunst")
    assert parse_qs(urlsplit(link.url).query) == {
        "place": ["55116"],
        "radius": ["10"],
        "subject": ["zauberkunst"],
    }
    assert "zauberkunst" not in [link.subject.slug for link in far.closest_subjects]


def test_nothing_close_offers_the_subject_areas():
    result = run(q="xyzzyqwerty")
    assert result.count == 0
    assert result.closest_subjects == []
    assert len(result.subject_areas) >= 5
    assert all(link.subject.parent_id is None and link.count for link in result.subject_areas)


def test_closest_subjects_cost_one_query_whatever_the_number_of_subjects(
    magic, django_assert_num_queries
):
    search_help.subject_labels()  # once per reference generation
    with django_assert_num_queries(1):
        search_help.subject_scores("Zauberkunzt Kartentrix")


# Counselling ---------------------------------------------------------------------------------


def counselling_slugs(result):
    return [offer.slug for offer in result.counselling.offers]


def test_without_a_place_counselling_offers_of_the_catalogue_are_shown():
    result = run(q="xyzzyqwerty")
    counselling = set(
        Course.objects.public().filter(kind=Course.Kind.COUNSELLING).values_list("slug", flat=True)
    )
    assert 1 <= len(result.counselling.offers) <= 3
    assert set(counselling_slugs(result)) <= counselling
    assert result.counselling.count == len(counselling)
    assert parse_qs(urlsplit(result.counselling.url).query) == {"kind": ["counselling"]}


def test_with_a_place_the_nearest_counselling_comes_first(provider):
    # Leipzig: the demo data has no counselling within 100 km.
    leipzig, halle = make_venue(provider, "04109"), make_venue(provider, "06108")
    make_course(
        provider, "Beratung in Halle", kind=Course.Kind.COUNSELLING, dates=[{"venue": halle}]
    )
    make_course(
        provider, "Beratung in Leipzig", kind=Course.Kind.COUNSELLING, dates=[{"venue": leipzig}]
    )
    result = run(q="xyzzyqwerty", place="04109", radius=10)
    titles = [offer.title for offer in result.counselling.offers]
    assert titles[0] == "Beratung in Leipzig"
    assert result.counselling.offers[0].distance < 1
    # Within the radius first, then what serves any place, then farther ones (Halle: 32 km).
    assert "Beratung in Halle" not in titles[:1]
    located = [offer.distance for offer in result.counselling.offers if offer.distance is not None]
    assert located == sorted(located) and all(km <= 100 for km in located)
    query = parse_qs(urlsplit(result.counselling.url).query)
    assert query == {"place": ["04109"], "radius": ["10"], "kind": ["counselling"]}
    assert result.counselling.count == 1
    wider = run(q="xyzzyqwerty", place="04109", radius=50)
    assert [offer.title for offer in wider.counselling.offers][:2] == [
        "Beratung in Leipzig",
        "Beratung in Halle",
    ]
    assert wider.counselling.count == 2


def test_counselling_by_telephone_serves_a_place_without_counselling_nearby(provider):
    make_course(
        provider,
        "Weiterbildungsberatung am Telefon",
        kind=Course.Kind.COUNSELLING,
        dates=[{"mode": "online"}],
    )
    result = run(q="xyzzyqwerty", place="01067", radius=5)  # Dresden: no counselling there
    assert "Weiterbildungsberatung am Telefon" in [
        offer.title for offer in result.counselling.offers
    ]
    # Nothing within the radius: the link to all counselling offers leaves the place out.
    assert parse_qs(urlsplit(result.counselling.url).query) == {"kind": ["counselling"]}


def test_a_search_that_finds_enough_shows_no_help(provider, mainz):
    for number in range(3):
        make_course(provider, f"Aquarellmalerei {number}", dates=[{"venue": mainz}])
    result = run(q="Aquarellmalerei")
    assert result.count == 3
    assert result.counselling is None and result.closest_subjects == []


# The page ------------------------------------------------------------------------------------


def test_the_empty_result_page_shows_subjects_and_counselling_under_headings(client, magic):
    soup = page(client, q="Zauberkunzt")
    help_section = soup.select_one("section.help")
    headings = [h.name for h in soup.find_all(["h1", "h2", "h3", "h4"])]
    assert headings[:3] == ["h1", "h2", "h3"] and "h4" in headings
    subjects = help_section.find(id="help-subjects-title").find_parent("section")
    link = subjects.find("a", string="Zauberkunst")
    assert "(2 Kurse)" in link.find_parent("li").get_text(" ", strip=True)
    assert result_count(client, link["href"]) == 2
    counselling = help_section.find(id="help-counselling-title").find_parent("section")
    assert counselling.find("h4").get_text(strip=True) == "Lassen Sie sich beraten"
    links = counselling.find_all("a")
    assert 2 <= len(links) <= 4
    for offer in links[:-1]:
        assert client.get(offer["href"]).status_code == 200
    total = links[-1]
    assert total.get_text(strip=True).startswith("Alle ")
    count = int(total.get_text(strip=True).split()[1])
    assert result_count(client, total["href"]) == count


def test_did_you_mean_links_to_the_proper_spelling_and_keeps_the_place(client, provider, mainz):
    make_course(provider, "Mechatroniker kompakt", dates=[{"venue": mainz}])
    refresh_words()
    soup = page(client, q="mechtronikerin", place="55116")  # more than a slip: offered
    link = soup.select_one(".suggestions a")
    assert link.get_text() == "Mechatroniker"
    assert parse_qs(urlsplit(link["href"]).query) == {"q": ["Mechatroniker"], "place": ["55116"]}
    assert result_count(client, link["href"]) >= 1


def test_every_link_of_the_help_answers(client):
    for params in ({"q": "xyzzyqwerty"}, {"q": "Erste Hilfe", "place": "55116", "radius": "10"}):
        help_section = page(client, **params).select_one("section.help")
        hrefs = [a["href"] for a in help_section.find_all("a")]
        assert len(hrefs) >= 3
        for href in hrefs:
            url = href if href.startswith("/") else "/kurse/" + href
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "params",
    [
        {"q": "%%%"},
        {"q": "’„“ — …"},
        {"q": "a" * 500},
        {"q": "x", "place": "00000"},
        {"q": "x", "place": "Nirgendwo", "radius": "-3"},
        {"q": "x", "region": "99", "subject": "gibt-es-nicht"},
        {"q": "\x00"},
        {"q": "ü ö ä ß é 123 456"},
        {"q": "kurs seminar lehrgang"},
        {"q": "x", "kind": "counselling", "place": "55116"},
    ],
)
def test_odd_input_gets_a_page_not_an_error(client, params):
    response = client.get("/kurse/", params)
    assert response.status_code in (200, 400)


def test_the_help_costs_the_same_queries_however_large_the_catalogue(
    client, provider, mainz, magic
):
    params = {"q": "Zauberkunzt", "place": "55116"}
    client.get("/kurse/", params)  # once per process and generation: vocabularies, synonyms
    with CaptureQueriesContext(connection) as few:
        client.get("/kurse/", params)
    for number in range(12):
        subject = Subject.objects.create(
            name=f"Zauberkunst {number}", slug=f"zauberkunst-{number}", parent=magic.parent
        )
        make_course(provider, f"Trick {number}", subjects=[subject], dates=[{"venue": mainz}])
        make_course(
            provider, f"Beratung {number}", kind=Course.Kind.COUNSELLING, dates=[{"venue": mainz}]
        )
    client.get("/kurse/", params)
    with CaptureQueriesContext(connection) as many:
        soup = BeautifulSoup(client.get("/kurse/", params).content, "lxml")
    assert len(soup.select("#help-subjects-title ~ ul li")) == search_help.MAX_SUBJECTS
    assert len(soup.select(".help__offers li")) == search_help.MAX_COUNSELLING
    assert len(many) == len(few) <= 10
