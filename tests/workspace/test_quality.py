"""Completeness score, "zuletzt bestätigt", the dashboard lists and the reminder email."""

import datetime as dt
import smtplib
import uuid
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.postgres.search import TrigramSimilarity
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import generations
from measures.models import Course, CourseDate, FundingType, Subject, TargetGroup
from network.models import Membership, Organisation, OrganisationCertification
from workspace import dashboard, services
from workspace.completeness import INCOMPLETE_BELOW, PARTS, completeness_of
from workspace.models import Reminder, Review

pytestmark = pytest.mark.django_db


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


# Completeness --------------------------------------------------------------------------------


def complete(course, world):
    course.summary = "Kurz."
    course.description = "Lang."
    course.objectives = "Ziele."
    course.prerequisites = "keine"
    course.certificate_details = "Teilnahmebescheinigung"
    course.hours = Decimal("10")
    course.price = Decimal("50")
    course.registration_url = "https://example.org"
    course.save()
    course.subjects.add(Subject.objects.first())
    course.target_groups.add(TargetGroup.objects.first())
    course.funding.add(FundingType.objects.first())
    course.keywords.add("Deutsch")


def test_core_half_and_other_half_make_one_hundred():
    assert sum(part.points for part in PARTS if part.core) == 50
    assert sum(part.points for part in PARTS) == 100


def test_bare_course_scores_its_date_venue_and_contact_only(world):
    report = completeness_of(world.a.course)
    # A current date with a venue (when 10, where 10) and a contact (6).
    assert report.score == 26
    assert report.is_incomplete
    hints = [str(part.hint) for part in report.missing]
    assert "Lernziele angeben." in hints
    assert "Preis angeben (oder „kostenfrei“, „auf Anfrage“)." in hints
    assert not any("Termin" in hint for hint in hints)


def test_complete_course_scores_one_hundred(world):
    complete(world.a.course, world)
    report = completeness_of(world.a.course)
    assert (report.score, report.missing) == (100, [])


def test_free_or_on_request_counts_as_a_price_and_online_as_a_place(world):
    course = world.a.course
    course.price_kind = Course.PriceKind.ON_REQUEST
    course.save()
    CourseDate.objects.filter(course=course).update(venue=None, mode=CourseDate.Mode.ONLINE)
    keys = {part.key for part in completeness_of(course).missing}
    assert "price" not in keys and "where" not in keys


def test_score_and_hints_in_list_and_form(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("admin:measures_course_changelist"), {"q": world.token})
    cells = [
        cell.get_text(strip=True) for cell in soup_of(response).select("td.field-completeness")
    ]
    assert "26 %" in cells
    response = client.get(reverse("admin:measures_course_change", args=[world.a.course.pk]))
    report = soup_of(response).find(class_="field-completeness_report")
    assert "26 %" in report.get_text()
    assert "Lernziele angeben." in [li.get_text() for li in report.select("li")]
    incomplete = client.get(
        reverse("admin:measures_course_changelist"), {"q": world.token, "vollstaendig": "no"}
    )
    assert world.a.course.title in incomplete.content.decode()


# Confirmation ---------------------------------------------------------------------------------


def test_one_click_confirmation_shows_on_the_public_page(client, world):
    Course.objects.filter(pk=world.a.course.pk).update(status=Course.Status.PUBLISHED)
    client.force_login(world.staff)
    response = client.post(reverse("admin:measures_course_confirm", args=[world.a.course.pk]))
    assert response.status_code == 302
    world.a.course.refresh_from_db()
    assert world.a.course.last_confirmed_at is not None
    page = client.get(world.a.course.get_absolute_url())
    day = timezone.localtime(world.a.course.last_confirmed_at).strftime("%d.%m.%Y")
    assert f"vom Anbieter bestätigt am {day}" in page.content.decode()
    assert world.a.course.changes.first().action == "confirmed"


def test_bulk_confirmation_skips_archived_offers(world):
    Course.objects.filter(pk=world.a.submitted.pk).update(status=Course.Status.ARCHIVED)
    count = services.courses_confirm(
        user=world.staff, course_ids=[world.a.course.pk, world.a.submitted.pk]
    )
    assert count == 1


