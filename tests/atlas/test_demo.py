"""The demo data (``load_demo``), as the session fixture loaded it."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import TaggedItem

from atlas import demo
from core import generations
from measures.models import Course, CourseDate, FundingType, Module
from network.models import (
    Contact,
    Event,
    Membership,
    Network,
    Organisation,
    OrganisationCertification,
    Project,
    Region,
    Venue,
    WorkingGroup,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_of_today")]


@pytest.fixture(autouse=True)
def _embedded(monkeypatch):
    """load_demo as on the embedded database (without --force it writes nothing into a
    DATABASE_URL, and the suite may run on one)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)


NETWORKS = {
    "step-on-mainz",
    "lernende-metropolregion-hamburg",
    "weiterbildungscluster-westmecklenburg",
    "lernende-region-innviertel-hausruck",
    "amon-nachqualifizierung",
}
DELIBERATELY_OUT_OF_DATE = {
    "demo-vhs-mainz-franzoesisch-reise",
    "demo-vhspi-niederlaendisch",
    "demo-kvhs-yoga",
}
# Vocabulary tables: load_demo re-runs load_vocabularies, which updates them in place.
VOCABULARY_TABLES = (
    "measures_subject",
    "measures_targetgroup",
    "measures_fundingtype",
    "measures_certificatekind",
    "network_certification",
)


def demo_courses():
    return Course.objects.filter(external_id__startswith="demo-")


def regions_of(network):
    query = Q(pk__in=[])
    for region in network.regions.all():
        query |= Q(pk__in=Region.objects.within(region))
    return Region.objects.filter(query)


def test_five_networks_with_many_courses_and_providers():
    assert set(Network.objects.values_list("slug", flat=True)) >= NETWORKS
    assert demo_courses().count() >= 70
    providers = Organisation.objects.filter(
        is_provider=True, courses__external_id__startswith="demo-"
    ).distinct()
    assert providers.count() >= 22


@pytest.mark.parametrize("slug", sorted(NETWORKS))
def test_every_network_has_published_current_courses_in_its_regions(slug):
    network = Network.objects.get(slug=slug)
    regions = regions_of(network)
    public = Course.objects.public().filter(
        Q(dates__venue__region__in=regions) | Q(provider__region__in=regions)
    )
    assert public.distinct().count() >= 5


def test_hamburg_network_spans_three_states():
    network = Network.objects.get(slug="lernende-metropolregion-hamburg")
    states = {region.key[:2] for region in network.regions.all()}
    assert states == {"01", "02", "03"}  # Schleswig-Holstein, Hamburg, Niedersachsen
    assert {"02000", "01056", "01060", "01061"} <= set(
        network.regions.values_list("key", flat=True)
    )


def test_austrian_network_covers_the_austrian_country_region():
    network = Network.objects.get(slug="lernende-region-innviertel-hausruck")
    (region,) = network.regions.all()
    assert (region.key, region.kind, region.country) == ("AT", Region.Kind.COUNTRY, "AT")
    venues = Venue.objects.filter(organisation__memberships__network=network)
    assert venues.exists()
    assert not venues.filter(Q(latitude__isnull=True) | ~Q(region=region)).exists()


@pytest.mark.parametrize("slug", sorted(NETWORKS))
def test_every_network_has_its_lead_partner_as_lead_member(slug):
    network = Network.objects.get(slug=slug)
    lead = Membership.objects.get(network=network, role=Membership.Role.LEAD)
    assert network.lead_partner is not None
    assert lead.organisation == network.lead_partner
    assert network.phases.exists()
    assert network.memberships.count() >= 5


def test_memberships_record_declarations_and_hidden_partners():
    mainz = Membership.objects.filter(network__slug="step-on-mainz")
    assert mainz.filter(declaration=Membership.Declaration.LETTER_OF_INTENT).count() == 7
    assert mainz.filter(declaration=Membership.Declaration.COOPERATION_AGREEMENT).exists()
    cluster = Membership.objects.filter(network__slug="weiterbildungscluster-westmecklenburg")
    assert cluster.filter(declaration=Membership.Declaration.PARTICIPATION).count() == 9
    assert Membership.objects.filter(is_public=False).exists()


