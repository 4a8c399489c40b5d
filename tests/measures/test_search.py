"""The course search: free text, synonyms, suggestions, every filter, facets, sorting, paging."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict

from core import generations
from measures import search
from measures.course_search import MAX_PAGE, PAGE_SIZE, course_search
from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Subject,
    Synonym,
    TargetGroup,
)
from tests.factories import make_course, make_provider, make_venue, refresh_words, today

pytestmark = pytest.mark.django_db


def run(provider=None, **params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list | tuple):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = str(value)
    if provider is not None:
        query["provider"] = provider.slug
    return course_search(params=query)


def titles(result):
    return [course.title for course in result.page.object_list]


@pytest.fixture
def provider():
    return make_provider("Volkshochschule Testdorf")


@pytest.fixture
def mainz(provider):
    return make_venue(provider, "55116", step_free_access=True)


@pytest.fixture
def bingen(provider):
    return make_venue(provider, "55411")


# Free text ------------------------------------------------------------------------------------


def test_umlauts_and_their_spelt_out_forms_find_each_other(provider, mainz):
    make_course(provider, "Führerschein-Theorie für Pflegekräfte", dates=[{"venue": mainz}])
    assert titles(run(provider, q="Fuehrerschein")) == ["Führerschein-Theorie für Pflegekräfte"]
    assert titles(run(provider, q="führerschein")) == ["Führerschein-Theorie für Pflegekräfte"]


def test_inflected_forms_match(provider, mainz):
    make_course(provider, "Weiterbildung in der Altenhilfe", dates=[{"venue": mainz}])
    assert titles(run(provider, q="Weiterbildungen")) == ["Weiterbildung in der Altenhilfe"]


def test_last_word_is_matched_as_prefix(provider, mainz):
    make_course(provider, "Mechatroniker – Nachqualifizierung", dates=[{"venue": mainz}])
    assert titles(run(provider, q="Nachqualifizierung Mechatr")) == [
        "Mechatroniker – Nachqualifizierung"
    ]
    # Only the last word is a prefix: the other is left out, and the page says so.
    partial = run(provider, q="Mechatr Nachqualifizierung")
    assert partial.partial and partial.page.object_list[0].missing == ["Mechatr"]


def test_title_match_ranks_above_keyword_above_description(provider, mainz):
    make_course(
        provider, "Kochen", description="Mit Gewürzen aus aller Welt.", dates=[{"venue": mainz}]
    )
    make_course(provider, "Kulinarik", keywords=["Gewürze"], dates=[{"venue": mainz}])
    make_course(provider, "Gewürze der Welt", dates=[{"venue": mainz}])
    assert titles(run(provider, q="Gewürze")) == ["Gewürze der Welt", "Kulinarik", "Kochen"]


def test_provider_name_and_place_are_searchable(provider, bingen):
    make_course(provider, "Yoga am Morgen", dates=[{"venue": bingen}])
    assert titles(run(provider, q="Testdorf Yoga")) == ["Yoga am Morgen"]
    assert titles(run(provider, q="Bingen")) == ["Yoga am Morgen"]


def test_matches_are_highlighted_and_text_is_escaped(provider, mainz):
    make_course(
        provider,
        "Englisch <b>für</b> den Beruf",
        summary="Englisch im Büro: E-Mails, Telefonate und Besprechungen.",
        dates=[{"venue": mainz}],
    )
    course = run(provider, q="Englisch").page.object_list[0]
    assert "<mark>Englisch</mark>" in course.title_html
    assert "&lt;b&gt;" in course.title_html
    assert "<mark>Englisch</mark> im Büro" in course.snippet_html


def test_search_page_shows_highlighted_results(client, provider, mainz):
    make_course(provider, "Spanisch für die Reise", dates=[{"venue": mainz}])
    response = client.get("/kurse/", {"q": "Spanisch", "provider": provider.slug})
    page = BeautifulSoup(response.content, "lxml")
    assert page.select_one(".cards .card h3 a mark").get_text() == "Spanisch"


# Synonyms and suggestions -------------------------------------------------------------------------


def test_synonyms_from_admin_apply_at_once(provider, mainz):
    Synonym.objects.all().delete()  # without the shipped thesaurus
    make_course(provider, "Computer für Einsteiger", dates=[{"venue": mainz}])
    assert titles(run(provider, q="EDV")) == []
    Synonym.objects.create(term="EDV", alternatives="Computer, PC")
    assert titles(run(provider, q="EDV")) == ["Computer für Einsteiger"]


def test_multi_word_synonyms_match_the_phrase(provider, mainz):
    Synonym.objects.all().delete()  # without the shipped thesaurus
    make_course(provider, "Pflege älterer Menschen zu Hause", dates=[{"venue": mainz}])
    make_course(provider, "Menschen und Pflanzen: ältere Sorten pflegen", dates=[{"venue": mainz}])
    Synonym.objects.create(term="Altenpflege", alternatives="Pflege älterer Menschen")
    assert titles(run(provider, q="Altenpflege")) == ["Pflege älterer Menschen zu Hause"]


def test_inactive_synonyms_are_ignored(provider, mainz):
    Synonym.objects.all().delete()  # without the shipped thesaurus
    make_course(provider, "Computer für Einsteiger", dates=[{"venue": mainz}])
    Synonym.objects.create(term="EDV", alternatives="Computer", is_active=False)
    assert titles(run(provider, q="EDV")) == []


def test_typo_gets_did_you_mean_from_the_indexed_vocabulary(provider, mainz):
    make_course(provider, "Mechatroniker kompakt", dates=[{"venue": mainz}])
    refresh_words()
    assert "Mechatroniker" in search.suggestions("Mechatronicker")
    # A slip of the keyboard that finds nothing shows what the spelling finds.
    result = run(provider, q="Mechatronicker")
    assert result.corrected_from == "Mechatronicker"
    assert titles(result) == ["Mechatroniker kompakt"]


def test_a_suggestion_that_is_more_than_a_slip_is_only_offered(provider, mainz):
    make_course(provider, "Mechatroniker kompakt", dates=[{"venue": mainz}])
    refresh_words()
    result = run(provider, q="Mechtronikerin")
    assert result.count == 0 and result.corrected_from == ""
    assert result.suggestions


def test_did_you_mean_is_shown_and_links_to_the_suggestion(client, provider, mainz):
    make_course(provider, "Buchhaltung mit DATEV", dates=[{"venue": mainz}])
    # One course has the typo in its description: the search finds little, and offers more.
    make_course(provider, "Kassenbuch", description="Buchhaltnug", dates=[{"venue": mainz}])
    refresh_words()
    page = BeautifulSoup(client.get("/kurse/", {"q": "Buchhaltnug"}).content, "lxml")
    link = page.select_one(".suggestions a")
    assert link.get_text() == "Buchhaltung"
    assert link["href"] == "?q=Buchhaltung"


# Filters ---------------------------------------------------------------------------------------


def test_region_includes_everything_below_it(provider, mainz, bingen):
    make_course(provider, "Kurs in Mainz", dates=[{"venue": mainz}])
    make_course(provider, "Kurs in Bingen", dates=[{"venue": bingen}])
    assert sorted(titles(run(provider, region="07"))) == ["Kurs in Bingen", "Kurs in Mainz"]
    assert titles(run(provider, region="07339")) == ["Kurs in Bingen"]
    assert titles(run(provider, region="02")) == []


def test_radius_search_uses_the_distance_from_the_postal_code_centre(provider, mainz, bingen):
    make_course(provider, "Kurs in Mainz", dates=[{"venue": mainz}])
    make_course(provider, "Kurs in Bingen", dates=[{"venue": bingen}])
    # Bingen am Rhein lies about 27 km from the centre of Mainz.
    assert titles(run(provider, place="55116", radius=10)) == ["Kurs in Mainz"]
    result = run(provider, place="55116", radius=50, sort="distance")
    assert titles(result) == ["Kurs in Mainz", "Kurs in Bingen"]
    distances = [course.distance for course in result.page.object_list]
    assert distances[0] < 3 and 24 < distances[1] < 31


def test_place_name_works_like_its_postal_code(provider, mainz, bingen):
    make_course(provider, "Kurs in Bingen", dates=[{"venue": bingen}])
    assert titles(run(provider, place="Bingen am Rhein", radius=5)) == ["Kurs in Bingen"]


def test_unknown_postal_code_says_so_instead_of_guessing(provider, mainz):
    make_course(provider, "Kurs in Mainz", dates=[{"venue": mainz}])
    result = run(provider, place="00000")
    assert any("00000" in error and "kennen wir nicht" in error for error in result.errors)
    # The rest of the search still runs, without a place.
    assert titles(result) == ["Kurs in Mainz"]


def test_ambiguous_place_name_offers_a_choice(client):
    response = client.get("/kurse/", {"place": "Neuenkirchen"})
    page = BeautifulSoup(response.content, "lxml")
    choices = page.select("[role=alert] li a")
    assert len(choices) >= 2
    assert all("place=" in link["href"] for link in choices)


def test_place_with_namesakes_is_used_and_the_others_are_offered(client):
    response = client.get("/kurse/", {"place": "Bingen"})
    page = BeautifulSoup(response.content, "lxml")
    assert not page.select("[role=alert]")
    others = page.select(".place-alternatives a")
    assert any("Bingen am Rhein" in link.get_text() for link in others)


def test_start_date_range_and_rolling_start(provider, mainz):
    soon = today() + timedelta(days=5)
    later = today() + timedelta(days=60)
    make_course(provider, "Bald", dates=[{"venue": mainz, "start_date": soon}])
    make_course(provider, "Später", dates=[{"venue": mainz, "start_date": later}])
    make_course(provider, "Jederzeit", dates=[{"venue": mainz, "rolling_start": True}])
    until = (today() + timedelta(days=30)).isoformat()
    assert sorted(titles(run(provider, date_to=until))) == ["Bald", "Jederzeit"]
    after = (today() + timedelta(days=30)).isoformat()
    assert sorted(titles(run(provider, date_from=after))) == ["Jederzeit", "Später"]
    assert titles(run(provider, rolling="true")) == ["Jederzeit"]


def test_date_filters_hold_for_the_same_date(provider, mainz, bingen):
    soon = today() + timedelta(days=5)
    later = today() + timedelta(days=60)
    make_course(
        provider,
        "Zwei Termine",
        dates=[{"venue": mainz, "start_date": later}, {"venue": bingen, "start_date": soon}],
    )
    until = (today() + timedelta(days=30)).isoformat()
    assert titles(run(provider, date_to=until, region="07339")) == ["Zwei Termine"]
    assert titles(run(provider, date_to=until, region="07315")) == []


def test_weekdays_and_time_of_day(provider, mainz):
    make_course(
        provider, "Montagabend", dates=[{"venue": mainz, "weekdays": [0], "start_time": time(18)}]
    )
    make_course(
        provider,
        "Dienstagvormittag",
        dates=[{"venue": mainz, "weekdays": [1], "start_time": time(9), "end_time": time(12)}],
    )
    make_course(
        provider,
        "Samstag",
        dates=[{"venue": mainz, "weekdays": [5], "start_time": time(10), "end_time": time(16)}],
    )
    assert titles(run(provider, weekday=[0])) == ["Montagabend"]
    assert sorted(titles(run(provider, weekday=[1, 5]))) == ["Dienstagvormittag", "Samstag"]
    assert titles(run(provider, time="evening")) == ["Montagabend"]
    assert sorted(titles(run(provider, time="morning"))) == ["Dienstagvormittag", "Samstag"]
    assert titles(run(provider, time="weekend")) == ["Samstag"]
    assert titles(run(provider, time="morning", weekday=[5])) == ["Samstag"]


def test_mode(provider, mainz):
    make_course(provider, "Vor Ort", dates=[{"venue": mainz}])
    make_course(provider, "Im Netz", dates=[{"mode": CourseDate.Mode.ONLINE}])
    assert titles(run(provider, mode="online")) == ["Im Netz"]
    assert sorted(titles(run(provider, mode=["online", "in_person"]))) == ["Im Netz", "Vor Ort"]


def test_maximum_price_and_free_of_charge(provider, mainz):
    make_course(provider, "Teuer", price=Decimal("500"), dates=[{"venue": mainz}])
    make_course(provider, "Günstig", price=Decimal("40"), dates=[{"venue": mainz}])
    make_course(
        provider, "Frei", price=None, price_kind=Course.PriceKind.FREE, dates=[{"venue": mainz}]
    )
    make_course(
        provider,
        "Termin frei",
        price=Decimal("90"),
        dates=[{"venue": mainz, "price": Decimal("0")}],
    )
    make_course(
        provider,
        "Auf Anfrage",
        price=None,
        price_kind=Course.PriceKind.ON_REQUEST,
        dates=[{"venue": mainz}],
    )
    assert sorted(titles(run(provider, max_price=50))) == ["Frei", "Günstig", "Termin frei"]
    assert sorted(titles(run(provider, free="true"))) == ["Frei", "Termin frei"]


def test_funding_certificate_target_group_language_kind(provider, mainz):
    voucher = FundingType.objects.filter(kind=FundingType.Kind.EDUCATION_VOUCHER).first()
    leave_rlp = FundingType.objects.get(kind=FundingType.Kind.EDUCATIONAL_LEAVE, state__key="07")
    certificate = CertificateKind.objects.first()
    group = TargetGroup.objects.first()
    make_course(provider, "Mit Gutschein", funding=[voucher], dates=[{"venue": mainz}])
    make_course(provider, "Bildungsurlaub", funding=[leave_rlp], dates=[{"venue": mainz}])
    make_course(provider, "Mit Abschluss", certificate_kind=certificate, dates=[{"venue": mainz}])
    make_course(provider, "Für Gruppe", target_groups=[group], dates=[{"venue": mainz}])
    make_course(
        provider,
        "English course",
        language="en",
        kind=Course.Kind.SEMINAR,
        dates=[{"venue": mainz}],
    )
    assert titles(run(provider, funding=voucher.slug)) == ["Mit Gutschein"]
    assert titles(run(provider, funding=leave_rlp.slug)) == ["Bildungsurlaub"]
    assert sorted(titles(run(provider, funding=[voucher.slug, leave_rlp.slug]))) == [
        "Bildungsurlaub",
        "Mit Gutschein",
    ]
    assert titles(run(provider, certificate=certificate.slug)) == ["Mit Abschluss"]
    assert titles(run(provider, target_group=group.slug)) == ["Für Gruppe"]
    assert titles(run(provider, language="en")) == ["English course"]
    assert titles(run(provider, kind="seminar")) == ["English course"]


def test_subject_parent_includes_its_children(provider, mainz):
    parent = Subject.objects.filter(parent__isnull=True, children__isnull=False).first()
    child = parent.children.first()
    make_course(provider, "Im Untergebiet", subjects=[child], dates=[{"venue": mainz}])
    make_course(provider, "Im Obergebiet", subjects=[parent], dates=[{"venue": mainz}])
    assert sorted(titles(run(provider, subject=parent.slug))) == ["Im Obergebiet", "Im Untergebiet"]
    assert titles(run(provider, subject=child.slug)) == ["Im Untergebiet"]


def test_accessibility_of_the_venue_and_of_the_course(provider, mainz, bingen):
    make_course(provider, "Stufenlos", dates=[{"venue": mainz}])
    make_course(provider, "Mit Stufen", dates=[{"venue": bingen}])
    make_course(provider, "Mit Kinderbetreuung", childcare=True, dates=[{"venue": bingen}])
    assert titles(run(provider, access="step_free")) == ["Stufenlos"]
    assert titles(run(provider, access="childcare")) == ["Mit Kinderbetreuung"]
    assert titles(run(provider, access=["childcare", "step_free"])) == []


def test_filters_combine(provider, mainz, bingen):
    make_course(provider, "Englisch am Abend", dates=[{"venue": mainz, "start_time": time(18)}])
    make_course(
        provider,
        "Englisch am Morgen",
        dates=[{"venue": mainz, "start_time": time(8), "end_time": time(10)}],
    )
    make_course(provider, "Englisch in Bingen", dates=[{"venue": bingen, "start_time": time(18)}])
    make_course(provider, "Französisch am Abend", dates=[{"venue": mainz, "start_time": time(18)}])
    result = run(provider, q="Englisch", time="evening", place="55116", radius=10)
    assert titles(result) == ["Englisch am Abend"]


# The freshness rule --------------------------------------------------------------------------


def test_only_published_current_courses_appear(provider, mainz):
    past = today() - timedelta(days=30)
    make_course(provider, "Aktuell", dates=[{"venue": mainz}])
    make_course(
        provider,
        "Läuft noch",
        dates=[{"venue": mainz, "start_date": past, "end_date": today() + timedelta(days=3)}],
    )
    make_course(provider, "Vorbei", dates=[{"venue": mainz, "start_date": past, "end_date": past}])
    make_course(
        provider,
        "Abgesagt",
        dates=[{"venue": mainz, "booking_status": CourseDate.BookingStatus.CANCELLED}],
    )
    make_course(provider, "Entwurf", status=Course.Status.DRAFT, dates=[{"venue": mainz}])
    make_course(provider, "Ohne Termin", dates=[])
    assert sorted(titles(run(provider))) == ["Aktuell", "Läuft noch"]


def test_a_course_leaves_the_search_when_its_last_date_passes(provider, mainz):
    course = make_course(provider, "Bald vorbei", dates=[{"venue": mainz, "start_date": today()}])
    assert titles(run(provider)) == ["Bald vorbei"]
    course.dates.update(start_date=today() - timedelta(days=1))
    generations.bump()  # every write path refreshes the index, which invalidates cached counts
    result = run(provider)
    assert titles(result) == [] and result.count == 0


def test_the_index_is_built_once_per_generation_and_anew_after_a_change(provider, mainz):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def index_reads(captured):
        """The index's three reads: the courses, their links, their current dates."""
        marks = ("OVER (ORDER BY c.title", "unnest(c.facet_subjects)", "2147483648")
        return [q for q in captured.captured_queries if any(m in q["sql"] for m in marks)]

    make_course(provider, "Erster Kurs", dates=[{"venue": mainz}])
    with CaptureQueriesContext(connection) as first:
        assert run(provider).count == 1
    with CaptureQueriesContext(connection) as second:
        assert run(provider, q="Kurs").count == 1
    assert len(index_reads(first)) == 3  # courses, their links, their dates
    assert not index_reads(second)
    make_course(provider, "Zweiter Kurs", dates=[{"venue": mainz}])  # a new generation
    with CaptureQueriesContext(connection) as third:
        assert run(provider).count == 2
    assert len(index_reads(third)) == 3


