"""The review workflow, who may make each transition, the minor-edit rule and the log.

Network A reviews offers (provider X is its member); network B does not (provider Y).
"""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from measures.models import Course, CourseDate
from tests.measures.test_admin import form_data
from workspace import services
from workspace.models import CourseChange, QualityCriterion, Review

pytestmark = pytest.mark.django_db


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def post_transition(client, course, name):
    return client.post(reverse("admin:measures_course_transition", args=[course.pk, name]))


def review(client, course, **data):
    data.setdefault("seen", services.course_fingerprint(course))
    return client.post(reverse("admin:measures_course_review", args=[course.pk]), data)


def test_staff_submit_goes_to_review_where_the_network_reviews(client, world):
    client.force_login(world.staff)
    assert post_transition(client, world.a.course, "submit").status_code == 302
    world.a.course.refresh_from_db()
    assert world.a.course.status == Course.Status.SUBMITTED
    entry = world.a.course.changes.first()
    assert (entry.action, entry.user, entry.status_before) == (
        CourseChange.Action.SUBMITTED,
        world.staff,
        Course.Status.DRAFT,
    )


def test_submit_publishes_at_once_where_the_network_does_not_review(world):
    course = services.course_submit(course=world.b.course, user=world.superuser)
    assert course.status == Course.Status.PUBLISHED
    assert course.published_at is not None
    assert course.changes.first().action == CourseChange.Action.PUBLISHED


def test_only_drafts_and_returned_offers_can_be_submitted(world):
    with pytest.raises(services.WorkflowError):
        services.course_submit(course=world.a.submitted, user=world.staff)


def test_approval_needs_every_criterion_and_records_them(client, world):
    second = QualityCriterion.objects.create(network=world.a.network, title="Preis klar")
    QualityCriterion.objects.create(network=world.a.network, title="alt", is_active=False)
    client.force_login(world.coordinator)
    url = reverse("admin:measures_course_review", args=[world.a.submitted.pk])
    page = soup_of(client.get(url))
    boxes = page.select("input[name=criteria]")
    assert {box["value"] for box in boxes} == {str(world.a.criterion.pk), str(second.pk)}
    assert all(page.find("label", attrs={"for": box["id"]}) for box in boxes)

    response = review(
        client,
        world.a.submitted,
        network=world.a.network.pk,
        criteria=[world.a.criterion.pk],
        decision="approve",
    )
    assert response.status_code == 200
    assert "Offen: Preis klar" in soup_of(response).find(class_="errornote").get_text()
    world.a.submitted.refresh_from_db()
    assert world.a.submitted.status == Course.Status.SUBMITTED

    response = review(
        client,
        world.a.submitted,
        network=world.a.network.pk,
        criteria=[world.a.criterion.pk, second.pk],
        decision="approve",
    )
    assert response.status_code == 302
    world.a.submitted.refresh_from_db()
    assert world.a.submitted.status == Course.Status.PUBLISHED
    decision = Review.objects.get(course=world.a.submitted)
    assert decision.decision == Review.Decision.APPROVED
    assert set(decision.criteria_checked.all()) == {world.a.criterion, second}
    assert [item["checked"] for item in decision.checklist] == [True, True]
    assert decision.reviewer == world.coordinator


def test_return_needs_a_reason_which_the_provider_then_sees(client, world):
    client.force_login(world.coordinator)
    response = review(client, world.a.submitted, network=world.a.network.pk, decision="return")
    assert response.status_code == 200
    assert "Bitte begründen Sie die Rückgabe." in response.content.decode()
    response = review(
        client,
        world.a.submitted,
        network=world.a.network.pk,
        decision="return",
        reason="Bitte Termine ergänzen.",
    )
    assert response.status_code == 302
    world.a.submitted.refresh_from_db()
    assert world.a.submitted.status == Course.Status.RETURNED

    client.force_login(world.staff)
    page = client.get(reverse("admin:measures_course_change", args=[world.a.submitted.pk]))
    assert "Bitte Termine ergänzen." in soup_of(page).find(class_="field-review_state").get_text()
    # The provider resubmits the returned offer.
    assert post_transition(client, world.a.submitted, "submit").status_code == 302
    world.a.submitted.refresh_from_db()
    assert world.a.submitted.status == Course.Status.SUBMITTED


def test_provider_staff_and_other_coordinators_cannot_review(client, world):
    with pytest.raises(PermissionDenied):
        services.course_approve(course=world.a.submitted, user=world.staff, seen="")
    client.force_login(world.staff)
    response = review(client, world.a.submitted, network=world.a.network.pk, decision="approve")
    assert response.status_code == 403
    world.a.submitted.refresh_from_db()
    assert world.a.submitted.status == Course.Status.SUBMITTED


