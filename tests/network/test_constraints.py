"""The network app's database constraints, each tested both ways (STYLE.md).

(a) A ModelForm (or ``full_clean()``) turns invalid data into a validation error carrying the
    constraint's German message; (b) writing the same data past validation makes the database
    raise ``IntegrityError`` from exactly that constraint. Boundary values that the rules allow
    are saved without complaint.

The tests create their own objects (unique slugs and keys), so they do not depend on the
reference and demo data the session loads.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.forms import modelform_factory
from django.utils import translation

from network.models import (
    Certification,
    Event,
    Membership,
    Network,
    NetworkPhase,
    Organisation,
    OrganisationCertification,
    PostalCode,
    Project,
    Region,
    WorkingGroup,
)

pytestmark = pytest.mark.django_db

END_AFTER_START = "Das Ende darf nicht vor dem Beginn liegen."
VALID_UNTIL_AFTER_FROM = "„Gültig bis“ darf nicht vor „gültig ab“ liegen."
CERTIFICATE_TWICE = "Diese Zertifizierung mit diesem Beginn ist bereits eingetragen."
MEMBER_TWICE = "Diese Organisation ist bereits Mitglied dieses Netzwerks."
ONE_LEAD = "Ein Netzwerk hat nur einen Lead-Partner."
SLUG_TAKEN_IN_NETWORK = "Diese Kurzadresse ist im Netzwerk schon vergeben."
GROUP_OWN_PARENT = "Eine Gruppe kann nicht ihre eigene Untergruppe sein."

DAY = dt.date(2025, 3, 12)
MOMENT = dt.datetime(2025, 3, 12, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


@contextmanager
def violates(constraint: str):
    """Expect the block to fail in the database with an IntegrityError from ``constraint``."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    assert excinfo.value.__cause__.diag.constraint_name == constraint


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def form_for(model, fields, data, instance=None):
    return modelform_factory(model, fields=fields)(data=data, instance=instance)


def full_clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


# --- factories ---------------------------------------------------------------------------


def make_organisation(**fields) -> Organisation:
    fields.setdefault("name", "Volkshochschule Teststadt")
    fields.setdefault("slug", unique("org"))
    return Organisation.objects.create(**fields)


def make_network(**fields) -> Network:
    fields.setdefault("name", "Lernende Region Teststadt")
    fields.setdefault("slug", unique("netz"))
    return Network.objects.create(**fields)


def make_certification(**fields) -> Certification:
    fields.setdefault("name", unique("AZAV"))
    fields.setdefault("slug", unique("azav"))
    return Certification.objects.create(**fields)


def new_region(**fields) -> Region:
    fields.setdefault("key", unique("T")[:12])
    fields.setdefault("name", "Testkreis")
    fields.setdefault("kind", Region.Kind.DISTRICT)
    return Region(**fields)


# --- end not before start ----------------------------------------------------------------


def new_phase() -> NetworkPhase:
    return NetworkPhase(network=make_network(), kind=NetworkPhase.Kind.PLANNING)


def new_project() -> Project:
    return Project(network=make_network(), title="Bildungsmesse", slug="bildungsmesse")


def new_event() -> Event:
    return Event(network=make_network(), title="Netzwerktreffen", slug="netzwerktreffen")


def new_certificate() -> OrganisationCertification:
    return OrganisationCertification(
        organisation=make_organisation(), certification=make_certification()
    )


@dataclass(frozen=True)
class Period:
    """A model whose ``end`` field may be empty but not before its ``start`` field."""

    new: Callable[[], models.Model]
    start: str
    end: str
    value: object
    earlier: object
    message: str
    constraint: str


PERIODS = [
    pytest.param(
        Period(
            new=new_phase,
            start="start",
            end="end",
            value=DAY,
            earlier=DAY - dt.timedelta(days=1),
            message=END_AFTER_START,
            constraint="phase_end_after_start",
        ),
        id="network-phase",
    ),
    pytest.param(
        Period(
            new=new_project,
            start="start",
            end="end",
            value=DAY,
            earlier=DAY - dt.timedelta(days=1),
            message=END_AFTER_START,
            constraint="project_end_after_start",
        ),
        id="project",
    ),
    pytest.param(
        Period(
            new=new_event,
            start="starts_at",
            end="ends_at",
            value=MOMENT,
            earlier=MOMENT - dt.timedelta(minutes=1),
            message=END_AFTER_START,
            constraint="event_end_after_start",
        ),
        id="event",
    ),
    pytest.param(
        Period(
            new=new_certificate,
            start="valid_from",
            end="valid_until",
            value=DAY,
            earlier=DAY - dt.timedelta(days=1),
            message=VALID_UNTIL_AFTER_FROM,
            constraint="orgcert_valid_until_after_from",
        ),
        id="organisation-certificate",
    ),
]