# Facets --------------------------------------------------------------------------------------


def test_each_facet_count_is_what_choosing_it_gives(provider, mainz, bingen):
    subjects = list(Subject.objects.filter(parent__isnull=True)[:2])
    child = Subject.objects.filter(parent=subjects[0]).first()
    voucher, leave = FundingType.objects.all()[:2]
    groups = list(TargetGroup.objects.all()[:2])
    morning = {"start_time": time(9, 0)}
    make_course(provider, "A", subjects=[subjects[0]], funding=[voucher], dates=[{"venue": mainz}])
    make_course(
        provider,
        "B",
        subjects=[subjects[0], child],
        target_groups=groups,
        dates=[{"venue": bingen, "mode": "blended", **morning}],
    )
    make_course(
        provider,
        "C",
        subjects=[subjects[1]],
        funding=[voucher, leave],
        kind="seminar",
        dates=[{"mode": "online", **morning}],
    )
    make_course(
        provider,
        "D",
        subjects=[subjects[1]],
        target_groups=groups[:1],
        dates=[{"venue": mainz}, {"mode": "online", **morning}],
    )
    for params in (
        {},
        {"mode": "online"},
        {"subject": subjects[0].slug},
        {"region": "07"},
        {"time": "morning"},  # a date filter: mode and region count the dates meeting it
        {"time": "evening", "region": "07"},
        {"funding": voucher.slug, "target_group": groups[0].slug},
    ):
        result = run(provider, **params)
        for facet in result.facets:
            for option in facet.options:
                chosen = dict(params)
                if facet.multiple:
                    chosen[facet.name] = [option.value]
                else:
                    chosen[facet.name] = option.value
                assert run(provider, **chosen).count == option.count, (params, facet.name, option)