def test_archive_and_reopen(client, world):
    client.force_login(world.staff)
    post_transition(client, world.a.course, "archive")
    world.a.course.refresh_from_db()
    assert world.a.course.status == Course.Status.ARCHIVED
    post_transition(client, world.a.course, "reopen")
    world.a.course.refresh_from_db()
    assert world.a.course.status == Course.Status.DRAFT
    actions = list(world.a.course.changes.values_list("action", flat=True))
    assert actions[:2] == [CourseChange.Action.REOPENED, CourseChange.Action.ARCHIVED]


def test_change_form_offers_the_transitions_of_the_status(client, world):
    client.force_login(world.staff)
    page = soup_of(client.get(reverse("admin:measures_course_change", args=[world.a.course.pk])))
    workflow = page.find("section", class_="workflow")
    buttons = [button.get_text(strip=True) for button in workflow.find_all("button")]
    assert buttons == ["Einreichen", "Archivieren", "Als aktuell bestätigen"]
    assert workflow.find("a", string="Prüfen") is None


# Edits of a published course -----------------------------------------------------------------


def publish(course):
    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    course.refresh_from_db()


def edit(client, course, **changes):
    url = reverse("admin:measures_course_change", args=[course.pk])
    data = form_data(client.get(url), "course_form")
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, soup_of(response).select(".errorlist")
    course.refresh_from_db()
    return response


def test_minor_edits_stay_live_and_are_marked(client, world):
    publish(world.a.course)
    client.force_login(world.staff)
    edit(
        client,
        world.a.course,
        **{"dates-0-start_date": "01.09.2031", "dates-0-booking_status": "few", "price": "80"},
    )
    assert world.a.course.status == Course.Status.PUBLISHED
    entry = world.a.course.changes.first()
    assert entry.action == CourseChange.Action.MINOR_EDIT
    assert entry.user == world.staff
    fields = {change["field"] for change in entry.changes}
    assert "Preis in Euro" in fields
    assert any("Beginn" in field for field in fields)
    assert any("Buchungsstand" in field for field in fields)
    booking = next(c for c in entry.changes if "Buchungsstand" in c["field"])
    assert (booking["old"], booking["new"]) == ("Plätze frei", "wenige Plätze frei")


def test_title_change_of_a_published_course_waits_as_a_new_version(client, world):
    publish(world.a.course)
    old_title = world.a.course.title
    client.force_login(world.staff)
    response = edit(client, world.a.course, title="Neuer Titel")
    assert response.status_code == 302
    # The published version stays live, unchanged.
    assert (world.a.course.status, world.a.course.title) == (Course.Status.PUBLISHED, old_title)
    revision = Course.objects.get(revision_of=world.a.course)
    assert (revision.status, revision.title) == (Course.Status.SUBMITTED, "Neuer Titel")
    entry = world.a.course.changes.first()
    assert entry.action == CourseChange.Action.REVISION_SUBMITTED
    assert entry.changes == [{"field": "Titel", "old": old_title, "new": "Neuer Titel"}]


def test_form_warns_that_a_content_change_waits_for_review(client, world):
    url = reverse("admin:measures_course_change", args=[world.a.course.pk])
    client.force_login(world.staff)
    # A draft: nothing to warn about yet.
    assert not soup_of(client.get(url)).select(".review-warning")
    publish(world.a.course)
    page = soup_of(client.get(url))
    warning = page.find(id="review-warning")
    assert warning is not None
    text = warning.get_text(" ", strip=True)
    assert "neue Fassung" in text and "online" in text and "Netzwerkkoordination" in text
    # Right before the save buttons at the bottom of the form.
    assert warning.find_next("input", attrs={"name": "_save"}) is not None
    assert warning.find_parent("form", id="course_form") is not None
    # And at the fields concerned: every major field on the form.
    for name in ("title", "summary", "description", "kind", "provider", "funding", "contact"):
        field = page.find(attrs={"name": name})
        help_ids = (field.get("aria-describedby") or "").split()
        help_text = " ".join(page.find(id=i).get_text(" ", strip=True) for i in help_ids)
        assert "neue Fassung" in help_text, name
    assert "neue Fassung" not in str(page.find(id="id_price_helptext") or "")


def test_no_warning_where_the_network_does_not_review(client, world):
    publish(world.b.course)
    client.force_login(world.superuser)
    page = soup_of(client.get(reverse("admin:measures_course_change", args=[world.b.course.pk])))
    assert not page.select(".review-warning")


