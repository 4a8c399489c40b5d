"""The search's result cards and the price line, built in Python (measures.cards)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import mark_safe

from measures.cards import PriceWords, course_url_maker, price_text, result_cards
from measures.course_search import ResultDate, SearchResult
from tests.factories import make_course, make_provider, make_venue, today


def result(**fields) -> SearchResult:
    values = {
        "pk": 1,
        "slug": "englisch-fuer-den-beruf",
        "title": "Englisch für den Beruf",
        "summary": "Englisch im Büro.",
        "price": Decimal("240.00"),
        "price_kind": "fixed",
        "provider_name": "Volkshochschule Testdorf",
        "title_html": mark_safe("<mark>Englisch</mark> für den Beruf"),  # noqa: S308
        "snippet_html": mark_safe("<mark>Englisch</mark> im Büro."),  # noqa: S308
        "distance": None,
        "current_dates": [ResultDate(False, date(2027, 1, 2), "in_person", "Mainz")],
    }
    return SearchResult(**(values | fields))


def card(**fields):
    html = BeautifulSoup(f"<ol>{result_cards([result(**fields)])}</ol>", "lxml")
    cards = html.select("ol > li.card")
    assert len(cards) == 1
    return cards[0]


def meta(card_) -> list[str]:
    return [item.get_text() for item in card_.select("ul.meta > li")]


def test_a_card_shows_title_link_provider_next_date_place_and_price():
    shown = card()
    link = shown.select_one("h3 > a")
    assert link["href"] == "/kurse/englisch-fuer-den-beruf/"
    assert link.select_one("mark").get_text() == "Englisch"
    assert link.get_text() == "Englisch für den Beruf"
    assert meta(shown) == [
        "Volkshochschule Testdorf",
        "ab Sa, 02.01.2027",
        "in Präsenz, Mainz",
        "240,00 €",
    ]
    assert shown.select_one("p").get_text() == "Englisch im Büro."
    assert not shown.select(".missing")


def test_a_card_shows_distance_the_number_of_dates_and_the_missing_words():
    dates = [
        ResultDate(True, None, "online", None),
        ResultDate(False, date(2027, 3, 1), "in_person", "Bingen"),
    ]
    shown = card(distance=12.4, current_dates=dates, missing=["Abend", "Xylophon"])
    assert meta(shown) == [
        "Volkshochschule Testdorf",
        "Einstieg jederzeit",
        "online",
        "12 km entfernt",
        "240,00 €",
        "2 Termine",
    ]
    assert shown.select_one("p.missing").get_text() == "Ohne: „Abend“, „Xylophon“"


def test_a_card_without_dates_or_summary_leaves_them_out():
    shown = card(current_dates=[], snippet_html="", distance=0.0)
    assert meta(shown) == ["Volkshochschule Testdorf", "0 km entfernt", "240,00 €"]
    assert not shown.select("p")


def test_every_value_on_a_card_is_escaped():
    hostile = '<script>alert("x")</script> & Co'
    shown = card(
        title_html=hostile,  # not marked safe: escaped like everything else
        snippet_html=hostile,
        provider_name=hostile,
        current_dates=[ResultDate(False, date(2027, 1, 2), "in_person", hostile)],
        missing=[hostile],
    )
    assert not shown.select("script")
    assert shown.select_one("h3 a").get_text() == hostile
    assert meta(shown)[0] == hostile
    assert meta(shown)[2] == f"in Präsenz, {hostile}"
    assert hostile in shown.select_one("p.missing").get_text()
    raw = result_cards([result(provider_name=hostile)])
    assert escape(hostile) in raw and hostile not in raw


@pytest.mark.parametrize(
    ("price_kind", "price", "text"),
    [
        ("fixed", Decimal("240.00"), "240,00 €"),
        ("fixed", Decimal("1234.5"), "1.234,50 €"),
        ("fixed", None, "Preis auf Anfrage"),
        ("reduced", Decimal("80"), "80,00 € (ermäßigt möglich)"),
        ("free", None, "kostenfrei"),
        ("on_request", Decimal("50"), "Preis auf Anfrage"),
    ],
)
def test_price_text(price_kind, price, text):
    assert price_text(price_kind, price) == text
    assert meta(card(price_kind=price_kind, price=price))[-1] == text


def test_amounts_and_distances_read_as_the_template_filters_wrote_them():
    amounts = [
        "0",
        "0.5",
        "1",
        "9.99",
        "12.345",
        "999.995",
        "1000",
        "1234.5",
        "1000000",
        "9876543.21",
    ]
    for value in amounts:
        assert PriceWords().amount(Decimal(value)) == floatformat(Decimal(value), "2g"), value
    for km in [0.0, 0.49, 0.5, 1.5, 2.5, 12.4999, 99.5, 1234.6]:
        assert meta(card(distance=km))[-2] == f"{floatformat(km, '0')} km entfernt", km


@pytest.mark.django_db
def test_course_urls_on_cards_are_the_course_pages():
    course = make_course(make_provider(), "Kurs")
    assert course_url_maker()(course.slug) == course.get_absolute_url()


@pytest.mark.django_db
def test_the_search_page_shows_the_cards_in_result_order(client):
    provider = make_provider("Volkshochschule Testdorf")
    venue = make_venue(provider, "55116")
    start = today() + timedelta(days=14)
    make_course(provider, "Spanisch B", dates=[{"venue": venue, "start_date": start}])
    make_course(
        provider,
        "Spanisch A",
        price_kind="free",
        price=None,
        dates=[{"venue": venue, "start_date": start}, {"rolling_start": True, "venue": venue}],
    )
    response = client.get("/kurse/", {"q": "Spanisch", "place": "55116", "sort": "price"})
    page = BeautifulSoup(response.content, "lxml")
    cards = page.select("ol.cards > li.card")
    assert [c.select_one("h3 a").get_text() for c in cards] == ["Spanisch A", "Spanisch B"]
    first = meta(cards[0])
    assert first[0] == "Volkshochschule Testdorf"
    assert first[1].startswith("ab ") and first[1].endswith(start.strftime(", %d.%m.%Y"))
    assert first[2:] == ["in Präsenz, Mainz", "0 km entfernt", "kostenfrei", "2 Termine"]
    assert meta(cards[1])[-1] == "100,00 €"