def test_facets_list_the_options_with_counts(provider, mainz):
    make_course(provider, "A", dates=[{"venue": mainz}, {"mode": "online"}])
    make_course(provider, "B", dates=[{"mode": "online"}])
    facets = {facet.name: facet for facet in run(provider).facets}
    modes = {option.value: option.count for option in facets["mode"].options}
    assert modes == {"in_person": 1, "online": 2}
    regions = {option.value: option.count for option in facets["region"].options}
    assert regions == {"07": 1}
    districts = {
        option.value: option.count
        for option in {f.name: f for f in run(provider, region="07").facets}["region"].options
    }
    assert districts == {"07315": 1}


# Sorting, paging, robustness -------------------------------------------------------------------


def test_sort_by_date_and_price(provider, mainz):
    make_course(
        provider,
        "Später teuer",
        price=Decimal("300"),
        dates=[{"venue": mainz, "start_date": today() + timedelta(days=40)}],
    )
    make_course(
        provider,
        "Bald günstig",
        price=Decimal("30"),
        dates=[{"venue": mainz, "start_date": today() + timedelta(days=2)}],
    )
    make_course(
        provider,
        "Mittel",
        price=Decimal("100"),
        dates=[{"venue": mainz, "start_date": today() + timedelta(days=20)}],
    )
    assert titles(run(provider, sort="date")) == ["Bald günstig", "Mittel", "Später teuer"]
    assert titles(run(provider, sort="price")) == ["Bald günstig", "Mittel", "Später teuer"]


