"""/regionen/ and /regionen/<key>/: counts by subject and district, providers, networks, map."""

import pytest
from bs4 import BeautifulSoup
from django.core.cache import caches

from measures.models import Subject
from measures.search_index import current_index
from measures.vocabulary import vocabulary
from network import maps
from network.models import Network, Region
from tests.factories import make_course, make_provider, make_venue

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def lead_number(text: str) -> int:
    """The number of current courses in a region page's lead paragraph."""
    for part in text.split("·"):
        if "Kurs" in part:
            return int(part.strip().split()[0])
    raise AssertionError(text)


def table_counts(page) -> dict[str, int]:
    rows = page.select(".region-table tbody tr")
    return {
        row.find("th").get_text(strip=True): int(row.find("td").get_text(strip=True))
        for row in rows
    }


# Counting -----------------------------------------------------------------------------------


def test_a_states_page_counts_its_districts_courses(client):
    caches["local"].clear()
    state_before = lead_number(soup(client.get("/regionen/07/")).find(class_="lead").get_text())
    district_before = lead_number(
        soup(client.get("/regionen/07315/")).find(class_="lead").get_text()
    )
    provider = make_provider("Regionale Testschule")
    make_course(provider, "Kurs in Mainz", dates=[{"venue": make_venue(provider, "55116")}])
    make_course(provider, "Kurs in Bingen", dates=[{"venue": make_venue(provider, "55411")}])
    make_course(provider, "Kurs online", dates=[{"mode": "online"}])
    state = soup(client.get("/regionen/07/"))
    district = soup(client.get("/regionen/07315/"))
    assert lead_number(state.find(class_="lead").get_text()) == state_before + 2
    assert lead_number(district.find(class_="lead").get_text()) == district_before + 1
    # The state's table holds its districts' figures.
    counts = table_counts(state)
    assert counts["Mainz (Kreisfreie Stadt)"] >= 1 and counts["Mainz-Bingen (Landkreis)"] >= 1


def test_subjects_link_into_the_course_search_filtered_to_the_region(client):
    provider = make_provider("Thementestschule")
    area = Subject.objects.get(slug="edv-und-it")
    make_course(
        provider,
        "Tabellenkalkulation",
        subjects=[area],
        dates=[{"venue": make_venue(provider, "55116")}],
    )
    page = soup(client.get("/regionen/07315/"))
    section = page.find(id="subjects-title").find_parent("section")
    link = section.find("a", href="/kurse/?region=07315&subject=edv-und-it")
    assert link is not None
    count = int(link.find_next(class_="count").get_text(strip=True).strip("()"))
    listing = soup(client.get(link["href"]))
    heading = listing.find("h2", id="result-count").get_text(" ", strip=True)
    assert heading.startswith(f"{count} ")
    actions = {a["href"] for a in page.select(".actions a")}
    assert "/kurse/?region=07315" in actions and "/anbieter/?region=07315" in actions


def test_providers_and_networks_of_the_region(client):
    page = soup(client.get("/regionen/01/"))  # Schleswig-Holstein
    networks = page.find(id="networks-title").find_parent("section")
    hamburg = Network.objects.get(slug="lernende-metropolregion-hamburg")
    assert hamburg.get_absolute_url() in {a["href"] for a in networks.find_all("a")}
    mainz = Network.objects.get(slug="step-on-mainz")
    assert mainz.get_absolute_url() not in {a["href"] for a in networks.find_all("a")}
    # A district inherits the networks that cover its state.
    district = soup(client.get("/regionen/02000/"))
    found = {a["href"] for a in district.find(id="networks-title").find_parent("section")("a")}
    assert hamburg.get_absolute_url() in found
    providers = page.find(id="providers-title").find_parent("section")
    assert providers.find("a", href=lambda href: href and href.startswith("/anbieter/"))


def test_unknown_or_malformed_keys_are_404_and_germany_is_the_overview(client):
    assert client.get("/regionen/99999/").status_code == 404
    assert client.get("/regionen/abc/").status_code == 404
    response = client.get("/regionen/DE/")
    assert response.status_code == 301 and response["Location"] == "/regionen/"


# The map ------------------------------------------------------------------------------------