def test_mainz_has_its_four_working_groups_with_members_and_subgroups():
    groups = WorkingGroup.objects.filter(network__slug="step-on-mainz", parent=None)
    names = set(groups.values_list("name", flat=True))
    assert names == {
        "Bildungsmarketing",
        "Medien",
        "Chancengleichheit",
        "Älter werden in der Region",
    }
    for group in groups:
        assert group.lead is not None
        assert group.members.count() >= 5
    aelter = groups.get(name="Älter werden in der Region")
    assert aelter.lead.slug == "ib-bildungszentrum-mainz"
    assert aelter.subgroups.count() == 3


@pytest.mark.parametrize(
    ("network", "project"),
    [
        ("step-on-mainz", "medienbildungsmesse"),
        ("step-on-mainz", "pro-altenpflege"),
        ("step-on-mainz", "leitfaden-gender-mainstreaming"),
        ("step-on-mainz", "bildungsatlas"),
        ("step-on-mainz", "servicestelle-frauen-ab-40"),
        ("lernende-metropolregion-hamburg", "edu-21"),
        ("lernende-metropolregion-hamburg", "bildungskongress"),
        ("lernende-metropolregion-hamburg", "bildungshotline"),
        ("lernende-metropolregion-hamburg", "bildungsdatenbank"),
        ("weiterbildungscluster-westmecklenburg", "weiterbildungsdatenbank-mv"),
        ("amon-nachqualifizierung", "tag-der-ausbildenden-fachkraft"),
    ],
)
def test_the_reported_projects_exist(network, project):
    found = Project.objects.get(network__slug=network, slug=project)
    assert found.lead is not None
    assert found.summary
    assert found.target_groups.exists()


def test_events_include_the_reported_ones_and_past_and_upcoming_per_network():
    now = timezone.now()
    kick_off = Event.objects.get(network__slug="step-on-mainz", slug="auftakt-landtag-2001")
    assert kick_off.starts_at.date().isoformat() == "2001-10-15"
    hamburg = Event.objects.get(
        network__slug="lernende-metropolregion-hamburg", slug="auftakt-haus-der-wirtschaft-2001"
    )
    assert hamburg.kind == Event.Kind.KICK_OFF
    assert Event.objects.filter(slug="altenpflegetag", project__slug="pro-altenpflege").exists()
    for slug in NETWORKS:
        events = Event.objects.filter(network__slug=slug)
        assert events.filter(starts_at__lt=now).exists(), slug
        assert events.filter(starts_at__gt=now).exists(), slug


@pytest.mark.parametrize(
    ("external_id", "units", "modules"),
    [("demo-saz-amon-lernbegleitung", 40, 6), ("demo-saz-amon-ausbildende-fachkraft", 16, 4)],
)
def test_amon_curricula_add_up_as_in_the_report(external_id, units, modules):
    course = Course.objects.get(external_id=external_id)
    assert course.modules.count() == modules
    assert course.module_units == units == course.teaching_units
    assert list(course.modules.values_list("position", flat=True)) == list(range(1, modules + 1))


def test_amon_curricula_keep_the_reported_topics():
    titles = Module.objects.filter(course__external_id="demo-saz-amon-lernbegleitung")
    assert list(titles.values_list("title", "teaching_units")) == [
        ("Berufliche Bildungsprozesse", 2),
        ("Vom Ausbilder zum Lernbegleiter", 6),
        ("Bildungsbedarf", 8),
        ("Konzeption", 8),
        ("Lernprozesse begleiten", 8),
        ("Sicherung des Lernertrages", 8),
    ]


def test_published_demo_courses_are_current_except_the_deliberate_ones():
    published = demo_courses().published()
    current = set(published.public().values_list("external_id", flat=True))
    stale = set(published.values_list("external_id", flat=True)) - current
    assert stale == DELIBERATELY_OUT_OF_DATE
    today = timezone.localdate()
    for course in published.filter(external_id__in=DELIBERATELY_OUT_OF_DATE):
        for date in course.dates.all():
            assert (
                date.booking_status == CourseDate.BookingStatus.CANCELLED or date.end_date < today
            )
    yoga = Course.objects.get(external_id="demo-kvhs-yoga")
    assert {d.booking_status for d in yoga.dates.all()} == {CourseDate.BookingStatus.CANCELLED}


