"""After a change the search index applies only the changed courses (``SearchIndex.patched``),
and a patched index answers every search as an index built from all courses does: the same
courses, counts, facets and orders. Changes it cannot apply make it build again."""

import random
import threading
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from core import generations
from measures import search_index
from measures.course_search import course_search
from measures.models import Course, CourseDate, Subject
from measures.search import refresh_search_vectors
from network.models import PostalCode, Venue
from network.places import resolve_place
from tests.factories import make_course, make_provider, make_venue, today
from tests.measures.test_search_index import (
    choices,
    index_ids,
    query_dict,
    sql_ids,
)
from workspace.services.courses import course_delete, course_edit

pytestmark = pytest.mark.django_db


def change_courses(provider):
    """Changes of every kind, each logged as the write path logs them (by course id)."""
    public = list(Course.objects.public().order_by("pk"))
    rng = random.Random(7)
    changed = rng.sample(public, 12)
    retitled, moved, relinked, withdrawn, repriced, redated = (
        changed[0:2],
        changed[2:4],
        changed[4:6],
        changed[6:8],
        changed[8:10],
        changed[10:12],
    )
    for number, course in enumerate(retitled):  # a new place in the title order
        Course.objects.filter(pk=course.pk).update(
            title=f"{'Aaa' if number else 'Zzz'} {course.title}"
        )
    for course in moved:  # a new next start: a new place in the date order
        CourseDate.objects.filter(course=course).update(
            start_date=today() + timedelta(days=400), end_date=None, rolling_start=False
        )
    subject = Subject.objects.filter(parent__isnull=False).first()
    for course in relinked:
        course.subjects.set([subject])
        course.funding.clear()
    for course in withdrawn:  # no longer public
        Course.objects.filter(pk=course.pk).update(status=Course.Status.ARCHIVED)
    for course in repriced:
        Course.objects.filter(pk=course.pk).update(
            price=Decimal("1.50"), price_kind="fixed", kind="seminar"
        )
    for course in redated:  # a date at another venue, online, in the evening
        CourseDate.objects.filter(course=course).update(mode="online", venue=None)
    # (The next start and the link arrays on the course are kept by the database's triggers.)
    added = [
        make_course(provider, "Neu: Ganz vorne im Alphabet", price=Decimal("5")),
        make_course(provider, "Neu: Zuletzt", subjects=[subject]),
    ]
    refresh_search_vectors([c.pk for c in changed])
    return changed, added


def full_index():
    return search_index.SearchIndex(today())


def test_a_patched_index_finds_what_sql_finds_and_what_a_full_build_finds(catalogue):
    first = search_index.current_index()
    assert first.base is first
    changed, added = change_courses(catalogue)
    patched = search_index.current_index()
    assert patched is not first and patched.base is first  # applied, not rebuilt
    assert set(patched.changed_ids.tolist()) >= {c.pk for c in changed + added}
    assert patched.size == first.base_size + len(added) + len(changed) - 2  # 2 withdrawn

    # Every filter alone and random combinations: the same courses as SQL.
    pool = choices()
    for name, values in pool.items():
        for value in values:
            params = {name: value}
            if name == "radius":
                params["place"] = "55116"
            assert index_ids(params) == sql_ids(params), params
    rng = random.Random(11)
    for _ in range(60):
        params = {name: rng.choice(pool[name]) for name in rng.sample(sorted(pool), k=3)}
        if "radius" in params and "place" not in params:
            params["place"] = "55116"
        assert index_ids(params) == sql_ids(params), params

    # Counts, facets and orders as from an index built from all courses.
    full = full_index()
    assert patched.provider_counts == full.provider_counts
    assert patched.public_ids().tolist() == full.public_ids().tolist()
    for params in (
        {},
        {"q": "Kurs"},
        {"sort": "date"},
        {"sort": "price"},
        {"mode": ["online"], "sort": "date"},
        {"region": "07"},
        {"subject": Subject.objects.filter(parent__isnull=True).first().slug},
        {"place": "55116", "radius": "100", "sort": "distance"},
    ):
        results = []
        for index in (patched, full):
            search_index._current = ((generations.search(), today()), index)
            result = course_search(params=query_dict({**params, "page": "1"}))
            last = course_search(params=query_dict({**params, "page": "9999"}))
            results.append(
                (
                    result.count,
                    [course.pk for course in result.page.object_list],
                    [course.pk for course in last.page.object_list],
                    [(f.name, [(o.value, o.count) for o in f.options]) for f in result.facets],
                )
            )
        assert results[0] == results[1], params