def test_staff_are_told_after_saving_that_the_published_version_stays_online(client, world):
    publish(world.a.course)
    assert client.get(world.a.course.get_absolute_url()).status_code == 200
    client.force_login(world.staff)
    url = reverse("admin:measures_course_change", args=[world.a.course.pk])
    data = form_data(client.get(url), "course_form")
    data["title"] = "Ganz neuer Titel"
    response = client.post(url, data, follow=True)
    messages = [m.message for m in response.context["messages"]]
    assert any("neue Fassung zur Prüfung" in str(m) for m in messages)
    notice = soup_of(response).select_one(".messagelist .warning")
    assert notice is not None and "Netzwerkkoordination" in notice.get_text()
    # Still online, with the published title; the form links to the waiting version.
    page = client.get(world.a.course.get_absolute_url())
    assert page.status_code == 200 and "Ganz neuer Titel" not in page.content.decode()
    revision = Course.objects.get(revision_of=world.a.course)
    link = soup_of(client.get(url)).select_one("#revision-notice a")
    assert link["href"] == reverse("admin:measures_course_change", args=[revision.pk])
    # A minor edit says nothing of the kind.
    data = form_data(client.get(url), "course_form")
    data["price"] = "75"
    response = client.post(url, data, follow=True)
    assert not any("neue Fassung zur" in str(m.message) for m in response.context["messages"])


def test_title_change_stays_live_where_the_network_does_not_review(client, world):
    publish(world.b.course)
    client.force_login(world.superuser)
    edit(client, world.b.course, title="Neuer Titel B")
    assert world.b.course.status == Course.Status.PUBLISHED
    assert world.b.course.changes.first().action == CourseChange.Action.EDITED


def test_history_shows_who_changed_what_and_when(client, world):
    publish(world.a.course)
    client.force_login(world.staff)
    edit(client, world.a.course, price="80")
    response = client.get(reverse("admin:measures_course_history", args=[world.a.course.pk]))
    assert response.status_code == 200
    row = soup_of(response).select_one("#change-history tbody tr")
    text = row.get_text(" ", strip=True)
    assert world.staff.username in text
    assert "Bagatelländerung" in text
    assert "Preis in Euro" in text and "80,00" in text


def test_a_date_edited_on_its_own_is_logged_as_minor(client, world):
    publish(world.a.course)
    client.force_login(world.staff)
    url = reverse("admin:measures_coursedate_change", args=[world.a.date.pk])
    data = form_data(client.get(url), "coursedate_form")
    data["seats"] = "7"
    assert client.post(url, data).status_code == 302
    entry = world.a.course.changes.first()
    assert entry.action == CourseChange.Action.MINOR_EDIT
    assert CourseDate.objects.get(pk=world.a.date.pk).seats == 7


def test_new_course_is_a_logged_draft(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_course_add")
    data = form_data(client.get(url), "course_form")
    data.update({"provider": str(world.a.provider.pk), "title": "Neu", "slug": f"{world.slug}-neu"})
    assert client.post(url, data).status_code == 302
    course = Course.objects.get(slug=f"{world.slug}-neu")
    assert course.status == Course.Status.DRAFT
    assert course.changes.get().action == CourseChange.Action.CREATED


def test_staff_delete_only_unpublished_drafts(client, world):
    client.force_login(world.staff)
    publish(world.a.submitted)
    Course.objects.filter(pk=world.a.submitted.pk).update(published_at="2026-01-01T00:00Z")
    url = reverse("admin:measures_course_delete", args=[world.a.submitted.pk])
    assert client.get(url).status_code == 403
    url = reverse("admin:measures_course_delete", args=[world.a.course.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Course.objects.filter(pk=world.a.course.pk).exists()
    assert CourseChange.objects.filter(
        course_title=world.a.course.title, action=CourseChange.Action.DELETED
    ).exists()


def test_dates_go_live_while_curriculum_changes_wait_for_review(client, world):
    publish(world.a.course)
    client.force_login(world.staff)
    module = world.a.course.modules.first()
    edit(client, world.a.course, **{"dates-0-seats": "5", "modules-0-title": "Neues Modul"})
    assert world.a.course.status == Course.Status.PUBLISHED
    assert CourseDate.objects.get(pk=world.a.date.pk).seats == 5
    assert world.a.course.modules.get().title == module.title
    revision = Course.objects.get(revision_of=world.a.course)
    assert revision.modules.get().title == "Neues Modul"
    actions = set(world.a.course.changes.values_list("action", flat=True))
    assert {CourseChange.Action.MINOR_EDIT, CourseChange.Action.REVISION_SUBMITTED} <= actions