def test_course_dates_are_relative_to_today_and_varied():
    today = timezone.localdate()
    dates = CourseDate.objects.filter(course__external_id__startswith="demo-")
    assert dates.filter(start_date__gt=today).count() >= 40
    assert dates.filter(start_date__lt=today, end_date__gte=today).exists()  # running
    assert dates.filter(rolling_start=True).exists()
    assert set(dates.values_list("mode", flat=True)) == set(CourseDate.Mode.values)
    assert set(dates.values_list("booking_status", flat=True)) == set(
        CourseDate.BookingStatus.values
    )
    assert dates.filter(weekdays__overlap=[5, 6]).exists()
    assert dates.filter(start_time__gte="17:00").exists()
    assert dates.filter(registration_deadline__isnull=False).exists()
    for date in dates.exclude(start_date=None).exclude(weekdays=[]):
        assert date.start_date.weekday() in date.weekdays


def test_courses_use_the_vocabularies_and_prices_as_described():
    courses = demo_courses()
    assert courses.filter(price_kind=Course.PriceKind.FREE).exists()
    assert courses.filter(price_kind=Course.PriceKind.ON_REQUEST).exists()
    assert courses.filter(price_kind=Course.PriceKind.REDUCED).exists()
    assert courses.filter(status=Course.Status.DRAFT).exists()
    assert courses.filter(status=Course.Status.SUBMITTED).exists()
    leave = courses.filter(funding__kind=FundingType.Kind.EDUCATIONAL_LEAVE).distinct()
    assert leave.filter(funding__slug="bildungsfreistellung-rheinland-pfalz").exists()
    assert leave.filter(funding__slug="bildungsurlaub-hamburg").exists()
    assert courses.filter(funding__slug="bildungsgutschein").exists()
    assert courses.filter(funding__slug="aufstiegs-bafoeg").exists()
    assert courses.exclude(language=Course.Language.GERMAN).exists()
    for course in courses.prefetch_related("subjects", "target_groups"):
        assert course.subjects.exists(), course.external_id
        assert course.target_groups.exists(), course.external_id
    assert TaggedItem.objects.filter(object_id__in=courses.values("pk")).count() >= 200
    pflege = Course.objects.get(external_id="demo-zww-interkulturelle-pflege")
    assert "kultursensible Pflege" in pflege.keywords.names()


def test_courses_are_searchable_and_have_readable_german_slugs():
    assert not demo_courses().filter(search_document__isnull=True).exists()
    course = Course.objects.get(external_id="demo-kvhs-migration-tuerkisch")
    assert course.slug == "aelter-werden-in-der-migration-gesundheit-im-alter-auf-tuerkisch"
    assert demo_courses().count() == len(set(demo_courses().values_list("slug", flat=True)))


def test_providers_have_contacts_venues_and_certificates_some_expired():
    providers = Organisation.objects.filter(courses__external_id__startswith="demo-").distinct()
    for provider in providers:
        assert (
            provider.venues.exists()
            or not provider.courses.filter(dates__mode=CourseDate.Mode.IN_PERSON).exists()
        ), provider.slug
        assert provider.region_id is not None, provider.slug
        assert provider.latitude is not None, provider.slug
    mainz = Organisation.objects.get(slug="vhs-mainz")
    assert (mainz.region.key, mainz.postal_code) == ("07315", "55116")
    certificates = OrganisationCertification.objects.all()
    assert certificates.valid_on().exists()
    assert certificates.exclude(pk__in=certificates.valid_on()).exists()
    assert Contact.objects.filter(name="Susan Remé", organisation__slug="vhs-pinneberg").exists()