def test_state_map_has_one_linked_named_shape_per_district(client):
    caches["local"].clear()
    page = soup(client.get("/regionen/07/"))
    svg = page.find("svg", class_="region-map__svg")
    districts = Region.objects.districts().filter(key__startswith="07")
    shapes = svg.find_all("a")
    assert len(shapes) == districts.count()
    expected = {f"/regionen/{key}/" for key in districts.values_list("key", flat=True)}
    assert {shape["href"] for shape in shapes} == expected
    for shape in shapes:
        assert shape["aria-label"].split(":")[0] in {str(d) for d in districts}
        assert "aktuelle" in shape["aria-label"] or "aktueller" in shape["aria-label"]
        path = shape.find("path")
        assert path["d"].startswith("M") and path["d"].endswith("Z")
        assert path["class"][0].startswith("shade-")
    # Title and description name the map; the table is its alternative with the same figures.
    assert svg["role"] == "group"
    assert page.find(id=svg["aria-labelledby"]).name == "title"
    assert page.find(id=svg["aria-describedby"]).name == "desc"
    counts = table_counts(page)
    assert len(counts) == districts.count()
    for shape in shapes:
        name, number = shape["aria-label"].rsplit(":", 1)
        assert counts[name] == int(number.split()[0])
    legend = page.select(".map-legend li")
    assert legend and "keine aktuellen Kurse" in legend[0].get_text()
    assert "GeoBasis-DE" in page.find(class_="map-attribution").get_text()


def test_germany_map_shows_the_sixteen_states(client):
    page = soup(client.get("/regionen/"))
    shapes = page.find("svg", class_="region-map__svg").find_all("a")
    assert len(shapes) == 16
    assert {shape["href"] for shape in shapes} == {
        f"/regionen/{key}/" for key in Region.objects.states().values_list("key", flat=True)
    }


def test_district_page_shows_its_state_with_the_district_marked(client):
    page = soup(client.get("/regionen/07315/"))
    current = page.find("svg", class_="region-map__svg").find_all(
        "a", attrs={"aria-current": "page"}
    )
    assert [a["href"] for a in current] == ["/regionen/07315/"]
    assert page.select_one(".region-table tr.is-current a")["href"] == "/regionen/07315/"


def test_map_is_small():
    caches["local"].clear()
    drawn = maps.outlines(Region.objects.states(), "test-states")
    size = sum(len(shape.d) for shape in drawn.shapes)
    assert size < 60_000, size
    assert drawn.width <= maps.MAX_WIDTH and drawn.height <= maps.MAX_HEIGHT


@pytest.mark.parametrize(
    "maximum, bounds",
    [(0, []), (1, [1]), (3, [1, 2, 3]), (30, [1, 2, 5, 10, 30]), (1000, [2, 10, 50, 200, 1000])],
)
def test_shade_classes_grow_on_a_log_scale(maximum, bounds):
    assert maps.class_bounds(maximum) == bounds
    assert maps.shade_of(0, bounds) == 0
    if bounds:
        assert maps.shade_of(maximum, bounds) == len(bounds)


def test_region_page_query_count_is_constant(client, django_assert_max_num_queries):
    caches["local"].clear()
    vocabulary()  # once per process and reference generation (the regions counted by)
    current_index()  # once per process and search generation (the providers' course counts)
    # Six of the queries are the shared cache's: the providers looked up and, found, kept.
    with django_assert_max_num_queries(22) as first:
        client.get("/regionen/07/")
    provider = make_provider("Viele Kurse")
    for number in range(10):
        make_course(provider, f"Kurs {number}", dates=[{"venue": make_venue(provider, "55116")}])
    caches["local"].clear()
    current_index()
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/regionen/07/")
    # Counts and outlines are cached: a second look costs fewer queries; the providers by
    # their addresses and venues are not looked for again (0.2 s each at 1,000,000 courses).
    with django_assert_max_num_queries(len(first.captured_queries) - 3) as second:
        client.get("/regionen/07/")
    assert any("network_venue" in query["sql"] for query in first.captured_queries)
    assert not any("network_venue" in query["sql"] for query in second.captured_queries)


def test_the_providers_with_most_public_courses_come_first(client):
    few = make_provider("Aaa Einzelkurs")
    many = make_provider("Zzz Vielkurs")
    make_course(few, "Ein Kurs", dates=[{"venue": make_venue(few, "55116")}])
    venue = make_venue(many, "55116")
    for number in range(3):
        make_course(many, f"Kurs {number}", dates=[{"venue": venue}])
    make_course(many, "Entwurf", status="draft", dates=[{"venue": venue}])  # not public
    providers = client.get("/regionen/07/").context["providers"]
    names = [provider.name for provider in providers]
    assert names.index("Zzz Vielkurs") < names.index("Aaa Einzelkurs")
    counts = {provider.name: provider.course_count for provider in providers}
    assert counts["Zzz Vielkurs"] == 3 and counts["Aaa Einzelkurs"] == 1


def test_a_provider_that_moves_into_a_region_is_among_its_providers_at_once():
    from measures.regions import providers_in

    mainz = Region.objects.get(key="07315")
    _shown, before = providers_in(mainz)
    provider = make_provider("Umzugsschule", postal_code="20095")
    assert providers_in(mainz)[1] == before
    provider.postal_code, provider.region = "55116", mainz
    provider.save()
    assert providers_in(mainz)[1] == before + 1
