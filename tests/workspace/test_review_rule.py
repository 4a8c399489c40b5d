"""The review rule and the one write path (``workspace.services.course_edit`` and friends).

Network A reviews offers (provider X); network B does not (provider Y). A major change of a
published course in A waits as a new version while the published one stays live; approval
publishes exactly the version the coordinator saw.
"""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core import generations
from measures.course_search import course_search
from measures.models import (
    Course,
    CourseDate,
    FundingType,
    Module,
    SearchDocument,
    Subject,
    TargetGroup,
)
from measures.search import refresh_search_vectors
from tests.measures.test_admin import form_data
from tests.workspace.test_workflow import soup_of
from workspace import services
from workspace.models import CourseChange

pytestmark = pytest.mark.django_db


def publish(course):
    Course.objects.filter(pk=course.pk).update(
        status=Course.Status.PUBLISHED, published_at=timezone.now()
    )
    course.refresh_from_db()


def approve(course, user, network):
    criteria = list(network.quality_criteria.filter(is_active=True))
    return services.course_approve(
        course=course,
        user=user,
        seen=services.course_fingerprint(course),
        network=network,
        criteria=criteria,
    )


MAJOR_CHANGES = {
    "objectives": lambda c, w: setattr(c, "objectives", "Neue Lernziele") or c.save(),
    "contents": lambda c, w: setattr(c, "contents", "Neue Inhalte") or c.save(),
    "prerequisites": lambda c, w: setattr(c, "prerequisites", "Keine") or c.save(),
    "certificate_details": lambda c, w: setattr(c, "certificate_details", "Zertifikat") or c.save(),
    "registration_url": lambda c, w: (
        setattr(c, "registration_url", "https://example.org/a") or c.save()
    ),
    "contact": lambda c, w: setattr(c, "contact", None) or c.save(),
    "funding": lambda c, w: c.funding.set(w.funding),
    "subjects": lambda c, w: c.subjects.set(w.subjects),
    "target_groups": lambda c, w: c.target_groups.set(w.target_groups),
    "keywords": lambda c, w: c.keywords.add("Neuschlagwort"),
    "modules": lambda c, w: Module.objects.create(course=c, title="Zusatzmodul"),
}


@pytest.fixture
def vocab(world):
    world.funding = [FundingType.objects.create(name="Bildungsgutschein X", slug="bgs-x")]
    world.subjects = [Subject.objects.create(name="Fach X", slug="fach-x")]
    world.target_groups = [TargetGroup.objects.create(name="Gruppe X", slug="gruppe-x")]
    return world


@pytest.mark.parametrize("name", sorted(MAJOR_CHANGES))
def test_a_major_change_waits_as_a_new_version_while_the_published_stays(world, vocab, name):
    course = world.a.course
    publish(course)
    live = services.course_fingerprint(course)
    with services.course_edit(course=course, user=world.staff) as edit:
        MAJOR_CHANGES[name](Course.objects.get(pk=course.pk), world)
    assert edit.kept_for_review
    assert services.course_fingerprint(course) == live
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED
    revision = services.pending_revision(course)
    assert revision.status == Course.Status.SUBMITTED
    assert services.course_fingerprint(revision) != live
    entry = course.changes.first()
    assert entry.action == CourseChange.Action.REVISION_SUBMITTED and entry.changes


def test_minor_changes_go_live_and_are_logged(world):
    course = world.a.course
    publish(course)
    with services.course_edit(course=course, user=world.staff) as edit:
        CourseDate.objects.filter(pk=world.a.date.pk).update(
            booking_status=CourseDate.BookingStatus.FULL, seats=3, price=12
        )
        Course.objects.filter(pk=course.pk).update(price=99, price_notes="ermäßigt 50")
    assert not edit.kept_for_review
    assert services.pending_revision(course) is None
    course.refresh_from_db()
    assert course.price == 99
    entry = course.changes.first()
    assert entry.action == CourseChange.Action.MINOR_EDIT
    fields = " ".join(line["field"] for line in entry.changes)
    assert "Buchungsstand" in fields and "Plätze" in fields and "Preis" in fields