def test_patches_follow_each_other_from_the_same_base(catalogue):
    first = search_index.current_index()
    changed, added = change_courses(catalogue)
    second = search_index.current_index()
    course = added[0]
    Course.objects.filter(pk=course.pk).update(title="Mittendrin umbenannt")
    refresh_search_vectors([course.pk])
    third = search_index.current_index()
    assert third.base is first and second.base is first
    full = full_index()
    for sort in ("date", "price", "relevance"):
        mask = third.live
        ordered = third.ids[third.ordered(mask, sort)].tolist()
        assert ordered == full.ids[full.ordered(full.live, sort)].tolist(), sort
    assert np.array_equal(np.sort(third.ids[third.live]), full.public_ids())


def test_nothing_changed_keeps_the_index(catalogue):
    first = search_index.current_index()
    generations.bump(courses=())  # e.g. a menu page: no course
    assert search_index.current_index() is first


def test_a_change_to_anything_but_courses_builds_the_index_again(catalogue):
    first = search_index.current_index()
    generations.bump()  # e.g. a venue or a vocabulary: any course may have changed
    index = search_index.current_index()
    assert index is not first and index.base is index


def test_too_many_changed_courses_build_the_index_again(catalogue, monkeypatch):
    first = search_index.current_index()
    monkeypatch.setattr(search_index.SearchIndex, "MIN_PATCH_LIMIT", 3)
    monkeypatch.setattr(search_index.SearchIndex, "PATCH_SHARE", 10**9)
    courses = list(Course.objects.public()[:4])
    refresh_search_vectors([course.pk for course in courses])
    index = search_index.current_index()
    assert index is not first and index.base is index