def test_unknown_sort_key_falls_back_to_default(provider, mainz):
    make_course(provider, "Kurs", dates=[{"venue": mainz}])
    result = run(provider, sort="title; DROP TABLE measures_course")
    assert result.sort == "date" and titles(result) == ["Kurs"]


def test_pagination_page_size_and_cap(provider, mainz):
    for number in range(PAGE_SIZE + 3):
        make_course(provider, f"Kurs {number:02d}", dates=[{"venue": mainz}])
    assert len(run(provider).page.object_list) == PAGE_SIZE
    assert len(run(provider, page=2).page.object_list) == 3
    assert run(provider, page=10**30).page.number == 2
    assert run(provider, page="abc").page.number == 1
    assert MAX_PAGE <= 1000


@pytest.mark.parametrize(
    "params, message",
    [
        ({"radius": "abc"}, "Umkreis"),
        ({"radius": "1000"}, "Umkreis"),
        ({"date_from": "2026-13-45"}, "Beginn ab"),
        ({"subject": "does-not-exist"}, "Thema"),
        ({"region": "99"}, "Region"),
        ({"max_price": "-5"}, "Preis"),
        ({"weekday": "9"}, "Wochentage"),
    ],
)
def test_bad_parameters_give_a_message_and_results_for_the_rest(
    client, provider, mainz, params, message
):
    make_course(provider, "Kurs", dates=[{"venue": mainz}])
    response = client.get("/kurse/", {**params, "provider": provider.slug})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "lxml")
    alert = page.select_one("[role=alert]").get_text(" ", strip=True)
    assert message in alert
    assert [a.get_text(strip=True) for a in page.select(".cards .card h3 a")] == ["Kurs"]


