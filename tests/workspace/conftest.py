"""Two tenants for the workspace tests.

Network A reviews offers; provider X is its member. Network B does not review; provider Y is
its member. The roles: a superuser, the coordinator of A, the staff of X, and a staff account
without any role ("nobody"). Every object exists once per tenant ("own" = A/X, "other" = B/Y),
named with a unique token so searches find exactly these. Users get no usable password (no
slow hashing); tests log in with ``force_login``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Module,
    Subject,
    Synonym,
    TargetGroup,
)
from network.models import (
    Certification,
    Contact,
    Event,
    Membership,
    Network,
    Organisation,
    OrganisationCertification,
    PostalCode,
    Project,
    Region,
    Venue,
    WorkingGroup,
)
from workspace.models import QualityCriterion, RoleAssignment

User = get_user_model()
ROLES = ("superuser", "coordinator", "provider_staff", "nobody")


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


def make_user(username, *, superuser=False, staff=True):
    user = User(username=username, is_staff=staff, is_superuser=superuser, is_active=True)
    user.set_unusable_password()
    user.save()
    return user


class Tenant:
    def __init__(self, world, letter, reviews):
        t = world.token
        s = world.slug
        self.network = Network.objects.create(
            name=f"Netz {letter} {t}", slug=f"{s}-netz-{letter}", reviews_offers=reviews
        )
        self.provider = Organisation.objects.create(
            name=f"Anbieter {letter} {t}",
            slug=f"{s}-anbieter-{letter}",
            is_provider=True,
            email=f"anbieter-{letter}@example.org",
        )
        self.membership = Membership.objects.create(
            network=self.network, organisation=self.provider, role=Membership.Role.LEAD
        )
        self.contact = Contact.objects.create(
            organisation=self.provider, name=f"Kontakt {letter} {t}", email="k@example.org"
        )
        self.venue = Venue.objects.create(
            organisation=self.provider, name=f"Ort {letter} {t}", city="Mainz"
        )
        self.working_group = WorkingGroup.objects.create(
            network=self.network, name=f"AG {letter} {t}", slug=f"{s}-ag-{letter}"
        )
        self.project = Project.objects.create(
            network=self.network, title=f"Vorhaben {letter} {t}", slug=f"{s}-vh-{letter}"
        )
        self.event = Event.objects.create(
            network=self.network,
            title=f"Treffen {letter} {t}",
            slug=f"{s}-tr-{letter}",
            starts_at=timezone.now() + dt.timedelta(days=30),
        )
        self.criterion = QualityCriterion.objects.create(
            network=self.network, title=f"Kriterium {letter} {t}"
        )
        self.course = Course.objects.create(
            provider=self.provider,
            title=f"Kurs {letter} {t}",
            slug=f"{s}-kurs-{letter}",
            contact=self.contact,
        )
        self.submitted = Course.objects.create(
            provider=self.provider,
            title=f"Eingereicht {letter} {t}",
            slug=f"{s}-eingereicht-{letter}",
            status=Course.Status.SUBMITTED,
        )
        self.date = CourseDate.objects.create(
            course=self.course,
            start_date=timezone.localdate() + dt.timedelta(days=10),
            venue=self.venue,
        )
        self.module = Module.objects.create(course=self.course, title=f"Modul {letter} {t}")
        self.certificate = OrganisationCertification.objects.create(
            organisation=self.provider, certification=world.certifications[0]
        )


class World:
    def __init__(self):
        self.token = "Wombat" + uuid.uuid4().hex[:8]
        self.slug = self.token.lower()
        t, s = self.token, self.slug
        self.certifications = [
            Certification.objects.create(name=f"Siegel {i} {t}", slug=f"{s}-siegel-{i}")
            for i in (1, 2)
        ]
        self.a = Tenant(self, "A", reviews=True)
        self.b = Tenant(self, "B", reviews=False)
        self.superuser = make_user(f"{s}-super", superuser=True)
        self.coordinator = make_user(f"{s}-koord")
        RoleAssignment.objects.create(
            user=self.coordinator, kind=RoleAssignment.Kind.COORDINATOR, network=self.a.network
        )
        self.staff = make_user(f"{s}-redaktion")
        RoleAssignment.objects.create(
            user=self.staff, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=self.a.provider
        )
        self.nobody = make_user(f"{s}-niemand")
        # Accounts that a coordinator of A may or may not manage.
        self.staff_b = make_user(f"{s}-redaktion-b")
        RoleAssignment.objects.create(
            user=self.staff_b,
            kind=RoleAssignment.Kind.PROVIDER_STAFF,
            organisation=self.b.provider,
        )
        self.users = {
            "superuser": self.superuser,
            "coordinator": self.coordinator,
            "provider_staff": self.staff,
            "nobody": self.nobody,
        }

    def info_pages(self):
        from pages.models import InfoPage

        return tuple(
            InfoPage.objects.create(title=f"Seite {i} {self.token}", slug=f"{self.slug}-s{i}")
            for i in (1, 2)
        )

    def reference_pair(self, model):
        """Two rows of a reference or shared model, named with the token."""
        t, s = self.token, self.slug
        if model is Region:
            return [
                Region.objects.create(
                    key=f"99{uuid.uuid4().int % 10**8:08d}"[:10],
                    name=f"{t}-Land {i}",
                    kind=Region.Kind.STATE,
                )
                for i in (1, 2)
            ]
        if model is PostalCode:
            return [
                PostalCode.objects.create(
                    code=f"9{i}999", place=f"{t}dorf", latitude=50, longitude=8 + i
                )
                for i in (1, 2)
            ]
        if model is Certification:
            return self.certifications
        if model is Synonym:
            return [Synonym.objects.create(term=f"{t} {i}", alternatives="Wort") for i in (1, 2)]
        if model is FundingType:
            return [
                FundingType.objects.create(
                    name=f"{t} Förderung {i}", slug=f"{s}-f-{i}", kind=FundingType.Kind.OTHER
                )
                for i in (1, 2)
            ]
        if model in (Subject, TargetGroup, CertificateKind):
            return [
                model.objects.create(name=f"{t} {model.__name__} {i}", slug=f"{s}-v-{i}")
                for i in (1, 2)
            ]
        raise AssertionError(f"no reference rows for {model.__name__}")


@pytest.fixture
def world():
    return World()


def login(client, user):
    client.force_login(user)
    return client
