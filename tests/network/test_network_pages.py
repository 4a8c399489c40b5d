"""The partner directory and the network's pages: network, working groups, projects, events."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict
from django.utils import timezone
from icalendar import Calendar

from measures.models import TargetGroup
from network.models import (
    Event,
    Membership,
    Network,
    NetworkPhase,
    Organisation,
    PostalCode,
    Project,
    Region,
    WorkingGroup,
)
from network.partner_directory import partner_directory

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def links(element):
    return {a["href"] for a in element.find_all("a", href=True)}


def organisation(name, kind="association", postal_code=None, **fields):
    slug = f"quoll-{Organisation.objects.count()}-{len(name)}"
    if postal_code:
        row = PostalCode.objects.filter(code=postal_code).select_related("district").first()
        fields.update(postal_code=postal_code, city=row.place, region=row.district)
    return Organisation.objects.create(name=name, slug=slug, kind=kind, **fields)


@pytest.fixture
def network():
    return Network.objects.create(name="Quoll-Netzwerk", slug="quoll-netzwerk")


@pytest.fixture
def members(network):
    """A lead, a consortium partner in a working group, and a hidden partner."""
    lead = organisation("Quoll Volkshochschule", kind="vhs", postal_code="55116", is_provider=True)
    partner = organisation("Quoll Kammer", kind="chamber", postal_code="20095")
    hidden = organisation("Quoll Geheim", kind="company", postal_code="55116")
    Membership.objects.create(network=network, organisation=lead, role="lead")
    Membership.objects.create(
        network=network, organisation=partner, role="consortium", since="2020-03-01"
    )
    Membership.objects.create(
        network=network, organisation=hidden, role="cooperation", is_public=False
    )
    network.lead_partner = lead
    network.save()
    group = WorkingGroup.objects.create(
        network=network,
        name="AG Marketing",
        slug="ag-marketing",
        lead=lead,
        goals="Sichtbar werden.",
    )
    group.members.add(partner, hidden)
    sub = WorkingGroup.objects.create(
        network=network, parent=group, name="AG Medien", slug="ag-medien"
    )
    return {"lead": lead, "partner": partner, "hidden": hidden, "group": group, "sub": sub}


def directory(**params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list | tuple):
            query.setlist(key, value)
        else:
            query[key] = value
    return partner_directory(params=query)


# The partner directory -------------------------------------------------------------------------


def test_directory_lists_public_memberships_only(network, members):
    result = directory(network=network.slug)
    listed = [membership.organisation for membership in result.page.object_list]
    assert set(listed) == {members["lead"], members["partner"]}
    assert result.count == 2
    # Nowhere: not in the counts of the working group either.
    assert result.facets.counts("working_group")[str(members["group"].pk)] == 1


def test_demo_hidden_memberships_do_not_appear(client):
    hidden = Membership.objects.filter(is_public=False).select_related("organisation")
    page = soup(client.get("/partner/", {"page": 1}))
    names = " ".join(a.get_text() for a in page.select("ol.cards h3 a"))
    total = Membership.objects.filter(is_public=True).count()
    assert page.find("h2", id="result-count").get_text(strip=True).startswith(f"{total} ")
    for membership in hidden:
        assert (
            membership.organisation.name not in names
            or Membership.objects.filter(
                organisation=membership.organisation, is_public=True
            ).exists()
        )


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"role": "lead"}, {"lead"}),
        ({"role": ["lead", "consortium"]}, {"lead", "partner"}),
        ({"kind": "chamber"}, {"partner"}),
        ({"region": "02"}, {"partner"}),
        ({"region": "07315"}, {"lead"}),
        ({"q": "kammer"}, {"partner"}),
    ],
)
def test_directory_filters(network, members, params, expected):
    result = directory(network=network.slug, **params)
    assert {m.organisation for m in result.page.object_list} == {members[k] for k in expected}


def test_working_group_filter_and_groups_shown_per_membership(client, network, members):
    result = directory(network=network.slug, working_group=str(members["group"].pk))
    assert [m.organisation for m in result.page.object_list] == [members["partner"]]
    assert result.page.object_list[0].groups == [members["group"]]
    page = soup(client.get("/partner/", {"network": network.slug, "sort": "role"}))
    cards = page.select("ol.cards > li")
    assert cards[0].find("h3").get_text(strip=True) == members["lead"].name  # lead first
    assert "Lead-Partner" in cards[0].get_text()
    assert members["group"].get_absolute_url() in links(cards[1])
    assert "seit März 2020" in cards[1].get_text(" ", strip=True)


def test_directory_role_counts_apply_other_filters(network, members):
    result = directory(network=network.slug, kind="chamber")
    assert result.facets.counts("role") == {"consortium": 1}
    assert result.facets.counts("kind") == {"vhs": 1, "chamber": 1}


def test_directory_bad_parameters_message_and_results(client, network, members):
    response = client.get(
        "/partner/", {"network": network.slug, "working_group": "x", "role": "boss"}
    )
    page = soup(response)
    assert response.status_code == 200
    assert page.find(attrs={"role": "alert"})
    assert page.find("h2", id="result-count").get_text(strip=True).startswith("2 ")


def test_directory_query_count_is_constant(client, network, members, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        client.get("/partner/", {"network": network.slug})
    for number in range(15):
        org = organisation(f"Quoll Partner {number}")
        Membership.objects.create(network=network, organisation=org, role="cooperation")
        members["group"].members.add(org)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/partner/", {"network": network.slug})


# The network ------------------------------------------------------------------------------------


def test_network_page_links_its_groups_projects_events_and_partners(client, network, members):
    project = Project.objects.create(
        network=network,
        title="Bildungsmesse",
        slug="messe",
        working_group=members["group"],
        status="running",
    )
    event = Event.objects.create(
        network=network,
        title="Netzwerktreffen",
        slug="treffen",
        starts_at=timezone.now() + timedelta(days=5),
    )
    Event.objects.create(
        network=network,
        title="Alter Auftakt",
        slug="auftakt",
        starts_at=timezone.now() - timedelta(days=50),
    )
    page = soup(client.get(network.get_absolute_url()))
    found = links(page.find("main"))
    for url in (
        members["group"].get_absolute_url(),
        members["sub"].get_absolute_url(),
        project.get_absolute_url(),
        event.get_absolute_url(),
        members["lead"].get_absolute_url(),
        members["partner"].get_absolute_url(),
        f"/netzwerk/{network.slug}/veranstaltungen/",
        f"/netzwerk/{network.slug}/veranstaltungen.ics",
    ):
        assert url in found, url
    assert members["hidden"].get_absolute_url() not in found
    assert "Alter Auftakt" not in page.get_text()  # only upcoming events on the network page


def facts(page) -> dict[str, object]:
    """The page's fact list: term -> its definition element."""
    listing = page.find("dl", class_="facts")
    return {dt.get_text(strip=True): dt.find_next_sibling("dd") for dt in listing.find_all("dt")}