def test_an_unknown_vocabulary_value_is_named_without_control_characters(client):
    response = client.get("/kurse/", {"subject": "\x00\x01Imkerei\x7f", "funding": "<b>x</b>"})
    alert = BeautifulSoup(response.content, "lxml").select_one("[role=alert]")
    text = alert.get_text(" ", strip=True)
    assert "„Imkerei“" in text and "„<b>x</b>“" in text
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in response.content.decode())


def test_oversized_and_garbage_parameters_do_not_fail(client):
    response = client.get("/kurse/", {"q": "x" * 10000, "place": "\x00" * 10, "page": "-1"})
    assert response.status_code == 200


def help_text(client, params):
    page = BeautifulSoup(client.get("/kurse/", params).content, "lxml")
    return page.select_one(".help").get_text(" ", strip=True).replace(" :", ":")


def test_empty_search_says_which_filter_to_drop(client, provider, mainz):
    make_course(provider, "Englisch am Abend", dates=[{"venue": mainz, "start_time": time(18)}])
    text = help_text(client, {"q": "Englisch", "time": "morning", "provider": provider.slug})
    assert "ohne „Tageszeit“: 1 Kurs" in text


def test_empty_search_offers_a_wider_radius(client, provider, bingen):
    make_course(provider, "Englisch in Bingen", dates=[{"venue": bingen}])
    text = help_text(client, {"place": "55116", "radius": "10", "provider": provider.slug})
    assert "im Umkreis von 50 km: 1 Kurs" in text