def test_a_bulk_change_is_logged_as_anything(catalogue):
    first = search_index.current_index()
    ids = list(Course.objects.values_list("pk", flat=True))
    generations.bump(courses=list(range(1, generations.MAX_LOGGED_COURSES + 2)) + ids)
    assert search_index.current_index().base is not first


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_patch_read_is_applied_by_the_next(catalogue):
    """A transaction still open when a patch reads the log is not lost: the next patch
    applies it (it was not visible in the snapshot the patch kept)."""
    provider = make_provider("Spätzünder e.V.")
    course = make_course(provider, "Lange Transaktion")
    search_index.forget()
    first = search_index.current_index()
    started, finish = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                Course.objects.filter(pk=course.pk).update(price=Decimal("1.00"))
                generations.bump(courses=[course.pk])
                started.set()
                finish.wait(30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert started.wait(30)
    other = make_course(provider, "Schnelle Änderung")  # committed at once
    generations.forget()
    patched = search_index.current_index()
    position = patched.positions(np.array([other.pk, course.pk]))
    assert position[0] >= first.base_size  # applied
    assert patched.course_price[position[1]] == 100  # not yet committed: old price
    finish.set()
    writer.join(30)
    generations.forget()
    later = search_index.current_index()
    at = later.positions(np.array([course.pk]))[0]
    assert later.course_price[at] == 1.0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {generations.CHANGES_TABLE}")  # noqa: S608 - constant


def orders(index):
    """Every public course in title order and in date order, by id."""
    live = np.flatnonzero(index.live)
    by_title = index.ids[live[np.argsort(index.title_rank[live], kind="stable")]]
    return by_title.tolist(), index.ids[index.ordered(index.live, "date")].tolist()


def test_title_and_date_orders_hold_across_patches(catalogue):
    first = search_index.current_index()
    one = make_course(catalogue, "Zwischenstück B", price=Decimal("3"))
    search_index.current_index()
    two = make_course(catalogue, "Zwischenstück A", price=Decimal("3"))  # the same gap
    three = make_course(catalogue, "Zwischenstück C", dates=[{"rolling_start": True}])
    index = search_index.current_index()
    assert index.base is first
    assert orders(index) == orders(full_index())
    # The course before them in title order changes and now comes after them: their place is
    # found again (the course it was no longer marks it).
    rows = index._changed_rows
    previous = int(rows.previous[rows.courses[0].tolist().index(one.pk)])
    assert previous and previous not in {two.pk, three.pk}
    Course.objects.filter(pk=previous).update(title="Zwischenstück D")
    refresh_search_vectors([previous])
    index = search_index.current_index()
    assert index.base is first and previous in index.changed_ids
    assert orders(index) == orders(full_index())


def test_the_course_services_log_their_courses_and_the_index_is_patched(catalogue):
    user = get_user_model().objects.create_superuser("patch-admin", "patch@example.org", "x")
    first = search_index.current_index()
    edited, deleted = Course.objects.public().order_by("pk")[:2]
    with course_edit(course=edited, user=user):
        Course.objects.filter(pk=edited.pk).update(price=Decimal("12.00"))
    course_delete(course=deleted, user=user)
    index = search_index.current_index()
    assert index.base is first  # patched: both writes named their course
    assert set(index.changed_ids.tolist()) == {edited.pk, deleted.pk}
    assert index.course_price[index.positions([edited.pk])[0]] == 12.0
    assert index.positions([deleted.pk])[0] == -1


def test_a_venue_that_moves_and_a_new_venue_are_patched_in_a_deleted_one_builds_again(
    catalogue,
):
    first = search_index.current_index()
    # A venue with current dates moves from Mainz (Rhineland-Palatinate) to Hamburg.
    venue = (
        Venue.objects.filter(dates__isnull=False, region__key__startswith="07")
        .order_by("pk")
        .first()
    )
    hamburg = PostalCode.objects.filter(code="20095").select_related("district").first()
    venue.region = hamburg.district
    venue.latitude, venue.longitude = hamburg.latitude, hamburg.longitude
    venue.step_free_access = not venue.step_free_access
    venue.save()
    index = search_index.current_index()
    assert index.base is first and index.venues_moved  # patched, not rebuilt
    for params in (
        {"region": "07"},
        {"region": "02"},
        {"region": "07315"},
        {"place": "20095", "radius": "10"},
        {"place": "55116", "radius": "25"},
        {"access": ["step_free"]},
    ):
        assert index_ids(params) == sql_ids(params), params
    full = full_index()
    for params in ({}, {"region": "07"}, {"region": "02"}, {"place": "20095", "sort": "distance"}):
        results = []
        for each in (index, full):
            search_index._current = ((generations.search(), today()), each)
            result = course_search(params=query_dict(params))
            results.append(
                (
                    result.count,
                    [course.pk for course in result.page.object_list],
                    [(f.name, [(o.value, o.count) for o in f.options]) for f in result.facets],
                )
            )
        assert results[0] == results[1], params
    search_index._current = ((generations.search(), today()), index)
    # A new venue takes a new slot (and "no venue" moves up one): patched too, and its dates
    # and the online ones are where they were.
    provider = make_provider("Neuer Ort e.V.")
    added = make_venue(provider, "20095", name="Neues Haus")
    course = make_course(provider, "Am neuen Ort", dates=[{"venue": added}, {"mode": "online"}])
    again = search_index.current_index()
    assert again.base is first and len(again.venue_ids) == len(first.venue_ids) + 1
    assert course.pk in index_ids({"region": "02"})
    for params in ({"region": "02"}, {"place": "20095", "radius": "5"}, {"mode": ["online"]}, {}):
        assert index_ids(params) == sql_ids(params), params
    full = full_index()
    assert np.array_equal(
        again.course_distance(resolve_place("20095").place)[again.positions(full.ids)],
        full.course_distance(resolve_place("20095").place),
    )
    # A deleted venue: the others' slots would move, so the index is built again.
    Course.objects.filter(pk=course.pk).delete()
    added.delete()
    rebuilt = search_index.current_index()
    assert rebuilt.base is rebuilt and not rebuilt.venues_moved