def snapshot():
    """Counts and identities of everything the demo loader writes."""
    dates = CourseDate.objects.filter(course__external_id__startswith="demo-")
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Network,
                Organisation,
                Membership,
                WorkingGroup,
                Project,
                Event,
                Course,
                CourseDate,
                Module,
                Venue,
                Contact,
                OrganisationCertification,
                TaggedItem,
                Region,
            )
        },
        "courses": set(demo_courses().values_list("pk", "slug", "updated_at", "published_at")),
        "dates": set(dates.values_list("pk", "external_id", "start_date", "end_date")),
        "organisations": set(Organisation.objects.values_list("pk", "slug", "updated_at")),
        "memberships": set(Membership.objects.values_list("pk", "network_id", "organisation_id")),
        "events": set(Event.objects.values_list("pk", "slug", "starts_at")),
    }


def test_loading_again_changes_nothing():
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        call_command("load_demo", verbosity=0)
    assert snapshot() == before
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].split(" ", 1)[0] in {"INSERT", "UPDATE", "DELETE"}
        and not any(table in query["sql"] for table in VOCABULARY_TABLES)
        # (The search's log of changes, like its generation numbers, is bookkeeping.)
        and generations.CHANGES_TABLE not in query["sql"]
    ]
    assert writes == []


def test_loading_on_a_later_day_moves_the_same_date_rows():
    dates = CourseDate.objects.filter(course__external_id__startswith="demo-", rolling_start=False)
    before = dict(dates.values_list("external_id", "pk"))
    starts = dict(dates.values_list("external_id", "start_date"))
    later = timezone.localdate() + timedelta(days=10)
    demo.load_demo(today=later)
    assert dict(dates.values_list("external_id", "pk")) == before
    moved = dict(dates.values_list("external_id", "start_date"))
    assert all(moved[key] > starts[key] for key in before)
    # Back to today: the rows return to where they were.
    demo.load_demo()
    assert dict(dates.values_list("external_id", "start_date")) == starts


def test_plain_load_creates_no_users_and_prints_no_accounts():
    users = get_user_model().objects.count()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert get_user_model().objects.count() == users
    assert " / " not in out.getvalue()
    assert "Demodaten geladen" in out.getvalue()


def test_with_accounts_creates_the_superuser_and_prints_a_fresh_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    out = StringIO()
    call_command("load_demo", "--with-accounts", verbosity=0, stdout=out)
    match = re.search(r"^admin / (\S+)  \(Superuser\)$", out.getvalue(), re.MULTILINE)
    assert match, out.getvalue()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.check_password(match.group(1))

    again = StringIO()
    call_command("load_demo", "--with-accounts", verbosity=0, stdout=again)
    new_password = re.search(r"^admin / (\S+)  ", again.getvalue(), re.MULTILINE).group(1)
    assert new_password != match.group(1)
    admin.refresh_from_db()
    assert admin.check_password(new_password)
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_inconsistent_demo_data_is_a_clear_command_error(monkeypatch):
    broken = {
        "note": "test",
        "network": {
            "slug": "kaputt",
            "name": "Kaputt",
            "regions": ["07315"],
            "lead_partner": "gibt-es-nicht",
        },
    }
    monkeypatch.setattr(demo, "read_files", lambda: [broken])
    with pytest.raises(CommandError, match="gibt-es-nicht"):
        call_command("load_demo", verbosity=0)
    assert not Network.objects.filter(slug="kaputt").exists()


def test_a_run_that_crossed_midnight_sees_the_demo_of_today(monkeypatch):
    """The fixture ``demo_of_today``: the demo as loaded for yesterday is reloaded for today."""
    from tests import conftest

    def dates():
        rows = CourseDate.objects.filter(course__external_id__startswith="demo-")
        return sorted(rows.values_list("course__external_id", "start_date"), key=str)

    today = dates()
    yesterday = timezone.localdate() - timedelta(days=1)
    demo.load_demo(today=yesterday)
    assert dates() != today
    monkeypatch.setattr(conftest, "_demo_loaded_on", [yesterday])
    assert conftest.demo_for_today() is True
    assert dates() == today
    monkeypatch.setattr(conftest, "_demo_loaded_on", [timezone.localdate()])
    assert conftest.demo_for_today() is False