def test_empty_search_offers_the_text_alone_when_several_filters_block(client, provider, bingen):
    make_course(provider, "Englisch in Bingen", dates=[{"venue": bingen, "start_time": time(18)}])
    params = {"q": "Englisch", "place": "55116", "radius": "10", "time": "morning"}
    assert "nur mit dem Suchbegriff, ohne Filter" in help_text(client, params)


def test_a_place_search_finds_courses_held_there_and_offers_online_ones(client, provider, bingen):
    make_course(provider, "Englisch online", dates=[{"mode": "online"}])
    make_course(provider, "Englisch in Bingen", dates=[{"venue": bingen}])
    assert titles(run(provider, place="55411", radius=10)) == ["Englisch in Bingen"]
    assert titles(run(provider, place="19053", radius=10)) == []
    text = help_text(client, {"place": "19053", "radius": "10", "provider": provider.slug})
    assert "ohne „Postleitzahl oder Ort“: 2 Kurse" in text


def test_active_filters_are_removable_chips(client, provider, mainz):
    make_course(provider, "Kurs", dates=[{"venue": mainz}])
    response = client.get("/kurse/", {"mode": ["online", "in_person"], "provider": provider.slug})
    chips = BeautifulSoup(response.content, "lxml").select(".chips a.chip")
    labels = [chip.get_text(" ", strip=True) for chip in chips]
    assert any("online" in label for label in labels)
    online_chip = next(chip for chip in chips if "online" in chip.get_text())
    assert "mode=in_person" in online_chip["href"] and "mode=online" not in online_chip["href"]


