"""The network app's admin, used as a superuser.

Every registered model: changelist, search, add and change views render; every autocomplete
field answers with results; the changelist runs the same number of queries however many rows
it shows. Plus the rules the admin adds: reference data is view-mostly and never loads region
boundaries; a network's memberships keep one lead partner without a server error.

The tests make their own objects, named with a unique token, so they do not depend on the
reference and demo data the session may load.
"""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from measures.models import Course, TargetGroup
from network.models import (
    Certification,
    Contact,
    Event,
    Membership,
    Network,
    NetworkPhase,
    Organisation,
    OrganisationCertification,
    PostalCode,
    Project,
    Region,
    Venue,
    WorkingGroup,
)

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2030, 5, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
MAX_CHANGELIST_QUERIES = 20


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


# Objects -----------------------------------------------------------------------------------


class World:
    """One object of every model, each named with ``token`` so a search finds it."""

    def __init__(self):
        self.token = "Quokka" + uuid.uuid4().hex[:8]
        self.slug = self.token.lower()
        self.key = "999" + str(uuid.uuid4().int)[:5]
        t = self.token
        self.state = Region.objects.create(key="999", name=f"{t}land", kind=Region.Kind.STATE)
        self.region = Region.objects.create(
            key=self.key,
            name=f"{t}-Kreis",
            kind=Region.Kind.DISTRICT,
            official_kind="Landkreis",
            parent=self.state,
            boundary={"type": "Polygon", "coordinates": [[[8.0, 50.0], [8.1, 50.0]]]},
        )
        self.postal_code = PostalCode.objects.create(
            code="99999", place=f"{t}hausen", district=self.region, latitude=50, longitude=8
        )
        self.organisation = Organisation.objects.create(
            name=f"{t} Volkshochschule",
            slug=f"{self.slug}-vhs",
            kind=Organisation.Kind.ADULT_EDUCATION_CENTRE,
            is_provider=True,
            city=f"{t}hausen",
            region=self.region,
        )
        self.partner = Organisation.objects.create(
            name=f"{t} Kammer", slug=f"{self.slug}-kammer", region=self.region
        )
        self.contact = Contact.objects.create(
            organisation=self.organisation, name=f"Erika {t}", email="erika@example.org"
        )
        self.venue = Venue.objects.create(
            organisation=self.organisation, name=f"{t}-Haus", city="Mainz", region=self.region
        )
        self.certification = Certification.objects.create(
            name=f"{t}-Siegel", slug=f"{self.slug}-siegel"
        )
        self.certificate = OrganisationCertification.objects.create(
            organisation=self.organisation, certification=self.certification
        )
        self.network = Network.objects.create(
            name=f"Lernende Region {t}", slug=f"{self.slug}-netz", lead_partner=self.organisation
        )
        self.network.regions.add(self.region)
        self.phase = NetworkPhase.objects.create(
            network=self.network, kind=NetworkPhase.Kind.PLANNING, start=dt.date(2030, 1, 1)
        )
        self.membership = Membership.objects.create(
            network=self.network, organisation=self.organisation, role=Membership.Role.LEAD
        )
        self.partner_membership = Membership.objects.create(
            network=self.network, organisation=self.partner, role=Membership.Role.COOPERATION
        )
        self.working_group = WorkingGroup.objects.create(
            network=self.network, name=f"AG {t}", slug=f"{self.slug}-ag", lead=self.organisation
        )
        self.working_group.members.add(self.organisation, self.partner)
        self.target_group = TargetGroup.objects.create(
            name=f"{t}-Zielgruppe", slug=f"{self.slug}-zielgruppe"
        )
        self.project = Project.objects.create(
            network=self.network,
            working_group=self.working_group,
            title=f"{t}-Messe",
            slug=f"{self.slug}-messe",
            lead=self.organisation,
            start=dt.date(2030, 3, 1),
        )
        self.project.participants.add(self.partner)
        self.project.target_groups.add(self.target_group)
        self.event = Event.objects.create(
            network=self.network,
            project=self.project,
            working_group=self.working_group,
            title=f"{t}-Auftakt",
            slug=f"{self.slug}-auftakt",
            kind=Event.Kind.KICK_OFF,
            starts_at=MOMENT,
            region=self.region,
            organiser=self.organisation,
        )
        self.course = Course.objects.create(
            provider=self.organisation, title=f"{t}-Kurs", slug=f"{self.slug}-kurs"
        )
        self.objects = {
            Region: self.region,
            PostalCode: self.postal_code,
            Network: self.network,
            Organisation: self.organisation,
            Contact: self.contact,
            Venue: self.venue,
            Certification: self.certification,
            Membership: self.membership,
            WorkingGroup: self.working_group,
            Project: self.project,
            Event: self.event,
        }

    def add_rows(self, model, count=5):
        """More rows of ``model``, each with the relations its list shows."""
        t, s = self.token, self.slug
        for i in range(count):
            if model is Region:
                Region.objects.create(
                    key=f"9990{i}",
                    name=f"{t}-Kreis {i}",
                    kind=Region.Kind.DISTRICT,
                    parent=self.state,
                    boundary={"type": "Point", "coordinates": [8, 50]},
                )
            elif model is PostalCode:
                PostalCode.objects.create(
                    code=f"9999{i}",
                    place=f"{t}dorf",
                    district=self.region,
                    latitude=50,
                    longitude=i,
                )
            elif model is Network:
                network = Network.objects.create(
                    name=f"Netz {t} {i}", slug=f"{s}-netz-{i}", lead_partner=self.partner
                )
                network.regions.add(self.region, self.state)
                Membership.objects.create(
                    network=network, organisation=self.partner, role=Membership.Role.LEAD
                )
            elif model is Organisation:
                organisation = Organisation.objects.create(
                    name=f"{t} Träger {i}", slug=f"{s}-traeger-{i}", region=self.region
                )
                Course.objects.create(provider=organisation, title=f"K {i}", slug=f"{s}-k-{i}")
                Membership.objects.create(
                    network=self.network, organisation=organisation, role=Membership.Role.STRATEGIC
                )
            elif model is Contact:
                Contact.objects.create(organisation=self.partner, name=f"{t} Person {i}")
            elif model is Venue:
                Venue.objects.create(
                    organisation=self.partner, name=f"{t} Ort {i}", region=self.region
                )
            elif model is Certification:
                certification = Certification.objects.create(
                    name=f"{t} Siegel {i}", slug=f"{s}-siegel-{i}"
                )
                OrganisationCertification.objects.create(
                    organisation=self.partner, certification=certification
                )
            elif model is Membership:
                organisation = Organisation.objects.create(
                    name=f"{t} Mitglied {i}", slug=f"{s}-mitglied-{i}"
                )
                Membership.objects.create(
                    network=self.network, organisation=organisation, role=Membership.Role.STRATEGIC
                )
            elif model is WorkingGroup:
                group = WorkingGroup.objects.create(
                    network=self.network,
                    parent=self.working_group,
                    name=f"{t} Untergruppe {i}",
                    slug=f"{s}-ug-{i}",
                    lead=self.partner,
                )
                group.members.add(self.partner)
            elif model is Project:
                Project.objects.create(
                    network=self.network,
                    working_group=self.working_group,
                    title=f"{t} Vorhaben {i}",
                    slug=f"{s}-vorhaben-{i}",
                    lead=self.partner,
                    start=dt.date(2030, 1, 1 + i),
                )
            elif model is Event:
                Event.objects.create(
                    network=self.network,
                    title=f"{t} Treffen {i}",
                    slug=f"{s}-treffen-{i}",
                    starts_at=MOMENT + dt.timedelta(days=i),
                    region=self.region,
                    organiser=self.partner,
                )
            else:  # pragma: no cover - a new model needs its rows here
                raise AssertionError(f"no rows for {model.__name__}")


