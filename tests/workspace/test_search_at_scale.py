"""The workspace's course and date searches: Django's search semantics (every word somewhere,
any case, "quoted words" together) on conditions each served by an index, within the user's
reach."""

import pytest
from django.urls import reverse

from measures.models import Course, CourseDate
from workspace.admin import courses
from workspace.admin.base import search_words

pytestmark = pytest.mark.django_db


def found(client, name, query) -> set[str]:
    response = client.get(reverse(f"admin:measures_{name}_changelist"), {"q": query})
    assert response.status_code == 200
    return {str(row) for row in response.context["cl"].result_list}


def test_search_words_read_as_django_reads_them():
    assert search_words("Kurs \"Deutsch A1\" 'B2'") == ["Kurs", "Deutsch A1", "B2"]
    assert search_words("  ") == []
    assert search_words('"') == ['"']


def test_courses_are_found_by_title_slug_provider_and_external_id(client, world):
    a, b = world.a, world.b
    Course.objects.filter(pk=a.course.pk).update(external_id=f"EXT-{world.token}")
    client.force_login(world.superuser)
    assert str(a.course) in found(client, "course", f'"kurs a {world.token.lower()}"')
    assert str(a.course) in found(client, "course", f"{world.slug}-kurs-a")
    assert str(a.course) in found(client, "course", f"EXT-{world.token}")
    by_provider = found(client, "course", f'"Anbieter B {world.token}"')
    assert by_provider == {str(b.course), str(b.submitted)}
    # Every word must match somewhere: title and provider together. (A single letter matches
    # any text holding it, as in Django's search: hence the quotes.)
    assert found(client, "course", f'Eingereicht {world.token} "Anbieter A"') == {str(a.submitted)}
    assert found(client, "course", f"{world.token} Xylophon") == set()


def test_a_search_never_reaches_beyond_the_users_courses(client, world):
    client.force_login(world.coordinator)
    assert found(client, "course", world.token) == {str(world.a.course), str(world.a.submitted)}
    assert found(client, "course", f'"Anbieter B {world.token}"') == set()
    assert found(client, "coursedate", world.token) == {str(world.a.date)}


def test_dates_are_found_by_course_provider_venue_and_external_id(client, world):
    a, b = world.a, world.b
    CourseDate.objects.filter(pk=b.date.pk).update(external_id=f"T-{world.token}")
    client.force_login(world.superuser)
    assert found(client, "coursedate", f'"Kurs A {world.token}"') == {str(a.date)}
    assert found(client, "coursedate", f'"Anbieter B {world.token}"') == {str(b.date)}
    assert found(client, "coursedate", f'"Ort A {world.token}"') == {str(a.date)}
    assert found(client, "coursedate", f"T-{world.token}") == {str(b.date)}
    assert str(a.date) in found(client, "coursedate", f"mainz {world.token}")


def test_a_date_search_with_many_courses_matches_them_by_subquery(client, world, monkeypatch):
    monkeypatch.setattr(courses, "MANY_COURSES", 0)
    client.force_login(world.superuser)
    assert found(client, "coursedate", f'"Kurs A {world.token}"') == {str(world.a.date)}


def test_the_provider_filter_offers_the_providers_in_reach(client, world):
    client.force_login(world.coordinator)
    url = reverse("admin:measures_course_changelist")
    response = client.get(url)
    spec = next(
        s
        for s in response.context["cl"].filter_specs
        if getattr(s, "parameter_name", "") == "anbieter"
    )
    offered = {label for _value, label in spec.lookup_choices}
    assert world.a.provider.name in offered and world.b.provider.name not in offered
    chosen = client.get(url, {"anbieter": world.a.provider.pk}).context["cl"].result_list
    assert {course.provider_id for course in chosen} == {world.a.provider.pk}


def test_too_many_providers_are_no_list_but_the_filter_still_applies(client, world, monkeypatch):
    monkeypatch.setattr(courses, "MAX_PROVIDER_CHOICES", 1)
    client.force_login(world.superuser)
    url = reverse("admin:measures_course_changelist")
    response = client.get(url)
    assert "anbieter" not in {
        getattr(spec, "parameter_name", "")
        for spec in response.context["cl"].filter_specs
        if spec.has_output()
    }
    response = client.get(url, {"anbieter": world.b.provider.pk})
    chosen = response.context["cl"].result_list
    assert {course.provider_id for course in chosen} == {world.b.provider.pk}
    spec = next(
        s
        for s in response.context["cl"].filter_specs
        if getattr(s, "parameter_name", "") == "anbieter"
    )
    assert spec.lookup_choices == [(str(world.b.provider.pk), world.b.provider.name)]