def test_search_page_query_count_is_constant(
    client, provider, mainz, django_assert_max_num_queries
):
    client.get("/kurse/")  # once per process: vocabularies, the day's renewal of summaries
    for number in range(5):
        make_course(provider, f"Englisch {number}", dates=[{"venue": mainz}, {"mode": "online"}])
    params = {"q": "Englisch", "place": "55116", "mode": "in_person", "time": "evening"}
    with django_assert_max_num_queries(10):
        client.get("/kurse/", params)
    for number in range(20):
        make_course(provider, f"Englisch mehr {number}", dates=[{"venue": mainz}])
    with django_assert_max_num_queries(10):
        client.get("/kurse/", params)
    with django_assert_max_num_queries(10):
        client.get("/kurse/")


def test_a_search_with_every_filter_stays_within_ten_queries(
    client, provider, mainz, django_assert_max_num_queries
):
    make_course(provider, "Englisch am Abend", dates=[{"venue": mainz}])
    client.get("/kurse/")  # once per process: vocabularies, the day's renewal of summaries
    params = {
        "q": "Englisch Konversation",
        "region": "07",
        "place": "55116",
        "radius": "10",
        "date_from": str(today()),
        "date_to": str(today() + timedelta(days=90)),
        "weekday": ["0", "1"],
        "time": ["evening", "morning"],
        "mode": "in_person",
        "max_price": "100",
        "free": "true",
        "funding": list(FundingType.objects.values_list("slug", flat=True)[:2]),
        "certificate": list(CertificateKind.objects.values_list("slug", flat=True)[:2]),
        "target_group": list(TargetGroup.objects.values_list("slug", flat=True)[:2]),
        "subject": Subject.objects.filter(parent__isnull=True).first().slug,
        "language": "de",
        "access": ["step_free", "childcare"],
        "provider": provider.slug,
        "kind": "course",
        "sort": "date",
        "page": "2",
    }
    with django_assert_max_num_queries(10):
        response = client.get("/kurse/", params)
    assert response.status_code == 200