# Dashboard -----------------------------------------------------------------------------------


def panels(client):
    soup = soup_of(client.get(reverse("admin:index")))
    return {
        section["id"].removeprefix("panel-"): [
            li.get_text(" ", strip=True) for li in section.select("li")
        ]
        for section in soup.select("section.dashboard-panel")
    }


def test_provider_dashboard_lists(client, world):
    today = timezone.localdate()
    a = world.a
    past = Course.objects.create(
        provider=a.provider,
        title=f"Vorbei {world.token}",
        slug=f"{world.slug}-vorbei",
        status=Course.Status.PUBLISHED,
    )
    CourseDate.objects.create(course=past, start_date=today - dt.timedelta(days=30))
    Course.objects.filter(pk=a.submitted.pk).update(status=Course.Status.RETURNED)
    Review.objects.create(
        course=a.submitted, network=a.network, decision="returned", reason="Preis fehlt."
    )
    CourseDate.objects.filter(pk=a.date.pk).update(booking_status=CourseDate.BookingStatus.FEW)
    # The other tenant's offers never show.
    Course.objects.filter(pk=world.b.course.pk).update(status=Course.Status.RETURNED)

    client.force_login(world.staff)
    found = panels(client)
    assert set(found) == {
        "out_of_date",
        "incomplete",
        "returned",
        "few_places",
        "unlocated_venues",
    }
    assert any(past.title in item for item in found["out_of_date"])
    assert any(a.course.title in item for item in found["incomplete"])
    assert [item for item in found["returned"] if "Preis fehlt." in item]
    assert any(a.course.title in item for item in found["few_places"])
    everything = " ".join(" ".join(items) for items in found.values())
    assert "Kurs B" not in everything


def test_coordinator_dashboard_lists(client, world):
    today = timezone.localdate()
    a = world.a
    OrganisationCertification.objects.filter(pk=a.certificate.pk).update(
        valid_until=today + dt.timedelta(days=20)
    )
    Course.objects.create(
        provider=a.provider, title=f"Kurs A {world.token}!", slug=f"{world.slug}-kurs-a2"
    )
    twin = Course.objects.create(
        provider=a.provider, title=f"Zwilling {world.token}", slug=f"{world.slug}-zw1"
    )
    twin2 = Course.objects.create(
        provider=world.a.provider, title=f"zwilling {world.token}", slug=f"{world.slug}-zw2"
    )
    for course in (twin, twin2):
        CourseDate.objects.create(course=course, start_date=today + dt.timedelta(days=5))
    stale = Organisation.objects.create(
        name=f"Ruhig {world.token}", slug=f"{world.slug}-ruhig", is_provider=True
    )
    Membership.objects.create(network=a.network, organisation=stale, role="cooperation")
    Course.objects.create(provider=stale, title=f"Alt {world.token}", slug=f"{world.slug}-alt")
    old = timezone.now() - dt.timedelta(days=120)
    Course.objects.filter(provider=stale).update(updated_at=old)
    Organisation.objects.filter(pk=stale.pk).update(updated_at=old)

    client.force_login(world.coordinator)
    found = panels(client)
    assert set(found) == {
        "awaiting_review",
        "stale_providers",
        "expiring_certificates",
        "duplicates",
        "unlocated_venues",
    }
    assert any(a.submitted.title in item for item in found["awaiting_review"])
    assert any(stale.name in item for item in found["stale_providers"])
    assert not any(a.provider.name in item for item in found["stale_providers"])
    assert any(a.provider.name in item for item in found["expiring_certificates"])
    assert any("ähnliche Titel" in item for item in found["duplicates"])
    # Both twins were changed recently and find each other: the pair is listed once.
    assert sum("gleicher Titel am" in item for item in found["duplicates"]) == 1
    everything = " ".join(" ".join(items) for items in found.values())
    assert world.b.provider.name not in everything and "Kurs B" not in everything


def similar_pair(provider, world, first, second):
    for title in (first, second):
        Course.objects.create(
            provider=provider, title=f"{title} {world.token}", slug=f"{world.slug}-{uuid.uuid4()}"
        )


