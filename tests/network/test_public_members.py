"""An organisation is shown or counted as a member of a network, a working group or a project
only through a public membership in that network: a hidden membership, a provider without
one, or a public membership in another network does not make it one."""

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict

from network import selectors
from network.models import Membership, Network, Organisation, Project, Region, WorkingGroup
from network.partner_directory import facet_regions, partner_directory

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def organisation(name, **fields):
    slug = f"numbat-{Organisation.objects.count()}-{len(name)}"
    return Organisation.objects.create(name=name, slug=slug, kind="association", **fields)


@pytest.fixture
def network():
    return Network.objects.create(name="Numbat-Netzwerk", slug="numbat-netzwerk")


@pytest.fixture
def elsewhere():
    return Network.objects.create(name="Numbat-Nachbarn", slug="numbat-nachbarn")


@pytest.fixture
def organisations(network, elsewhere):
    """Five organisations in every group and project below; only the first is a public member
    of ``network``."""
    public = organisation("Numbat Kammer")
    hidden = organisation("Numbat Geheimbund")
    hidden_provider = organisation("Numbat Akademie", is_provider=True)
    provider_without = organisation("Numbat Bildungswerk", is_provider=True)
    member_elsewhere = organisation("Numbat Nachbarverein")
    Membership.objects.create(network=network, organisation=public, role="consortium")
    Membership.objects.create(
        network=network, organisation=hidden, role="cooperation", is_public=False
    )
    Membership.objects.create(
        network=network, organisation=hidden_provider, role="strategic", is_public=False
    )
    Membership.objects.create(network=elsewhere, organisation=member_elsewhere, role="lead")
    return {
        "public": public,
        "hidden": hidden,
        "hidden_provider": hidden_provider,
        "provider_without": provider_without,
        "member_elsewhere": member_elsewhere,
    }


NOT_MEMBERS = ("hidden", "hidden_provider", "provider_without", "member_elsewhere")


@pytest.fixture
def group(network, organisations):
    group = WorkingGroup.objects.create(network=network, name="AG Numbat", slug="ag-numbat")
    group.members.set(organisations.values())
    return group


@pytest.fixture
def project(network, organisations):
    project = Project.objects.create(network=network, title="Numbat-Messe", slug="numbat-messe")
    project.participants.set(organisations.values())
    return project


def test_public_members_of_a_network_are_those_with_a_public_membership_there(
    network, elsewhere, organisations
):
    assert set(Organisation.objects.public_members_of(network)) == {organisations["public"]}
    assert set(Organisation.objects.public_members_of(elsewhere)) == {
        organisations["member_elsewhere"]
    }
    assert set(Membership.objects.public().filter(network=network)) == set(
        Membership.objects.filter(network=network, is_public=True)
    )


def test_working_group_page_lists_public_members_only(client, group, organisations):
    page = soup(client.get(group.get_absolute_url()))
    main = page.find("main")
    found = {a["href"] for a in main.select(".link-list a")}
    assert found == {organisations["public"].get_absolute_url()}
    for key in NOT_MEMBERS:
        assert organisations[key].name not in main.get_text()


def test_project_page_lists_public_participants_only(client, project, organisations):
    page = soup(client.get(project.get_absolute_url()))
    main = page.find("main")
    found = {a["href"] for a in main.select(".link-list a")}
    assert found == {organisations["public"].get_absolute_url()}
    for key in NOT_MEMBERS:
        assert organisations[key].name not in main.get_text()


def test_network_page_counts_public_group_members_only(client, network, group, organisations):
    sub = WorkingGroup.objects.create(
        network=network, parent=group, name="AG Numbat Medien", slug="ag-numbat-medien"
    )
    sub.members.set([organisations["hidden"], organisations["provider_without"]])
    (tree,) = selectors.working_groups_tree(network)
    assert tree.member_count == 1
    assert [child.member_count for child in tree.children] == [0]
    page = soup(client.get(network.get_absolute_url()))
    card = page.find("a", string="AG Numbat").find_parent("li", class_="card")
    assert "1 Mitglied" in card.get_text(" ", strip=True)
    assert "5 Mitglieder" not in card.get_text(" ", strip=True)


def test_network_overview_counts_public_partners_only(network, organisations):
    (brief,) = [n for n in selectors.networks_in_brief() if n.pk == network.pk]
    assert brief.partner_count == 1


def test_partner_directory_counts_group_members_with_public_memberships_only(
    group, network, organisations
):
    query = QueryDict(mutable=True)
    query["network"] = network.slug
    result = partner_directory(params=query)
    assert [m.organisation for m in result.page.object_list] == [organisations["public"]]
    assert result.facets.counts("working_group")[str(group.pk)] == 1


def test_provider_profile_shows_no_group_of_a_hidden_membership(client, group, organisations):
    page = soup(client.get(organisations["hidden_provider"].get_absolute_url()))
    assert page.find("a", href=group.get_absolute_url()) is None
    assert "Numbat-Netzwerk" not in page.find("main").get_text()


def test_the_region_facet_reads_its_regions_once_per_reference_generation():
    first = facet_regions()
    assert facet_regions() is first  # not read again
    state = Region.objects.filter(kind=Region.Kind.STATE).first()
    Region.objects.create(
        key="99999", name="Neuland", kind=Region.Kind.DISTRICT, country=state.country
    )
    assert "Neuland" in {region.name for region in facet_regions()}