def test_network_page_in_brief_aims_regions_lead_phases_funding_contact(client, network, members):
    network.aims = "Lebenslanges Lernen in der Region stärken."
    network.funding_programme = "Lernende Regionen – Förderung von Netzwerken (BMBF)"
    network.contact_name = "Netzwerkbüro Quoll"
    network.email = "buero@quoll.example"
    network.phone = "06131 12345"
    network.save()
    state, district = Region.objects.get(key="07"), Region.objects.get(key="07315")
    network.regions.add(state, district)
    NetworkPhase.objects.create(
        network=network, kind="planning", start="2001-01-01", end="2002-06-30"
    )
    NetworkPhase.objects.create(network=network, kind="implementation", start="2002-07-01")
    page = soup(client.get(network.get_absolute_url()))
    aims = page.find("h2", string="Ziele")
    assert "Lebenslanges Lernen" in aims.find_next_sibling("p").get_text()
    brief = facts(page)
    assert brief["Lead-Partner"].find("a")["href"] == members["lead"].get_absolute_url()
    assert "(BMBF)" in brief["Förderprogramm"].get_text()
    assert links(brief["Regionen"]) == {"/regionen/07/", "/regionen/07315/"}
    phases = [li.get_text(" ", strip=True) for li in brief["Phasen"].find_all("li")]
    assert phases == [
        "Planungsphase: 01.01.2001 – 30.06.2002",
        "Durchführungsphase: 01.07.2002 – offen",
    ]
    contact = brief["Kontakt"]
    assert "Netzwerkbüro Quoll" in contact.get_text() and "06131 12345" in contact.get_text()
    assert "mailto:buero@quoll.example" in links(contact)


def test_network_index_lists_several_networks_and_goes_straight_to_a_single_one(client, network):
    page = soup(client.get("/netzwerk/"))
    found = links(page.find("main"))
    assert {n.get_absolute_url() for n in Network.objects.all()} <= found
    Network.objects.exclude(pk=network.pk).delete()  # rolled back after the test
    response = client.get("/netzwerk/")
    assert response.status_code == 302 and response["Location"] == network.get_absolute_url()
    home = soup(client.get("/"))
    section = home.find(id="network-title").find_parent("section")
    assert section.find("h2").get_text(strip=True) == "Das Netzwerk"
    assert network.get_absolute_url() in links(section)


def test_working_group_page_shows_lead_members_subgroups_but_not_hidden(client, network, members):
    group = members["group"]
    page = soup(client.get(group.get_absolute_url()))
    found = links(page.find("main"))
    assert members["lead"].get_absolute_url() in found
    assert members["partner"].get_absolute_url() in found
    assert members["sub"].get_absolute_url() in found
    assert "Quoll Geheim" not in page.get_text()
    assert "Sichtbar werden." in page.find("h2", string="Ziele").find_next_sibling("p").get_text()
    assert facts(page)["Leitung"].find("a")["href"] == members["lead"].get_absolute_url()
    sub_page = soup(client.get(members["sub"].get_absolute_url()))
    assert group.get_absolute_url() in links(sub_page.find("main"))
    assert "Untergruppe von AG Marketing" in sub_page.get_text()