@pytest.mark.parametrize("period", PERIODS)
def test_form_rejects_end_before_start(period):
    instance = period.new()
    form = form_for(
        type(instance),
        [period.start, period.end],
        {period.start: period.value.isoformat(), period.end: period.earlier.isoformat()},
        instance=instance,
    )

    assert form.errors == {NON_FIELD_ERRORS: [period.message]}


@pytest.mark.parametrize("period", PERIODS)
def test_database_rejects_end_before_start(period):
    instance = period.new()
    setattr(instance, period.start, period.value)
    setattr(instance, period.end, period.earlier)

    with violates(period.constraint):
        instance.save()


@pytest.mark.parametrize("end", ["same", "open"])
@pytest.mark.parametrize("period", PERIODS)
def test_end_equal_to_start_or_open_end_is_accepted(period, end):
    end_value = period.value.isoformat() if end == "same" else ""
    instance = period.new()
    form = form_for(
        type(instance),
        [period.start, period.end],
        {period.start: period.value.isoformat(), period.end: end_value},
        instance=instance,
    )

    assert form.errors == {}
    form.save()


# --- organisation certificates: one per organisation, certification and start ---------------


def test_form_rejects_same_certificate_with_same_start_twice():
    first = new_certificate()
    first.valid_from = DAY
    first.save()

    form = form_for(
        OrganisationCertification,
        ["organisation", "certification", "valid_from"],
        {
            "organisation": first.organisation.pk,
            "certification": first.certification.pk,
            "valid_from": DAY.isoformat(),
        },
    )

    assert form.errors == {NON_FIELD_ERRORS: [CERTIFICATE_TWICE]}


def test_database_rejects_same_certificate_with_same_start_twice():
    first = new_certificate()
    first.valid_from = DAY
    first.save()

    with violates("orgcert_unique_per_start"):
        OrganisationCertification.objects.create(
            organisation=first.organisation, certification=first.certification, valid_from=DAY
        )


def test_database_rejects_same_certificate_without_start_twice():
    first = new_certificate()
    first.valid_from = None
    first.save()

    with violates("orgcert_unique_per_start"):
        OrganisationCertification.objects.create(
            organisation=first.organisation, certification=first.certification, valid_from=None
        )


@pytest.mark.parametrize("other", ["start", "organisation", "certification"])
def test_certificate_differing_in_start_organisation_or_certification_is_accepted(other):
    first = new_certificate()
    first.valid_from = DAY
    first.save()
    data = {
        "organisation": first.organisation.pk,
        "certification": first.certification.pk,
        "valid_from": DAY.isoformat(),
    }
    if other == "start":
        data["valid_from"] = (DAY + dt.timedelta(days=365 * 3)).isoformat()
    elif other == "organisation":
        data["organisation"] = make_organisation().pk
    else:
        data["certification"] = make_certification().pk

    form = form_for(OrganisationCertification, list(data), data)

    assert form.errors == {}
    form.save()


# --- memberships ----------------------------------------------------------------------------


def membership_form(network, organisation, role, instance=None):
    return form_for(
        Membership,
        ["network", "organisation", "role"],
        {"network": network.pk, "organisation": organisation.pk, "role": role},
        instance=instance,
    )


def test_form_rejects_second_membership_of_organisation_in_network():
    member = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="consortium"
    )

    form = membership_form(member.network, member.organisation, "cooperation")

    assert form.errors == {NON_FIELD_ERRORS: [MEMBER_TWICE]}


def test_database_rejects_second_membership_of_organisation_in_network():
    member = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="consortium"
    )

    with violates("membership_unique_per_network"):
        Membership.objects.create(
            network=member.network, organisation=member.organisation, role="cooperation"
        )