def duplicate_queries(client):
    with CaptureQueriesContext(connection) as queries:
        found = panels(client)["duplicates"]
    return found, len(queries)


def test_possible_duplicates_are_kept_until_the_next_generation(client, world):
    similar_pair(world.a.provider, world, "Aquarellmalen", "Aquarellmalen!")
    client.force_login(world.coordinator)
    first, cold = duplicate_queries(client)
    assert sum("Aquarellmalen" in item for item in first) == 1
    again, warm = duplicate_queries(client)
    assert again == first
    assert warm == cold - 4  # the candidates, similar titles, their dates, same-day twins
    # Every write path starts a new generation: a new pair shows at once.
    similar_pair(world.a.provider, world, "Bogenschießen", "Bogenschießen!")
    generations.bump()
    after, counted = duplicate_queries(client)
    assert sum("Bogenschießen" in item for item in after) == 1 and counted == cold


def test_a_kept_pair_whose_course_is_gone_is_left_out(client, world):
    """A course deleted by a path that starts no generation (a plain ORM delete in a shell)
    may still be in the kept pairs: the dashboard leaves the pair out instead of failing."""
    similar_pair(world.a.provider, world, "Kalligrafie", "Kalligrafie!")
    client.force_login(world.coordinator)
    assert sum("Kalligrafie" in item for item in duplicate_queries(client)[0]) == 1
    Course.objects.filter(title=f"Kalligrafie {world.token}").delete()  # no new generation
    found, _count = duplicate_queries(client)
    assert not [item for item in found if "Kalligrafie" in item]


def test_the_coordinator_dashboard_runs_a_constant_number_of_queries(client, world):
    today = timezone.localdate()
    similar_pair(world.a.provider, world, "Clownerie", "Clownerie!")
    client.force_login(world.coordinator)
    panels(client)  # warm the process's memos
    generations.bump()
    _found, before = duplicate_queries(client)
    for i in range(12):
        similar_pair(world.a.provider, world, f"Drechseln {i}", f"Drechseln {i}!")
        for _ in range(2):  # the same title on the same day
            twin = Course.objects.create(
                provider=world.a.provider,
                title=f"Zwilling {i} {world.token}",
                slug=f"zw-{uuid.uuid4()}",
            )
            CourseDate.objects.create(course=twin, start_date=today + dt.timedelta(days=3))
    generations.bump()
    found, after = duplicate_queries(client)
    assert after == before and len(found) == 10


