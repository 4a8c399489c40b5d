"""The provider search (/anbieter/) and the provider profile (/anbieter/<slug>/)."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict

from measures import search_index
from measures.models import Subject
from measures.provider_search import PAGE_SIZE, provider_search
from measures.vocabulary import vocabulary
from network.models import (
    Certification,
    Membership,
    Network,
    Organisation,
    OrganisationCertification,
    PostalCode,
    WorkingGroup,
)
from tests.factories import make_course, make_venue, today

pytestmark = pytest.mark.django_db

# Every provider made here has this word in its name, so searches can leave the demo out.
WORD = "Quokkaschule"


def run(**params):
    query = QueryDict(mutable=True)
    query["q"] = WORD
    for key, value in params.items():
        if isinstance(value, list | tuple):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = str(value)
    return provider_search(params=query)


def names(result):
    return [provider.name for provider in result.page.object_list]


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def make_provider(name, **fields):
    """A provider of its own (the shared factory fixes the kind)."""
    fields.setdefault("kind", "vhs")
    slug = "quokka-" + str(Organisation.objects.count()) + "-" + str(len(name))
    while Organisation.objects.filter(slug=slug).exists():
        slug += "x"
    return Organisation.objects.create(name=name, slug=slug, is_provider=True, **fields)


def provider_at(name, postal_code, **fields):
    """A provider whose address is the centre of a real postal code."""
    row = PostalCode.objects.filter(code=postal_code).select_related("district").first()
    return make_provider(
        f"{WORD} {name}",
        postal_code=postal_code,
        city=row.place,
        region=row.district,
        latitude=row.latitude,
        longitude=row.longitude,
        **fields,
    )


def certify(provider, slug, *, start_days, end_days):
    return OrganisationCertification.objects.create(
        organisation=provider,
        certification=Certification.objects.get(slug=slug),
        valid_from=today() + timedelta(days=start_days) if start_days is not None else None,
        valid_until=today() + timedelta(days=end_days) if end_days is not None else None,
    )


@pytest.fixture
def network():
    return Network.objects.create(name="Quokka-Netzwerk", slug="quokka-netzwerk")


# Free text -----------------------------------------------------------------------------------


def test_free_text_finds_name_description_and_core_competencies():
    by_description = make_provider(f"{WORD} Nord", description="Wir bieten Fahrradreparatur an.")
    by_competency = make_provider(f"{WORD} Süd", core_competencies=["Imkerei", "Gartenbau"])
    make_provider(f"{WORD} Ost", description="Nichts davon.")
    assert names(run(q=f"{WORD} Fahrradreparatur")) == [by_description.name]
    # Folded and stemmed like the course search: "Imkereien" finds "Imkerei".
    assert names(run(q=f"{WORD} Imkereien")) == [by_competency.name]
    assert len(names(run())) == 3


def test_text_search_ranks_the_name_above_the_description():
    in_description = make_provider(f"{WORD} Eins", description="Spezialisiert auf Töpferkurse")
    in_name = make_provider(f"{WORD} Töpferei Zwei")
    result = run(q=f"{WORD} Töpferei")
    assert names(result)[0] == in_name.name
    assert in_description.name not in names(result) or names(result).index(
        in_description.name
    ) > names(result).index(in_name.name)
    assert result.sort == "relevance"


# Where: region, postal code and radius -----------------------------------------------------------


def test_region_filter_uses_the_address_or_a_venue():
    in_mainz = provider_at("Mainz", "55116")
    venue_in_mainz = provider_at("Hamburg mit Mainzer Haus", "20095")
    make_venue(venue_in_mainz, "55118")
    provider_at("Hamburg", "20095")
    assert sorted(names(run(region="07315"))) == sorted([in_mainz.name, venue_in_mainz.name])
    # A state's filter includes its districts.
    assert len(names(run(region="07"))) == 2
    assert len(names(run(region="02"))) == 2


def test_postal_code_and_radius_filter_by_distance_and_sort_nearest_first():
    mainz = provider_at("Mainz", "55116")
    bingen = provider_at("Bingen", "55411")
    hamburg = provider_at("Hamburg", "20095")
    near = run(place="55116", radius=10)
    assert names(near) == [mainz.name]
    wider = run(place="55116", radius=50)
    assert sorted(names(wider)) == sorted([mainz.name, bingen.name])
    assert wider.sort == "relevance"  # a search term ranks first; distance is an option
    assert ("distance", "Entfernung") in [(v, str(label)) for v, label in wider.sort_choices]
    by_distance = run(place="55116", radius=50, sort="distance")
    assert names(by_distance) == [mainz.name, bingen.name]
    assert by_distance.page.object_list[0].distance < by_distance.page.object_list[1].distance
    assert hamburg.name not in names(run(place="55116", radius=100))


# What: subjects of current courses ---------------------------------------------------------------


def test_subject_filter_counts_only_current_published_courses():
    languages = Subject.objects.get(slug="sprachen")
    child = languages.children.first()
    current = make_provider(f"{WORD} Aktuell")
    make_course(current, "Englisch", subjects=[child])
    past = make_provider(f"{WORD} Vergangen")
    make_course(
        past,
        "Französisch",
        subjects=[child],
        dates=[
            {"start_date": today() - timedelta(days=30), "end_date": today() - timedelta(days=2)}
        ],
    )
    draft = make_provider(f"{WORD} Entwurf")
    make_course(draft, "Spanisch", subjects=[child], status="draft")
    assert names(run(subject="sprachen")) == [current.name]
    assert names(run(subject=child.slug)) == [current.name]
    facet = {option.value: option.count for option in run().facets.get("subject")}
    assert facet["sprachen"] == 1


# Quality: only certifications valid today --------------------------------------------------------


def test_certification_filter_and_counts_only_valid_certificates():
    valid = make_provider(f"{WORD} Gültig")
    certify(valid, "azav", start_days=-100, end_days=100)
    open_ended = make_provider(f"{WORD} Unbefristet")
    certify(open_ended, "azav", start_days=None, end_days=None)
    expired = make_provider(f"{WORD} Abgelaufen")
    certify(expired, "azav", start_days=-400, end_days=-1)
    future = make_provider(f"{WORD} Künftig")
    certify(future, "azav", start_days=10, end_days=400)
    result = run(certification="azav")
    assert sorted(names(result)) == sorted([valid.name, open_ended.name])
    counts = result.facets.counts("certification")
    assert counts["azav"] == 2
    cards = {
        provider.name: [c.certification.slug for c in provider.valid_certificates]
        for provider in run().page.object_list
    }
    assert cards[expired.name] == [] and cards[future.name] == []


# Accessibility of premises ----------------------------------------------------------------------


def test_accessibility_needs_all_features_at_one_place():
    at_venue = make_provider(f"{WORD} Alles im Haus")
    make_venue(at_venue, "55116", step_free_access=True, accessible_toilet=True)
    split = make_provider(f"{WORD} Verteilt", step_free_access=True)
    make_venue(split, "55116", accessible_toilet=True)
    at_address = make_provider(f"{WORD} Sitz", step_free_access=True, accessible_toilet=True)
    both = run(access=["step_free", "toilet"])
    assert sorted(names(both)) == sorted([at_venue.name, at_address.name])
    assert len(names(run(access="step_free"))) == 3
    counts = both.facets.counts("access")
    assert counts["step_free"] == 2 and counts["toilet"] == 2 and counts["hearing_loop"] == 0


# Network membership ------------------------------------------------------------------------------


def test_network_filter_lists_public_members_only(network):
    public = make_provider(f"{WORD} Öffentlich")
    hidden = make_provider(f"{WORD} Verborgen")
    Membership.objects.create(network=network, organisation=public, role="cooperation")
    Membership.objects.create(
        network=network, organisation=hidden, role="cooperation", is_public=False
    )
    result = run(network=network.slug)
    assert names(result) == [public.name]
    assert result.facets.counts("network")[network.slug] == 1


# Counts, sorting, paging, chips, errors ----------------------------------------------------------


def test_facet_counts_apply_every_other_filter():
    vhs = make_provider(f"{WORD} A", kind="vhs", step_free_access=True)
    make_provider(f"{WORD} B", kind="vhs")
    make_provider(f"{WORD} C", kind="chamber", step_free_access=True)
    result = run(kind="vhs", access="step_free")
    assert names(result) == [vhs.name]
    # The kind facet counts with the accessibility filter, and the other way round.
    assert result.facets.counts("kind") == {"vhs": 1, "chamber": 1}
    assert result.facets.counts("access")["step_free"] == 1


def test_sort_by_name_and_by_current_courses():
    busy = make_provider(f"{WORD} Zentrum")
    for number in range(3):
        make_course(busy, f"Kurs {number}")
    make_provider(f"{WORD} Akademie")
    by_name = run(sort="name")
    assert names(by_name) == [f"{WORD} Akademie", f"{WORD} Zentrum"]
    assert [provider.course_count for provider in by_name.page.object_list] == [0, 3]
    result = run(sort="courses")
    assert names(result)[0] == busy.name
    assert result.page.object_list[0].course_count == 3


def test_pages_hold_page_size_results_and_a_page_too_far_shows_the_last():
    for number in range(PAGE_SIZE + 3):
        make_provider(f"{WORD} {number:02d}")
    assert len(run(sort="name").page.object_list) == PAGE_SIZE
    last = run(sort="name", page=999)
    assert last.page.number == 2 and len(last.page.object_list) == 3
    assert run(sort="name", page="abc").page.number == 1


def test_bad_parameters_give_a_message_and_results_for_the_rest(client):
    make_provider(f"{WORD} Eins", kind="vhs")
    response = client.get(
        "/anbieter/", {"q": WORD, "radius": "abc", "region": "zz", "kind": "nonsense"}
    )
    assert response.status_code == 200
    page = soup(response)
    alert = page.find(attrs={"role": "alert"})
    assert alert is not None and "Region" in alert.get_text()
    assert page.find("h2", id="result-count").get_text(strip=True).startswith("1 ")


def test_unknown_postal_code_is_explained(client):
    page = soup(client.get("/anbieter/", {"place": "00000"}))
    assert "00000" in page.find(attrs={"role": "alert"}).get_text()


def test_active_filters_are_removable_chips(client):
    make_provider(f"{WORD} Eins", kind="vhs")
    response = client.get("/anbieter/", {"q": WORD, "kind": ["vhs", "chamber"]})
    chips = soup(response).select(".chips a.chip")
    labels = [chip.get_text(" ", strip=True) for chip in chips]
    assert any("Volkshochschule" in label for label in labels)
    vhs_chip = next(chip for chip in chips if "Volkshochschule" in chip.get_text())
    assert "kind=chamber" in vhs_chip["href"] and "kind=vhs" not in vhs_chip["href"]


def test_search_page_renders_filters_counts_and_results(client):
    provider = provider_at("Mainz", "55116", kind="vhs")
    make_course(provider, "Englisch für Anfänger")
    page = soup(client.get("/anbieter/", {"q": WORD}))
    assert len(page.find_all("h1")) == 1
    assert page.find("form", attrs={"role": "search"})["method"] == "get"
    card = page.select_one("ol.cards li")
    assert card.find("a")["href"] == provider.get_absolute_url()
    assert "1 aktueller Kurs" in card.get_text(" ", strip=True)
    legends = [legend.get_text(strip=True) for legend in page.select("fieldset legend")]
    assert "Zertifizierung (gültig)" in legends and "Barrierefreiheit der Räume" in legends


def test_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    for number in range(3):
        make_course(provider_at(f"Klein {number}", "55116"), "Kurs")
    params = {"q": WORD, "place": "55116", "certification": "azav", "access": "step_free"}
    vocabulary()  # once per process and reference generation (the regions of the facet)
    search_index.current_index()  # once per process and search generation (the course counts)
    # Six of the queries are the shared cache's: the facets looked up and, counted, kept.
    with django_assert_max_num_queries(20) as few:
        client.get("/anbieter/", {"q": WORD})
    for number in range(25):
        certify(provider_at(f"Groß {number}", "55116"), "azav", start_days=None, end_days=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/anbieter/", {"q": WORD})
    with django_assert_max_num_queries(20):
        client.get("/anbieter/", params)


# The profile -------------------------------------------------------------------------------------


def test_profile_shows_address_accessibility_certificates_and_json_ld(client, network):
    provider = provider_at(
        "Profil",
        "55116",
        street="Domstraße 1",
        step_free_access=True,
        core_competencies=["Sprachen", "Beratung"],
        description="Eine Schule für alle.",
        website="https://quokka.example",
    )
    certify(provider, "azav", start_days=-10, end_days=300)
    certify(provider, "iso-9001", start_days=-800, end_days=-400)
    Membership.objects.create(network=network, organisation=provider, role="consortium")
    response = client.get(provider.get_absolute_url())
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert "Domstraße 1" in text and "stufenloser Zugang" in text and "AZAV" in text
    assert "ISO 9001" not in text
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "EducationalOrganization"
    assert data["name"] == provider.name
    assert data["address"]["postalCode"] == "55116"
    assert [credential["name"] for credential in data["hasCredential"]] == ["AZAV"]
    assert data["knowsAbout"] == ["Sprachen", "Beratung"]
    assert data["memberOf"][0]["name"] == network.name


def test_profile_lists_memberships_with_working_groups_but_not_hidden_ones(client, network):
    provider = make_provider(f"{WORD} Mitglied")
    other = Network.objects.create(name="Geheimes Netz", slug="geheimes-netz")
    Membership.objects.create(network=network, organisation=provider, role="strategic")
    Membership.objects.create(
        network=other, organisation=provider, role="cooperation", is_public=False
    )
    group = WorkingGroup.objects.create(network=network, name="AG Quokka", slug="ag-quokka")
    group.members.add(provider)
    page = soup(client.get(provider.get_absolute_url()))
    section = page.find(id="network-title").find_parent("section")
    links = {a["href"] for a in section.find_all("a")}
    assert network.get_absolute_url() in links and group.get_absolute_url() in links
    assert other.get_absolute_url() not in links
    assert "strategischer Partner" in section.get_text()


def test_profile_courses_are_searchable_and_paginated(client):
    provider = make_provider(f"{WORD} Kurse")
    make_course(provider, "Töpfern am Abend")
    for number in range(11):
        make_course(provider, f"Englisch {number}")
    page = soup(client.get(provider.get_absolute_url()))
    section = page.find(id="kurse")
    assert len(section.select("ol.cards > li")) == 10
    assert section.find("nav")  # pagination
    found = soup(client.get(provider.get_absolute_url(), {"q": "Töpfern"})).find(id="kurse")
    assert [a.get_text(strip=True) for a in found.select("ol.cards h3 a")] == ["Töpfern am Abend"]
    assert "1 Kurs" in found.get_text()


def test_partner_without_courses_has_a_profile_only_through_a_public_membership(client, network):
    partner = Organisation.objects.create(
        name=f"{WORD} Amt", slug="quokka-amt", kind="administration"
    )
    assert client.get(partner.get_absolute_url()).status_code == 404
    membership = Membership.objects.create(
        network=network, organisation=partner, role="strategic", is_public=False
    )
    assert client.get(partner.get_absolute_url()).status_code == 404
    membership.is_public = True
    membership.save()
    page = soup(client.get(partner.get_absolute_url()))
    assert page.find("h1").get_text(strip=True) == partner.name
    assert page.find(id="kurse") is None
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "Organization"


def test_profile_query_count_does_not_grow(client, network, django_assert_max_num_queries):
    provider = make_provider(f"{WORD} Zählung")
    make_course(provider, "Kurs eins")
    Membership.objects.create(network=network, organisation=provider, role="strategic")
    with django_assert_max_num_queries(16) as few:
        client.get(provider.get_absolute_url())
    for number in range(12):
        make_course(provider, f"Kurs mehr {number}")
        make_venue(provider, "55116")
        group = WorkingGroup.objects.create(
            network=network, name=f"AG {number}", slug=f"ag-{number}"
        )
        group.members.add(provider)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(provider.get_absolute_url())


def test_text_that_matches_nothing_gives_zero_counts_not_an_error(client):
    response = client.get("/anbieter/", {"q": "x" * 300, "region": "07"})
    assert response.status_code == 200
    assert soup(response).find("h2", id="result-count").get_text(strip=True).startswith("0 ")


def chip_links(response):
    found = []
    for chip in soup(response).select(".chips a.chip"):
        for hidden in chip.select(".visually-hidden, [aria-hidden]"):
            hidden.extract()
        found.append((chip.get_text(" ", strip=True), QueryDict(chip["href"].lstrip("?"))))
    return found


def test_each_chip_drops_exactly_its_own_filter(client):
    make_provider(f"{WORD} Eins", kind="vhs")
    params = {
        "q": WORD,
        "kind": ["vhs", "chamber"],
        "current": "true",
        "place": "55116",
        "radius": "50",
        "sort": "name",
        "page": "2",
    }
    chips = chip_links(client.get("/anbieter/", params))
    labels = [label for label, _remaining in chips]
    assert "nur mit aktuellen Kursen" in labels  # a boolean chip reads its label alone
    assert len(chips) == 5
    for label, remaining in chips:
        dropped = {
            (key, value)
            for key, values in params.items()
            for value in (values if isinstance(values, list) else [values])
            if value not in remaining.getlist(key)
        }
        assert ("page", "2") in dropped and remaining.get("sort") == "name"
        filters = {(key, value) for key, value in dropped if key not in ("page", "radius")}
        assert len(filters) == 1, label
        if filters == {("place", "55116")}:
            assert ("radius", "50") in dropped
        else:
            assert remaining.get("radius") == "50"


def test_kept_facets_follow_a_new_certificate_membership_and_provider_at_once(network):
    """The facets are kept per search generation; a change of a provider, a membership or a
    certificate starts a new one, so the counts never lag it."""
    from django.http import QueryDict

    from measures.provider_search import provider_search

    def counts(name):
        return provider_search(params=QueryDict("")).facets.counts(name)

    provider = provider_at("Frisch", "55116")
    before = counts("certification").get("azav", 0)
    certify(provider, "azav", start_days=None, end_days=None)
    assert counts("certification").get("azav", 0) == before + 1
    members = counts("network").get(network.slug, 0)
    Membership.objects.create(network=network, organisation=provider, is_public=True)
    assert counts("network").get(network.slug, 0) == members + 1
    kinds = counts("kind")
    provider.kind = "chamber"
    provider.save()
    assert counts("kind").get("chamber", 0) == kinds.get("chamber", 0) + 1
