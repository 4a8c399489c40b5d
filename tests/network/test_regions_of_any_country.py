"""Regions of any country work alike: a region holds those of its country whose key starts
with its own (a country all of its country's), in every search, facet and region page. The
reference data has Germany with states and districts, and Austria as a country alone."""

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict

from measures.course_search import course_search
from measures.models import Course, CourseDate
from measures.provider_search import provider_search
from network.models import Membership, Network, Organisation, Region, Venue
from network.partner_directory import partner_directory
from tests.factories import make_course, make_venue

pytestmark = pytest.mark.django_db

WORD = "Wombatschule"


def query(**params) -> QueryDict:
    result = QueryDict(mutable=True)
    for key, value in params.items():
        result[key] = value
    return result


def soup(response):
    return BeautifulSoup(response.content, "lxml")


@pytest.fixture
def austria():
    """A provider in Austria (a country without finer regions) with one course there."""
    region = Region.objects.get(key="AT")
    provider = Organisation.objects.create(
        name=f"{WORD} Innviertel",
        slug="wombatschule-innviertel",
        kind="vhs",
        is_provider=True,
        city="Ried im Innkreis",
        postal_code="4910",
        region=region,
    )
    venue = Venue.objects.create(
        organisation=provider,
        name="Kursraum Ried",
        street="Hauptplatz 1",
        postal_code="4910",
        city="Ried im Innkreis",
        region=region,
        latitude=48.21,
        longitude=13.49,
    )
    course = make_course(provider, f"{WORD} Mostkunde", dates=[{"venue": venue}])
    return provider, course


# The rule ----------------------------------------------------------------------------------


def test_a_region_holds_the_regions_of_its_country_whose_key_starts_with_its_own():
    germany, austria = Region.objects.get(key="DE"), Region.objects.get(key="AT")
    state, district = Region.objects.get(key="07"), Region.objects.get(key="07315")
    assert germany.contains("07315", "DE") and germany.contains("DE", "DE")
    assert not germany.contains("AT", "AT") and austria.contains("AT", "AT")
    assert state.contains("07315", "DE") and state.contains("07", "DE")
    assert not state.contains("08", "DE") and not district.contains("07", "DE")
    assert not state.contains("07", "AT") and not state.contains(None, None)
    for region in (germany, austria, state, district):
        within = set(Region.objects.within(region).values_list("key", flat=True))
        expected = {
            other.key
            for other in Region.objects.only("key", "country")
            if region.contains(other.key, other.country)
        }
        assert within == expected and region.key in within


# Searches and facets -----------------------------------------------------------------------


def test_the_course_search_lists_austria_in_its_region_facet_and_filters_by_it(austria):
    _provider, course = austria
    options = facet_course(course_search(params=query(q=WORD)))
    assert options["AT"][0] == "Österreich" and options["AT"][1] == 1
    found = course_search(params=query(q=WORD, region="AT"))
    assert not found.errors
    assert [result.pk for result in found.page.object_list] == [course.pk]
    # Chosen, Austria stays an option (it has no finer regions).
    assert facet_course(found)["AT"] == ("Österreich", 1)
    assert course_search(params=query(q=WORD, region="07")).count == 0


def facet_course(result):
    region = next(facet for facet in result.facets if facet.name == "region")
    return {option.value: (option.label, option.count) for option in region.options}


def test_the_provider_search_lists_austria_in_its_region_facet_and_filters_by_it(austria):
    provider, _course = austria
    german = Organisation.objects.create(
        name=f"{WORD} Mainz", slug="wombatschule-mainz", kind="vhs", is_provider=True
    )
    make_venue(german, "55116")
    result = provider_search(params=query(q=WORD))
    counts = result.facets.counts("region")
    assert counts["AT"] == 1 and counts["07"] == 1
    labels = {option.value: option.label for option in result.facets.options["region"]}
    assert labels["AT"] == "Österreich"
    found = provider_search(params=query(q=WORD, region="AT"))
    assert [item.pk for item in found.page.object_list] == [provider.pk]
    districts = provider_search(params=query(q=WORD, region="07")).facets.counts("region")
    assert districts == {"07315": 1}


def test_the_partner_directory_lists_austria_in_its_region_facet(austria):
    provider, _course = austria
    network = Network.objects.create(name="Wombat-Netzwerk", slug="wombat-netzwerk")
    Membership.objects.create(network=network, organisation=provider, role="lead")
    result = partner_directory(params=query(network=network.slug))
    labels = {
        option.value: (option.label, option.count) for option in result.facets.options["region"]
    }
    assert labels == {"AT": ("Österreich", 1)}
    chosen = partner_directory(params=query(network=network.slug, region="AT"))
    assert [m.organisation for m in chosen.page.object_list] == [provider]


# Region pages ------------------------------------------------------------------------------


def test_the_region_list_names_austria_with_its_courses(client, austria):
    austrian = (
        CourseDate.objects.current()
        .filter(course__in=Course.objects.public(), venue__region__country="AT")
        .values("course_id")
        .distinct()
        .count()
    )
    assert austrian >= 1
    page = soup(client.get("/regionen/"))
    link = page.find("a", href="/regionen/AT/")
    assert link is not None and link.get_text(strip=True) == "Österreich"
    count = link.find_parent("li").find(class_="count").get_text(strip=True)
    assert count.strip("()").split()[0] == str(austrian)


def test_austrias_page_lists_its_courses_providers_and_search_links(client, austria):
    provider, _course = austria
    page = soup(client.get("/regionen/AT/"))
    assert page.find("h1").get_text(strip=True) == "Österreich"
    providers = page.find(id="providers-title").find_parent("section")
    assert provider.name in providers.get_text()
    actions = {a["href"] for a in page.select(".actions a")}
    assert "/kurse/?region=AT" in actions and "/anbieter/?region=AT" in actions
    found = soup(client.get("/kurse/?region=AT&q=" + WORD))
    assert found.find("h2", id="result-count").get_text(" ", strip=True).startswith("1 ")


def test_the_admins_state_filter_holds_the_states_districts(austria):
    from workspace.admin.base import state_filter

    by_state = state_filter("region")
    chosen = object.__new__(by_state)
    chosen.used_parameters = {by_state.parameter_name: "DE:07"}
    found = chosen.queryset(None, Organisation.objects.filter(region__isnull=False))
    keys = set(found.values_list("region__key", flat=True))
    assert keys and all(key.startswith("07") for key in keys)
    assert keys == set(
        Organisation.objects.filter(Region.objects.get(key="07").contains_q("region")).values_list(
            "region__key", flat=True
        )
    )