@pytest.fixture
def world():
    return World()


NETWORK_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "network"),
    key=lambda model: model._meta.model_name,
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def result_rows(response):
    table = soup_of(response).find("table", id="result_list")
    return table.find("tbody").find_all("tr") if table else []


def autocomplete_fields(app_label):
    """(source model, field name, target model) for every autocomplete field, inlines too."""
    found = []
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            for name in each.autocomplete_fields:
                field = each.model._meta.get_field(name)
                if each.model._meta.app_label == app_label:
                    found.append((each.model, name, field.remote_field.model))
    return sorted(set(found), key=lambda item: (item[0]._meta.model_name, item[1]))


# Every model -------------------------------------------------------------------------------


def test_every_network_model_is_registered():
    expected = {
        Region,
        PostalCode,
        Network,
        Organisation,
        Contact,
        Venue,
        Certification,
        Membership,
        WorkingGroup,
        Project,
        Event,
    }
    assert expected <= set(NETWORK_MODELS)


def test_admin_index_shows_the_site_header(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.find(id="site-name").get_text(strip=True) == "Bildungsatlas – Verwaltung"
    assert "Bildungsatlas – Verwaltung" in soup.title.get_text()


@pytest.mark.parametrize("model", NETWORK_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_lists_the_object(admin_client, world, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert soup_of(response).find("table", id="result_list") is not None


@pytest.mark.parametrize("model", NETWORK_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_search_finds_the_object(admin_client, world, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": world.token})
    assert response.status_code == 200
    rows = result_rows(response)
    assert rows, f"searching {model.__name__} for {world.token} found nothing"
    checkbox_values = {row.find("input", {"name": "_selected_action"})["value"] for row in rows}
    assert str(world.objects[model].pk) in checkbox_values


@pytest.mark.parametrize("model", NETWORK_MODELS, ids=lambda m: m._meta.model_name)
def test_add_view_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == 200
    assert soup_of(response).find("form", id=f"{model._meta.model_name}_form") is not None


@pytest.mark.parametrize("model", NETWORK_MODELS, ids=lambda m: m._meta.model_name)
def test_change_view_renders(admin_client, world, model):
    obj = world.objects[model]
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    form = soup_of(response).find("form", id=f"{model._meta.model_name}_form")
    assert form is not None
    assert not form.find_all(class_="errorlist")


@pytest.mark.parametrize(
    ("source", "field_name", "target"),
    autocomplete_fields("network"),
    ids=lambda value: getattr(value, "__name__", value),
)
def test_autocomplete_answers_with_results(admin_client, world, source, field_name, target):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": source._meta.app_label,
            "model_name": source._meta.model_name,
            "field_name": field_name,
            "term": world.token,
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results, f"{source.__name__}.{field_name} → {target.__name__}: no results"
    assert all(world.token in result["text"] for result in results)


def changelist_query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", NETWORK_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, world, model, django_assert_max_num_queries
):
    url = admin_url(model, "changelist") + f"?q={world.token}"
    admin_client.get(url)  # warm caches (content types, sessions)
    few = changelist_query_count(admin_client, url)
    world.add_rows(model)
    admin_client.get(url)  # again: new vocabulary rows start a new search generation
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        many = changelist_query_count(admin_client, url)
    assert len(result_rows(admin_client.get(url))) >= 6
    assert many == few


# Reference data -----------------------------------------------------------------------------


def test_region_lists_and_forms_never_load_the_boundary(admin_client, world):
    response = admin_client.get(admin_url(Region, "changelist"), {"q": world.token})
    listed = list(response.context["cl"].result_list)
    assert listed
    assert all("boundary" in region.get_deferred_fields() for region in listed)
    assert all(
        "boundary" in region.parent.get_deferred_fields() for region in listed if region.parent
    )
    assert "coordinates" not in response.content.decode()

    response = admin_client.get(admin_url(Region, "change", world.region.pk))
    assert response.status_code == 200
    assert "coordinates" not in response.content.decode()
    assert soup_of(response).find(attrs={"name": "boundary"}) is None


def test_reference_data_is_view_only_for_staff(client, django_user_model, world):
    staff = django_user_model.objects.create_user("redaktion", password="x" * 16, is_staff=True)
    client.force_login(staff)
    for model in (Region, PostalCode):
        assert client.get(admin_url(model, "changelist")).status_code == 200
        assert client.get(admin_url(model, "add")).status_code == 403
        obj = world.objects[model]
        response = client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200
        assert soup_of(response).find("input", {"name": "_save"}) is None
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "network",
            "model_name": "venue",
            "field_name": "region",
            "term": world.token,
        },
    )
    assert response.status_code == 200
    assert response.json()["results"]


# Forms ----------------------------------------------------------------------------------------


def form_data(response, form_id):
    """The values a browser would send for the form as rendered (no empty inline templates)."""
    form = soup_of(response).find("form", id=form_id)
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or "__prefix__" in name or field.has_attr("disabled"):
            continue
        if field.name == "input":
            kind = field.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                continue
            if kind in {"checkbox", "radio"}:
                if field.has_attr("checked"):
                    data.setdefault(name, []).append(field.get("value", "on"))
                continue
            data[name] = field.get("value", "")
        elif field.name == "select":
            options = field.find_all("option")
            selected = [
                option.get("value", "") for option in options if option.has_attr("selected")
            ]
            if field.has_attr("multiple"):
                data[name] = selected
            else:
                data[name] = (
                    selected[0] if selected else (options[0].get("value", "") if options else "")
                )
        else:
            data[name] = field.get_text()
    return data


def network_form(admin_client, network):
    response = admin_client.get(admin_url(Network, "change", network.pk))
    return form_data(response, "network_form")


def membership_row(data, organisation):
    for key, value in data.items():
        if key.startswith("memberships-") and key.endswith("-organisation"):
            if value == str(organisation.pk):
                return key.removesuffix("-organisation")
    raise AssertionError("membership row not found")


def test_second_lead_partner_in_the_network_form_is_an_error(admin_client, world):
    data = network_form(admin_client, world.network)
    data[membership_row(data, world.partner) + "-role"] = Membership.Role.LEAD
    response = admin_client.post(admin_url(Network, "change", world.network.pk), data)
    assert response.status_code == 200
    errors = soup_of(response).select("#memberships-group .errorlist")
    assert "Ein Netzwerk hat nur einen Lead-Partner." in " ".join(e.get_text() for e in errors)
    world.partner_membership.refresh_from_db()
    assert world.partner_membership.role == Membership.Role.COOPERATION


def test_lead_partner_can_be_handed_over_in_one_save(admin_client, world):
    data = network_form(admin_client, world.network)
    data[membership_row(data, world.organisation) + "-role"] = Membership.Role.CONSORTIUM
    data[membership_row(data, world.partner) + "-role"] = Membership.Role.LEAD
    response = admin_client.post(admin_url(Network, "change", world.network.pk), data)
    assert response.status_code == 302
    roles = dict(world.network.memberships.values_list("organisation_id", "role"))
    assert roles == {
        world.organisation.pk: Membership.Role.CONSORTIUM,
        world.partner.pk: Membership.Role.LEAD,
    }


def test_phase_ending_before_it_starts_is_an_error(admin_client, world):
    data = network_form(admin_client, world.network)
    data["phases-0-end"] = "2029-12-31"
    response = admin_client.post(admin_url(Network, "change", world.network.pk), data)
    assert response.status_code == 200
    errors = soup_of(response).select("#phases-group .errorlist")
    assert "Das Ende darf nicht vor dem Beginn liegen." in " ".join(e.get_text() for e in errors)


def test_organisation_is_saved_with_contact_venue_and_certificate(admin_client, world):
    response = admin_client.get(admin_url(Organisation, "add"))
    data = form_data(response, "organisation_form")
    data.update(
        {
            "name": f"{world.token} Bildungswerk",
            "slug": f"{world.slug}-bildungswerk",
            "kind": Organisation.Kind.NON_PROFIT_PROVIDER,
            "is_provider": "on",
            "core_competencies": "Sprachen, EDV",
            "region": str(world.region.pk),
            "contacts-0-name": "Max Muster",
            "venues-0-name": "Hauptstelle",
            "venues-0-city": "Mainz",
            "venues-0-step_free_access": "on",
            "certificates-0-certification": str(world.certification.pk),
            "certificates-0-valid_from": "2030-01-01",
            "certificates-0-valid_until": "2032-12-31",
        }
    )
    response = admin_client.post(admin_url(Organisation, "add"), data)
    assert response.status_code == 302, soup_of(response).select(".errorlist")
    organisation = Organisation.objects.get(slug=f"{world.slug}-bildungswerk")
    assert organisation.core_competencies == ["Sprachen", "EDV"]
    assert organisation.contacts.get().name == "Max Muster"
    assert organisation.venues.get().step_free_access is True
    assert organisation.certificates.get().certification == world.certification


def test_organisation_form_shows_inlines_next_to_their_fieldsets(admin_client):
    soup = soup_of(admin_client.get(admin_url(Organisation, "add")))
    order = [
        element.get("id") if element.name == "div" else element.get_text(strip=True)
        for element in soup.select("fieldset > h2.fieldset-heading, div.inline-group")
    ]
    assert order.index("certificates-group") < order.index("Wo")
    assert order.index("Barrierefreiheit") < order.index("venues-group") < order.index("Kontakt")
    assert order.index("Kontakt") < order.index("contacts-group") < order.index("Verwaltung")


def test_working_group_as_its_own_parent_is_an_error(admin_client, world):
    url = admin_url(WorkingGroup, "change", world.working_group.pk)
    data = form_data(admin_client.get(url), "workinggroup_form")
    data["parent"] = str(world.working_group.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    errors = " ".join(error.get_text() for error in soup_of(response).select(".errorlist"))
    assert "Eine Gruppe kann nicht ihre eigene Untergruppe sein." in errors
    world.working_group.refresh_from_db()
    assert world.working_group.parent is None