# The index stays current when data changes in admin ------------------------------------------


def test_renaming_a_subject_in_admin_updates_the_search_at_once(admin_client, provider, mainz):
    subject = Subject.objects.filter(parent__isnull=False).first()
    make_course(provider, "Ein Kurs", subjects=[subject], dates=[{"venue": mainz}])
    assert titles(run(provider, q="Zauberkunde")) == []
    response = admin_client.post(
        f"/admin/measures/subject/{subject.pk}/change/",
        {
            "name": "Zauberkunde",
            "slug": subject.slug,
            "parent": subject.parent_id,
            "description": "",
            "position": subject.position,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert titles(run(provider, q="Zauberkunde")) == ["Ein Kurs"]


def test_renaming_a_venue_city_in_admin_updates_the_search(admin_client, provider, mainz):
    make_course(provider, "Ein Kurs", dates=[{"venue": mainz}])
    response = admin_client.get(f"/admin/network/venue/{mainz.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data["city"] = "Gonsenheim"
    for key, value in list(data.items()):
        if value is True:
            data[key] = "on"
        elif value is False:
            del data[key]
    response = admin_client.post(f"/admin/network/venue/{mainz.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    assert titles(run(provider, q="Gonsenheim")) == ["Ein Kurs"]


# Chips -----------------------------------------------------------------------------------------


def chip_links(response):
    """Each chip of the page: its text (without the hidden "Filter entfernen:") and the
    parameters of its link."""
    page = BeautifulSoup(response.content, "lxml")
    found = []
    for chip in page.select(".chips a.chip"):
        for hidden in chip.select(".visually-hidden, [aria-hidden]"):
            hidden.extract()
        found.append((chip.get_text(" ", strip=True), QueryDict(chip["href"].lstrip("?"))))
    return found


def test_a_boolean_filter_chip_reads_its_label_alone(client, provider, mainz):
    make_course(provider, "Kurs", price=Decimal("0"), dates=[{"venue": mainz}])
    response = client.get("/kurse/", {"free": "true", "rolling": "true"})
    labels = [label for label, _params in chip_links(response)]
    assert "nur kostenfreie Angebote" in labels
    assert "nur mit Einstieg jederzeit" in labels
    assert not any("true" in label for label in labels)


def test_each_chip_drops_exactly_its_own_filter(client, provider, mainz):
    make_course(provider, "Englisch", dates=[{"venue": mainz}])
    params = {
        "q": "Englisch",
        "place": "55116",
        "radius": "50",
        "mode": ["online", "in_person"],
        "free": "true",
        "time": "evening",
        "provider": provider.slug,
        "sort": "date",
        "page": "2",
    }
    chips = chip_links(client.get("/kurse/", params))
    assert len(chips) == 7  # q, place, two modes, free, time, provider
    given = QueryDict(mutable=True)
    for key, value in params.items():
        given.setlist(key, value if isinstance(value, list) else [value])
    for label, remaining in chips:
        dropped = {
            (key, value)
            for key in given
            for value in given.getlist(key)
            if value not in remaining.getlist(key)
        }
        # Exactly one filter value goes, and the page with it (the radius with the place).
        names = {key for key, _value in dropped} - {"page"}
        assert names in ({"q"}, {"place", "radius"}, {"mode"}, {"free"}, {"time"}, {"provider"})
        assert len([key for key, _value in dropped if key not in ("page", "radius")]) == 1, label
        assert ("page", "2") in dropped and remaining.get("sort") == "date"