def test_approval_publishes_exactly_the_version_seen(world):
    course = world.a.course
    publish(course)
    with services.course_edit(course=course, user=world.staff):
        Course.objects.filter(pk=course.pk).update(description="Version 1")
    revision = services.pending_revision(course)
    seen = services.course_fingerprint(revision)
    # The provider changes the waiting version after the coordinator opened it.
    with services.course_edit(course=revision, user=world.staff):
        Course.objects.filter(pk=revision.pk).update(description="Version 2, ungeprüft")
    with pytest.raises(services.WorkflowError) as refused:
        services.course_approve(
            course=revision,
            user=world.coordinator,
            seen=seen,
            network=world.a.network,
            criteria=[world.a.criterion],
        )
    assert refused.value.code == "changed"
    course.refresh_from_db()
    assert course.description != "Version 2, ungeprüft"
    # Read again, approved: the published course now says what was seen.
    approve(revision, world.coordinator, world.a.network)
    course.refresh_from_db()
    assert course.description == "Version 2, ungeprüft"
    assert course.status == Course.Status.PUBLISHED
    assert not Course.objects.filter(pk=revision.pk).exists()
    assert course.changes.first().action == CourseChange.Action.REVISION_APPROVED


def test_a_changed_first_submission_cannot_be_approved_unseen(client, world):
    course = world.a.submitted
    client.force_login(world.coordinator)
    url = reverse("admin:measures_course_review", args=[course.pk])
    seen = soup_of(client.get(url)).find("input", attrs={"name": "seen"})["value"]
    Course.objects.filter(pk=course.pk).update(title="Anders als gelesen")
    response = client.post(
        url,
        {
            "seen": seen,
            "decision": "approve",
            "network": world.a.network.pk,
            "criteria": [world.a.criterion.pk],
        },
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == Course.Status.SUBMITTED
    page = soup_of(client.get(url))
    assert page.find("input", attrs={"name": "seen"})["value"] != seen


def found(text):
    result = course_search(params=QueryDict(mutable=True, query_string=f"q={text}"))
    return [course.title for course in result.page.object_list]


def test_approved_revision_is_what_the_search_finds(world):
    course = world.a.course
    publish(course)
    with services.course_edit(course=course, user=world.staff):
        Course.objects.filter(pk=course.pk).update(title=f"Quokka {world.token}")
    assert SearchDocument.objects.filter(course=course).exists()
    assert f"Quokka {world.token}" not in found("Quokka")
    approve(services.pending_revision(course), world.coordinator, world.a.network)
    assert found("Quokka") == [f"Quokka {world.token}"]


def test_discarding_a_new_version_keeps_the_published(world):
    course = world.a.course
    publish(course)
    with services.course_edit(course=course, user=world.staff):
        Course.objects.filter(pk=course.pk).update(summary="verworfen")
    revision = services.pending_revision(course)
    assert services.course_archive(course=revision, user=world.staff) == course
    assert services.pending_revision(course) is None
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED and course.summary != "verworfen"
    assert course.changes.first().action == CourseChange.Action.REVISION_DISCARDED


def test_edits_where_no_network_reviews_go_live(world):
    course = world.b.course
    publish(course)
    with services.course_edit(course=course, user=world.superuser) as edit:
        Course.objects.filter(pk=course.pk).update(description="sofort")
    assert not edit.kept_for_review
    course.refresh_from_db()
    assert course.description == "sofort"
    assert course.changes.first().action == CourseChange.Action.EDITED


def test_an_invalid_write_is_undone_whole(world):
    course = world.b.course
    with pytest.raises(Exception):  # noqa: B017 - the model's own validation error
        with services.course_edit(course=course, user=world.superuser):
            Course.objects.filter(pk=course.pk).update(title="Gültig")
            Course.objects.filter(pk=course.pk).update(registration_url="kein Link")
    course.refresh_from_db()
    assert course.title != "Gültig"


def test_foreign_course_is_not_found(world):
    with pytest.raises(Course.DoesNotExist):
        with services.course_edit(course=world.b.course, user=world.staff):
            pass


# The admin writes through the services -------------------------------------------------------


def test_bulk_delete_of_dates_is_logged_and_searched_right(client, world):
    course = world.a.course
    publish(course)
    client.force_login(world.staff)
    generation = generations.search()
    response = client.post(
        reverse("admin:measures_coursedate_changelist"),
        {"action": "delete_selected", "_selected_action": [world.a.date.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CourseDate.objects.filter(pk=world.a.date.pk).exists()
    entry = course.changes.first()
    assert entry.action == CourseChange.Action.MINOR_EDIT
    assert "gelöscht" in entry.changes[0]["new"]
    assert generations.search() != generation
    course.refresh_from_db()
    assert course.current_until is None  # no date left: out of date at once


def test_bulk_delete_of_a_published_module_waits_for_review(client, world):
    course = world.a.course
    publish(course)
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:measures_module_changelist"),
        {"action": "delete_selected", "_selected_action": [world.a.module.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert course.modules.count() == 1  # still live
    assert services.pending_revision(course).modules.count() == 0
    assert course.changes.first().action == CourseChange.Action.REVISION_SUBMITTED


def test_course_delete_is_logged_and_leaves_the_search(client, world):
    course = world.b.course
    client.force_login(world.superuser)
    generation = generations.search()
    url = reverse("admin:measures_course_delete", args=[course.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert CourseChange.objects.filter(
        course_title=course.title, action=CourseChange.Action.DELETED
    ).exists()
    assert generations.search() != generation
    assert not SearchDocument.objects.filter(course_id=course.pk).exists()


def test_course_save_refreshes_the_search_once(client, world, monkeypatch):
    calls = []
    real = services.courses.refresh_search_vectors
    monkeypatch.setattr(
        services.courses, "refresh_search_vectors", lambda ids: calls.append(ids) or real(ids)
    )
    client.force_login(world.superuser)
    url = reverse("admin:measures_course_change", args=[world.b.course.pk])
    data = form_data(client.get(url), "course_form")
    data["title"] = "Einmal"
    assert client.post(url, data).status_code == 302
    assert calls == [[world.b.course.pk]]


def test_workflow_button_saves_what_was_typed_first(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_course_change", args=[world.a.course.pk])
    page = client.get(url)
    button = soup_of(page).find("button", attrs={"name": "_transition", "value": "submit"})
    assert button is not None and button["form"] == "course_form"
    data = form_data(page, "course_form")
    data.update(title="Getippt und eingereicht", _transition="submit")
    assert client.post(url, data).status_code == 302
    world.a.course.refresh_from_db()
    assert world.a.course.title == "Getippt und eingereicht"
    assert world.a.course.status == Course.Status.SUBMITTED


def test_workflow_button_with_invalid_input_keeps_it_and_does_nothing(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_course_change", args=[world.a.course.pk])
    data = form_data(client.get(url), "course_form")
    data.update(title="Behalten", registration_url="kein Link", _transition="submit")
    response = client.post(url, data)
    assert response.status_code == 200
    page = soup_of(response)
    assert page.find("input", attrs={"name": "title"})["value"] == "Behalten"
    world.a.course.refresh_from_db()
    assert world.a.course.status == Course.Status.DRAFT and world.a.course.title != "Behalten"


def test_date_course_is_not_moved(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_coursedate_change", args=[world.a.date.pk])
    page = soup_of(client.get(url))
    assert page.find(attrs={"name": "course"}) is None


def test_the_model_rules_hold_for_every_writer(world):
    """What the admin form refuses, a program writing through the service cannot do either."""
    course = world.a.course
    with pytest.raises(ValidationError) as error:
        with services.course_edit(course=course, user=world.superuser):
            CourseDate.objects.create(course=course, venue=world.b.venue, rolling_start=True)
    assert "venue" in error.value.message_dict
    assert course.dates.count() == 1
    with pytest.raises(ValidationError) as error:
        with services.course_edit(course=course, user=world.superuser):
            Course.objects.filter(pk=course.pk).update(contact=world.b.contact)
    assert "contact" in error.value.message_dict


def test_a_date_edit_shows_at_the_next_search(client, world):
    course = world.b.course
    publish(course)
    refresh_search_vectors([course.pk])
    assert course.title in found(world.token)
    client.force_login(world.superuser)
    url = reverse("admin:measures_coursedate_change", args=[world.b.date.pk])
    data = form_data(client.get(url), "coursedate_form")
    data["booking_status"] = CourseDate.BookingStatus.CANCELLED
    assert client.post(url, data).status_code == 302
    assert course.title not in found(world.token)
    assert course.changes.first().action == CourseChange.Action.MINOR_EDIT


def test_a_new_version_is_judged_with_the_published_dates(client, world):
    course = world.a.course
    publish(course)
    with services.course_edit(course=course, user=world.staff):
        Course.objects.filter(pk=course.pk).update(objectives="Neue Ziele")
    revision = services.pending_revision(course)
    client.force_login(world.coordinator)
    page = soup_of(client.get(reverse("admin:measures_course_review", args=[revision.pk])))
    completeness = page.find("dt", string="Vollständigkeit").find_next("dd").get_text()
    assert "Termin" not in completeness and "Ort" not in completeness
    dates = page.find("dt", string="Termine").find_next("dd").get_text()
    assert world.a.date.start_date.strftime("%d.%m.%Y") in dates
    changes = page.select_one("#changes-heading").find_parent("section").get_text(" ")
    assert "Lernziele" in changes and "Neue Ziele" in changes