def test_similar_titles_are_those_the_orm_finds(world):
    """The similar-title check on arrays of candidates finds what the ORM's formulation (the
    candidates as a subquery, the twin among the provider's offers) found."""
    a, b = world.a.provider, world.b.provider
    titles = [
        (a, "Excel Grundlagen"),
        (a, "Excel Grundlagen kompakt"),
        (a, "Excel Grundlagen am Abend"),
        (a, "Yoga am Morgen"),
        (a, "Yoga am Morgen!"),
        (a, "Töpfern"),
        (b, "Töpfern!"),  # another provider: no pair
    ]
    for provider, title in titles:
        Course.objects.create(
            provider=provider, title=f"{title} {world.token}", slug=f"{world.slug}-{uuid.uuid4()}"
        )
    archived = Course.objects.create(
        provider=a,
        title=f"Yoga am Morgen. {world.token}",
        slug=f"{world.slug}-{uuid.uuid4()}",
        status=Course.Status.ARCHIVED,
    )
    recent = list(
        Course.objects.filter(title__endswith=world.token)
        .exclude(status=Course.Status.ARCHIVED)
        .order_by("-updated_at")
        .values_list("pk", "title", "provider_id")
    )
    expected = []
    for pk, title, provider in recent:
        twin = (
            Course.objects.exclude(status=Course.Status.ARCHIVED)
            .filter(provider=provider, pk__gt=pk)
            .annotate(similarity=TrigramSimilarity("title", Value(title)))
            .filter(similarity__gte=dashboard.SIMILAR_TITLE)
            .order_by("-similarity", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if twin is not None:
            expected.append((title, pk, twin))
    pairs = [{"first": pk, "twin": twin} for _title, pk, twin in sorted(expected)]
    assert len(pairs) >= 3
    assert archived.pk not in {pair["twin"] for pair in pairs}
    assert dashboard._similar_titles(recent) == pairs[: dashboard.LIMIT]


def test_the_when_part_is_a_current_date_of_the_course_or_its_published_version(world):
    """ "Termin" is read from ``current_until`` (kept by the database): the same answer as
    looking for a current date (not cancelled, not over, or a rolling start), for a new
    version waiting for review the published course's, on any day."""
    from workspace.completeness import with_completeness

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    dated = {
        "past": [dict(start_date=today - 9 * day, end_date=today - day)],
        "running": [dict(start_date=today - 9 * day, end_date=today + day)],
        "ends today": [dict(start_date=today - 9 * day, end_date=today)],
        "starts today": [dict(start_date=today)],
        "cancelled": [dict(start_date=today + day, booking_status="cancelled")],
        "rolling": [dict(start_date=None, rolling_start=True)],
        "none": [],
        "mixed": [dict(start_date=today - 5 * day), dict(start_date=today + 5 * day)],
    }
    courses = []
    for label, dates in dated.items():
        course = Course.objects.create(
            provider=world.a.provider,
            title=f"{label} {world.token}",
            slug=f"{world.slug}-{uuid.uuid4()}",
            status=Course.Status.PUBLISHED,
        )
        for fields in dates:
            CourseDate.objects.create(course=course, **fields)
        revision = Course.objects.create(
            provider=world.a.provider,
            title=f"{label} (neu) {world.token}",
            slug=f"{world.slug}-{uuid.uuid4()}",
            revision_of=course,
        )
        courses += [course, revision]
    ids = [course.pk for course in courses]
    for on in (today - 3 * day, today, today + 3 * day):
        expected = {
            course.pk
            for course in courses
            if CourseDate.objects.current(on)
            .filter(course_id=course.revision_of_id or course.pk)
            .exists()
        }
        annotated = with_completeness(Course.objects.filter(pk__in=ids), on)
        assert {course.pk for course in annotated if course.has_when} == expected, on
    assert len(expected) >= 4


def test_incomplete_threshold_is_seventy():
    assert INCOMPLETE_BELOW == 70


# Reminder ------------------------------------------------------------------------------------


def test_coordinator_reminds_a_provider_of_out_of_date_offers(client, world):
    today = timezone.localdate()
    past = Course.objects.create(
        provider=world.a.provider,
        title=f"Vorbei {world.token}",
        slug=f"{world.slug}-vorbei",
        status=Course.Status.PUBLISHED,
    )
    CourseDate.objects.create(course=past, start_date=today - dt.timedelta(days=30))
    client.force_login(world.coordinator)
    response = client.post(
        reverse("admin:network_organisation_changelist"),
        {
            "action": "send_reminders",
            "_selected_action": [world.a.provider.pk, world.b.provider.pk],
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.a.provider.email]
    assert past.title in message.body
    assert "/admin/measures/course/?aktuell=no" in message.body
    assert Reminder.objects.get().organisation == world.a.provider


def out_of_date_member(world, name, email):
    """A member of network A with one published offer whose only date is past."""
    organisation = Organisation.objects.create(
        name=name, slug=f"{world.slug}-{uuid.uuid4().hex[:6]}", is_provider=True
    )
    # Set without validation, as an import or an old row might hold it.
    Organisation.objects.filter(pk=organisation.pk).update(email=email)
    Membership.objects.create(
        network=world.a.network, organisation=organisation, role=Membership.Role.COOPERATION
    )
    course = Course.objects.create(
        provider=organisation,
        title=f"Vorbei {name} {world.token}",
        slug=f"{world.slug}-{uuid.uuid4().hex[:6]}",
        status=Course.Status.PUBLISHED,
    )
    CourseDate.objects.create(
        course=course, start_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return organisation


def send_reminders(client, organisations):
    return client.post(
        reverse("admin:network_organisation_changelist"),
        {"action": "send_reminders", "_selected_action": [o.pk for o in organisations]},
        follow=True,
    )


def admin_messages(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_reminder_subject_is_plain_text_on_one_line(client, world):
    organisation = out_of_date_member(world, "A & B\nC", "ab@example.org")
    client.force_login(world.coordinator)
    response = send_reminders(client, [organisation])
    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [["ab@example.org"]]
    subject = mail.outbox[0].subject
    assert "A & B C" in subject
    assert "&amp;" not in subject and "\n" not in subject
    assert "A & B" in mail.outbox[0].body
    assert Reminder.objects.get().organisation == organisation


def test_reminders_check_every_address_before_sending_and_report_failures(client, world):
    # Sorted by name: the broken address comes first, the good one after it.
    broken = out_of_date_member(world, "Aa kaputt", "a@example.org\nBcc: b@example.org")
    good = out_of_date_member(world, "Zz gut", "z@example.org")
    client.force_login(world.coordinator)
    response = send_reminders(client, [broken, good])
    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [["z@example.org"]]
    assert list(Reminder.objects.values_list("organisation", flat=True)) == [good.pk]
    shown = admin_messages(response)
    assert ("success", "1 Erinnerung gesendet.") in shown
    errors = [text for level, text in shown if level == "error"]
    assert len(errors) == 1 and "Aa kaputt" in errors[0] and "Zz gut" not in errors[0]


class RefusingBackend(locmem.EmailBackend):
    """Refuses mail to one address, as a mail server may."""

    def send_messages(self, messages):
        for message in messages:
            if "refused@example.org" in message.to:
                raise smtplib.SMTPRecipientsRefused({"refused@example.org": (550, b"no")})
        return super().send_messages(messages)


def test_a_refused_reminder_is_reported_and_the_others_are_sent(client, world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    refused = out_of_date_member(world, "Aa abgelehnt", "refused@example.org")
    good = out_of_date_member(world, "Zz gut", "z@example.org")
    client.force_login(world.coordinator)
    response = send_reminders(client, [refused, good])
    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [["z@example.org"]]
    assert list(Reminder.objects.values_list("organisation", flat=True)) == [good.pk]
    errors = [text for level, text in admin_messages(response) if level == "error"]
    assert len(errors) == 1 and "Aa abgelehnt" in errors[0]


def test_staff_have_no_reminder_action(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("admin:network_organisation_changelist"))
    options = [o["value"] for o in soup_of(response).select("select[name=action] option")]
    assert "send_reminders" not in options


# What each role is shown, and constant query counts ------------------------------------------


def index_models(client):
    soup = soup_of(client.get(reverse("admin:index")))
    return {
        link["href"].strip("/").split("/", 1)[1]
        for link in soup.select("#content-main .app-list th[scope=row] a, #content-main th a")
        if link["href"].startswith("/admin/") and link["href"].count("/") == 4
    }


def test_index_lists_only_what_the_role_works_with(client, world):
    client.force_login(world.staff)
    assert index_models(client) == {
        "network/organisation",
        "network/contact",
        "network/venue",
        "measures/course",
        "measures/coursedate",
        "measures/module",
    }
    client.force_login(world.coordinator)
    listed = index_models(client)
    assert {
        "network/network",
        "network/membership",
        "auth/user",
        "measures/synonym",
        "pages/infopage",
    } <= listed
    assert "atlas/accessibilityfeedback" not in listed
    assert "network/region" not in listed and "measures/subject" not in listed


def count_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_staff_lists_and_dashboard_run_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.staff)
    urls = [reverse("admin:measures_course_changelist"), reverse("admin:index")]
    for url in urls:
        client.get(url)  # warm caches
    before = [count_queries(client, url, django_assert_max_num_queries) for url in urls]
    for i in range(6):
        course = Course.objects.create(
            provider=world.a.provider,
            title=f"Mehr {i} {world.token}",
            slug=f"{world.slug}-mehr-{i}",
            status=Course.Status.RETURNED,
        )
        CourseDate.objects.create(course=course, start_date=timezone.localdate(), seats=2)
    with django_assert_max_num_queries(25):
        after = [count_queries(client, url, django_assert_max_num_queries) for url in urls]
    assert after == before
