"""``core.bulk_delete.delete_rows`` deletes what Django's ``QuerySet.delete()`` deletes: the
ORM's delete is the oracle, run in a savepoint that is rolled back."""

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError
from taggit.models import TaggedItem

from core.bulk_delete import delete_rows
from measures.models import Course, CourseDate, Module, SearchDocument, Subject
from network.models import Contact, Membership, Network, Organisation, Venue
from tests.factories import make_course, make_provider, make_venue

pytestmark = pytest.mark.django_db

TABLES = [
    Course,
    CourseDate,
    Module,
    SearchDocument,
    TaggedItem,
    Course.subjects.through,
    Organisation,
    Venue,
    Contact,
    Membership,
    Network,
]


def rows() -> dict[str, set[tuple]]:
    """Every row of the tables a course or an organisation takes with it, and the columns a
    SET_NULL changes."""
    found = {
        model._meta.label: set(model._base_manager.values_list("pk", flat=True)) for model in TABLES
    }
    found["course contacts"] = set(Course.objects.values_list("pk", "contact_id"))
    found["date venues"] = set(CourseDate.objects.values_list("pk", "venue_id"))
    return found


def after_orm_delete(queryset) -> dict[str, set[tuple]]:
    with transaction.atomic():
        queryset.delete()
        found = rows()
        transaction.set_rollback(True)
    return found


@pytest.fixture
def catalogue():
    provider = make_provider()
    venue = make_venue(provider, "55116")
    subject = Subject.objects.first()
    doomed = make_course(
        provider,
        "Wird gelöscht",
        keywords=["Löschen", "Probe"],
        subjects=[subject],
        dates=[{"venue": venue}, {}],
    )
    Module.objects.create(course=doomed, title="Teil 1")
    # A new version waiting for review is a course of its own that refers to the published
    # one (CASCADE on the same table), and has a revision of its own here.
    revision = make_course(provider, "Wird gelöscht (neu)", revision_of=doomed)
    make_course(provider, "Wird gelöscht (neuer)", revision_of=revision)
    kept = make_course(provider, "Bleibt", keywords=["Probe"], subjects=[subject])
    return provider, venue, doomed, kept


def test_courses_go_with_dates_links_tags_modules_index_and_revisions(catalogue):
    provider, _venue, doomed, kept = catalogue
    chosen = Course.objects.filter(pk=doomed.pk)
    expected = after_orm_delete(chosen)
    assert doomed.pk not in expected["measures.Course"]
    deleted = delete_rows(chosen)
    assert rows() == expected
    assert deleted["measures.Course"] == 3  # the course and its revisions
    assert deleted["measures.CourseDate"] == 4 and deleted["taggit.TaggedItem"] == 2
    assert Course.objects.filter(pk=kept.pk).exists()
    assert set(kept.keywords.names()) == {"Probe"}


def test_an_organisation_goes_with_venues_contacts_and_memberships(catalogue):
    other = make_provider()
    make_venue(other, "10115")
    contact = Contact.objects.create(organisation=other, name="Frau Beispiel")
    network = Network.objects.exclude(lead_partner=other).first()
    Membership.objects.create(network=network, organisation=other, role="cooperation")
    provider, _venue, _doomed, kept = catalogue
    # A course elsewhere names the contact (SET_NULL): it stays, without it.
    Course.objects.filter(pk=kept.pk).update(contact=contact)
    chosen = Organisation.objects.filter(pk=other.pk)
    expected = after_orm_delete(chosen)
    assert (kept.pk, None) in expected["course contacts"]
    delete_rows(chosen)
    assert rows() == expected


def test_a_protected_reference_stops_the_delete_and_changes_nothing(catalogue):
    provider = catalogue[0]
    chosen = Organisation.objects.filter(pk=provider.pk)  # it has courses (PROTECT)
    with pytest.raises(ProtectedError):
        after_orm_delete(chosen)
    before = rows()
    with pytest.raises(ProtectedError):
        delete_rows(chosen)
    assert rows() == before


def test_nothing_chosen_deletes_nothing(catalogue):
    before = rows()
    assert delete_rows(Course.objects.none()) == {}
    assert delete_rows(Course.objects.filter(title="Gibt es nicht")) == {}
    assert rows() == before


def test_two_deletes_in_one_transaction(catalogue):
    provider, _venue, doomed, kept = catalogue
    with transaction.atomic():
        delete_rows(Course.objects.filter(pk=doomed.pk))
        delete_rows(Course.objects.filter(pk=kept.pk))
    assert not Course.objects.filter(provider=provider).exists()