def test_project_page_links_group_lead_participants(client, network, members):
    project = Project.objects.create(
        network=network,
        title="Beratungs-Hotline",
        slug="hotline",
        working_group=members["group"],
        lead=members["partner"],
        status="planned",
        goals="Erreichbar sein.",
    )
    project.participants.add(members["lead"], members["hidden"])
    project.start, project.end = "2031-03-01", "2031-09-30"
    project.save()
    project.target_groups.add(TargetGroup.objects.order_by("name").first())
    page = soup(client.get(project.get_absolute_url()))
    found = links(page.find("main"))
    about = facts(page)
    assert about["Stand"].get_text(strip=True) == "geplant"
    assert about["Zeitraum"].get_text(strip=True) == "01.03.2031 – 30.09.2031"
    assert TargetGroup.objects.order_by("name").first().name in about["Zielgruppen"].get_text()
    assert about["Arbeitsgruppe"].find("a")["href"] == members["group"].get_absolute_url()
    assert "Erreichbar sein." in page.find("h2", string="Ziele").find_next_sibling("p").get_text()
    assert members["group"].get_absolute_url() in found
    assert members["partner"].get_absolute_url() in found
    assert members["lead"].get_absolute_url() in found
    assert "Quoll Geheim" not in page.get_text()
    listing = soup(client.get(f"/netzwerk/{network.slug}/vorhaben/"))
    assert project.get_absolute_url() in links(listing.find("main"))


def test_events_upcoming_and_past_each_with_a_calendar(client, network, members):
    upcoming = Event.objects.create(
        network=network,
        title="Messe 2030",
        slug="messe",
        kind="fair",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=6),
        place="Rathaus",
        organiser=members["lead"],
    )
    past = Event.objects.create(
        network=network,
        title="Auftakt",
        slug="auftakt",
        starts_at=timezone.now() - timedelta(days=100),
    )
    page = soup(client.get(f"/netzwerk/{network.slug}/veranstaltungen/"))
    headings = [h.get_text(strip=True) for h in page.find_all("h2")]
    assert headings == ["Kommende Veranstaltungen", "Vergangene Veranstaltungen"]
    found = links(page.find("main"))
    assert upcoming.get_absolute_url() in found and past.get_absolute_url() in found
    detail = soup(client.get(upcoming.get_absolute_url()))
    ics_link = detail.find("a", href=lambda href: href and href.endswith(".ics"))
    response = client.get(ics_link["href"])
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Messe 2030"
    assert entry.decoded("DTSTART") == upcoming.starts_at.replace(microsecond=0)
    assert "Rathaus" in str(entry["LOCATION"])
    assert members["lead"].get_absolute_url() in links(detail.find("main"))
    past_detail = soup(client.get(past.get_absolute_url()))
    assert "vergangen" in past_detail.find("main").get_text()
    feed = Calendar.from_ical(client.get(f"/netzwerk/{network.slug}/veranstaltungen.ics").content)
    assert [str(e["SUMMARY"]) for e in feed.walk("VEVENT")] == ["Messe 2030"]


def test_objects_of_another_network_or_unknown_slugs_are_404(client, network, members):
    other = Network.objects.create(name="Anderes Netz", slug="anderes-netz")
    group = members["group"]
    assert client.get(f"/netzwerk/{other.slug}/arbeitsgruppen/{group.slug}/").status_code == 404
    assert client.get(f"/netzwerk/{network.slug}/vorhaben/gibt-es-nicht/").status_code == 404
    assert client.get("/netzwerk/gibt-es-nicht/veranstaltungen/").status_code == 404
    assert (
        client.get(f"/netzwerk/{network.slug}/veranstaltungen/nein/kalender.ics").status_code == 404
    )


def test_network_pages_query_count_is_constant(
    client, network, members, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        client.get(network.get_absolute_url())
    for number in range(10):
        WorkingGroup.objects.create(network=network, name=f"AG {number}", slug=f"ag-{number}")
        Project.objects.create(network=network, title=f"Vorhaben {number}", slug=f"v-{number}")
        Event.objects.create(
            network=network,
            title=f"Termin {number}",
            slug=f"t-{number}",
            starts_at=timezone.now() + timedelta(days=number + 1),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(network.get_absolute_url())
    with django_assert_max_num_queries(8):
        client.get(f"/netzwerk/{network.slug}/veranstaltungen/")
    with django_assert_max_num_queries(8):
        client.get(f"/netzwerk/{network.slug}/vorhaben/")


def test_each_partner_chip_drops_exactly_its_own_filter(client, network, members):
    params = {
        "network": network.slug,
        "role": ["lead", "consortium"],
        "kind": "chamber",
        "q": "Quoll",
        "sort": "role",
        "page": "2",
    }
    chips = soup(client.get("/partner/", params)).select(".chips a.chip")
    assert len(chips) == 5
    for chip in chips:
        remaining = QueryDict(chip["href"].lstrip("?"))
        dropped = {
            (key, value)
            for key, values in params.items()
            for value in (values if isinstance(values, list) else [values])
            if value not in remaining.getlist(key)
        }
        assert ("page", "2") in dropped and remaining.get("sort") == "role"
        assert len(dropped - {("page", "2")}) == 1, chip.get_text()