def test_organisation_may_be_member_of_several_networks():
    member = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )

    form = membership_form(make_network(), member.organisation, "lead")

    assert form.errors == {}
    form.save()


def test_form_accepts_editing_an_existing_membership():
    member = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )

    form = membership_form(member.network, member.organisation, "lead", instance=member)

    assert form.errors == {}
    form.save()


def test_form_rejects_second_lead_partner_of_network():
    lead = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )

    form = membership_form(lead.network, make_organisation(), "lead")

    assert form.errors == {NON_FIELD_ERRORS: [ONE_LEAD]}


def test_form_rejects_promoting_a_member_to_second_lead_partner():
    lead = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )
    member = Membership.objects.create(
        network=lead.network, organisation=make_organisation(), role="consortium"
    )

    form = membership_form(lead.network, member.organisation, "lead", instance=member)

    assert form.errors == {NON_FIELD_ERRORS: [ONE_LEAD]}


def test_database_rejects_second_lead_partner_of_network():
    lead = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )

    with violates("membership_one_lead_per_network"):
        Membership.objects.create(
            network=lead.network, organisation=make_organisation(), role="lead"
        )


def test_database_rejects_promoting_a_member_to_second_lead_partner():
    lead = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )
    member = Membership.objects.create(
        network=lead.network, organisation=make_organisation(), role="consortium"
    )

    with violates("membership_one_lead_per_network"):
        Membership.objects.filter(pk=member.pk).update(role="lead")


def test_network_with_a_lead_accepts_further_partners_of_other_roles():
    lead = Membership.objects.create(
        network=make_network(), organisation=make_organisation(), role="lead"
    )

    for role in ("consortium", "strategic", "cooperation"):
        form = membership_form(lead.network, make_organisation(), role)
        assert form.errors == {}, role
        form.save()


# --- slugs unique per network: working groups, projects, events ------------------------------


def group_in(network) -> WorkingGroup:
    return WorkingGroup(network=network, name="AG Übergänge")


def project_in(network) -> Project:
    return Project(network=network, title="Bildungsmesse")


def event_in(network) -> Event:
    return Event(network=network, title="Netzwerktreffen", starts_at=MOMENT)


SLUGGED_BY_NETWORK = [
    pytest.param(group_in, "workinggroup_unique_slug", id="working-group"),
    pytest.param(project_in, "project_unique_slug", id="project"),
    pytest.param(event_in, "event_unique_slug", id="event"),
]


@pytest.mark.parametrize(("new_in", "constraint"), SLUGGED_BY_NETWORK)
def test_form_rejects_slug_taken_in_the_network(new_in, constraint):
    network = make_network()
    taken = new_in(network)
    taken.slug = "uebergaenge"
    taken.save()

    form = form_for(
        type(taken),
        ["network", "slug"],
        {"network": network.pk, "slug": "uebergaenge"},
        instance=new_in(network),
    )

    assert form.errors == {NON_FIELD_ERRORS: [SLUG_TAKEN_IN_NETWORK]}


@pytest.mark.parametrize(("new_in", "constraint"), SLUGGED_BY_NETWORK)
def test_database_rejects_slug_taken_in_the_network(new_in, constraint):
    network = make_network()
    taken = new_in(network)
    taken.slug = "uebergaenge"
    taken.save()
    duplicate = new_in(network)
    duplicate.slug = "uebergaenge"

    with violates(constraint):
        duplicate.save()


@pytest.mark.parametrize(("new_in", "constraint"), SLUGGED_BY_NETWORK)
def test_same_slug_in_another_network_is_accepted(new_in, constraint):
    taken = new_in(make_network())
    taken.slug = "uebergaenge"
    taken.save()
    other_network = make_network()

    form = form_for(
        type(taken),
        ["network", "slug"],
        {"network": other_network.pk, "slug": "uebergaenge"},
        instance=new_in(other_network),
    )

    assert form.errors == {}
    form.save()


# --- a working group is not its own parent ---------------------------------------------------


def make_group(**fields) -> WorkingGroup:
    fields.setdefault("network", make_network())
    fields.setdefault("name", "AG Übergänge")
    fields.setdefault("slug", unique("ag"))
    return WorkingGroup.objects.create(**fields)


def test_full_clean_rejects_group_as_its_own_parent():
    group = make_group()
    group.parent = group

    assert full_clean_errors(group) == {NON_FIELD_ERRORS: [GROUP_OWN_PARENT]}


def test_form_rejects_group_as_its_own_parent():
    group = make_group()

    form = form_for(WorkingGroup, ["parent"], {"parent": group.pk}, instance=group)

    assert form.errors == {NON_FIELD_ERRORS: [GROUP_OWN_PARENT]}


def test_database_rejects_group_as_its_own_parent():
    group = make_group()

    with violates("workinggroup_not_own_parent"):
        WorkingGroup.objects.filter(pk=group.pk).update(parent=F("pk"))


def test_group_below_another_group_is_accepted():
    parent = make_group()
    group = make_group(network=parent.network)

    form = form_for(WorkingGroup, ["parent"], {"parent": parent.pk}, instance=group)

    assert form.errors == {}
    form.save()


# --- unique fields: slugs, names, region keys ------------------------------------------------


def new_organisation() -> Organisation:
    return Organisation(name="Volkshochschule Teststadt", slug=unique("org"))


def new_network() -> Network:
    return Network(name="Lernende Region Teststadt", slug=unique("netz"))


def new_certification() -> Certification:
    return Certification(name=unique("AZAV"), slug=unique("azav"))


UNIQUE_FIELDS = [
    pytest.param(
        new_organisation,
        "slug",
        "Organisation mit diesem Wert für das Feld Kurzadresse existiert bereits.",
        "network_organisation_slug_key",
        id="organisation-slug",
    ),
    pytest.param(
        new_network,
        "slug",
        "Netzwerk mit diesem Wert für das Feld Kurzadresse existiert bereits.",
        "network_network_slug_key",
        id="network-slug",
    ),
    pytest.param(
        new_certification,
        "name",
        "Zertifizierung mit diesem Wert für das Feld Name existiert bereits.",
        "network_certification_name_key",
        id="certification-name",
    ),
    pytest.param(
        new_certification,
        "slug",
        "Zertifizierung mit diesem Wert für das Feld Kurzadresse existiert bereits.",
        "network_certification_slug_key",
        id="certification-slug",
    ),
    pytest.param(
        new_region,
        "key",
        "Region mit diesem Wert für das Feld Amtlicher Schlüssel existiert bereits.",
        "network_region_key_key",
        id="region-key",
    ),
]


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_form_rejects_value_taken_by_another_row(new, field, message, constraint):
    taken = new()
    taken.save()

    form = form_for(type(taken), [field], {field: getattr(taken, field)}, instance=new())

    assert form.errors == {field: [message]}


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_database_rejects_value_taken_by_another_row(new, field, message, constraint):
    taken = new()
    taken.save()
    duplicate = new()
    setattr(duplicate, field, getattr(taken, field))

    with violates(constraint):
        duplicate.save()


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_form_accepts_keeping_its_own_value(new, field, message, constraint):
    row = new()
    row.save()

    form = form_for(type(row), [field], {field: getattr(row, field)}, instance=row)

    assert form.errors == {}
    form.save()


# --- postal codes: each row once -------------------------------------------------------------

POSTAL_CODE_TWICE = (
    "Postleitzahl mit diesem Wert für das Feld Postleitzahl, Ort, Breitengrad und Längengrad "
    "existiert bereits."
)


def postal_code_row(**fields) -> dict:
    row = {"code": "00000", "place": unique("Teststadt"), "latitude": 50.11, "longitude": 8.68}
    row.update(fields)
    return row


def test_form_rejects_postal_code_row_twice():
    row = postal_code_row()
    PostalCode.objects.create(**row)

    form = form_for(PostalCode, list(row), row)

    assert form.errors == {NON_FIELD_ERRORS: [POSTAL_CODE_TWICE]}


def test_database_rejects_postal_code_row_twice():
    row = postal_code_row()
    PostalCode.objects.create(**row)

    with violates("postalcode_unique_row"):
        PostalCode.objects.create(**row)


def test_postal_code_with_several_places_is_accepted():
    row = postal_code_row()
    PostalCode.objects.create(**row)
    other_place = {**row, "place": unique("Nachbarort"), "latitude": 50.2}

    form = form_for(PostalCode, list(other_place), other_place)

    assert form.errors == {}
    form.save()
