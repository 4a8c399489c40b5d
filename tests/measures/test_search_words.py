"""The vocabulary of "Meinten Sie …?": public words only, in their own spelling, kept current
course by course when courses change and rebuilt whole only by the daily job."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from measures import search
from measures.models import Course, SearchWord, SearchWordSource
from measures.search import refresh_search_words, search_words_update, suggestions
from tests.factories import make_course, make_provider, today
from workspace import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return make_provider("Volkshochschule Wortfeld")


@pytest.fixture
def superuser():
    user = get_user_model()(username="wortfeld-admin", is_staff=True, is_superuser=True)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def no_rebuild():
    """Fails the test if the whole vocabulary is rebuilt (an edit must not do that)."""
    with mock.patch.object(search, "refresh_search_words") as rebuild:
        yield rebuild
    rebuild.assert_not_called()


def vocabulary() -> set[tuple[str, str, int]]:
    return set(SearchWord.objects.values_list("word", "display", "frequency"))


def suggested(text: str) -> list[str]:
    return suggestions(text)


def test_public_course_word_is_suggested_in_its_own_spelling(provider, no_rebuild):
    make_course(provider, "Quokkatronik kompakt", keywords=["Wombatlogistik"])
    assert "Quokkatronik" in suggested("Quokkatronick")
    assert "Wombatlogistik" in suggested("Wombatlogistick")
    assert SearchWord.objects.get(display="Quokkatronik").word == "quokkatronik"


def test_umlauts_are_shown_as_written_and_found_folded(provider):
    make_course(provider, "Übungsfirmenführung")
    refresh_search_words()
    assert "Übungsfirmenführung" in suggested("Uebungsfirmenfuehrun")


@pytest.mark.parametrize("status", [Course.Status.DRAFT, Course.Status.ARCHIVED])
def test_draft_and_archived_courses_words_are_never_suggested(provider, status):
    make_course(provider, "Quokkatronik kompakt", keywords=["Wombatlogistik"], status=status)
    # Neither when the course is written (the update) …
    assert suggested("Quokkatronick") == []
    assert suggested("Wombatlogistick") == []
    # … nor by the daily rebuild.
    refresh_search_words()
    assert suggested("Quokkatronick") == []
    assert suggested("Wombatlogistick") == []
    assert not SearchWord.objects.filter(word__in=["quokkatronik", "wombatlogistik"]).exists()


def test_out_of_date_course_words_are_not_suggested(provider):
    past = today() - timedelta(days=30)
    make_course(provider, "Quokkatronik kompakt", dates=[{"start_date": past, "end_date": past}])
    refresh_search_words()
    assert suggested("Quokkatronick") == []


def test_archived_course_word_disappears_without_a_rebuild(provider, superuser, no_rebuild):
    course = make_course(provider, "Quokkatronik kompakt", keywords=["Wombatlogistik"])
    assert "Quokkatronik" in suggested("Quokkatronick")
    services.course_archive(course=course, user=superuser)
    assert suggested("Quokkatronick") == []
    assert suggested("Wombatlogistick") == []
    assert not SearchWordSource.objects.filter(course_id=course.pk).exists()


def test_word_of_two_courses_stays_while_one_of_them_is_public(provider, superuser, no_rebuild):
    first = make_course(provider, "Quokkatronik kompakt")
    second = make_course(provider, "Quokkatronik für Fortgeschrittene")
    assert SearchWord.objects.get(display="Quokkatronik").frequency == 2
    services.course_archive(course=first, user=superuser)
    assert SearchWord.objects.get(display="Quokkatronik").frequency == 1
    assert "Quokkatronik" in suggested("Quokkatronick")
    services.course_archive(course=second, user=superuser)
    assert not SearchWord.objects.filter(display="Quokkatronik").exists()


def test_reopened_and_published_course_brings_its_words_back(provider, superuser, no_rebuild):
    course = make_course(provider, "Quokkatronik kompakt", status=Course.Status.ARCHIVED)
    assert suggested("Quokkatronick") == []
    services.course_reopen(course=course, user=superuser)
    assert suggested("Quokkatronick") == []  # a draft
    services.course_submit(course=course, user=superuser)  # no reviewing network: published
    assert "Quokkatronik" in suggested("Quokkatronick")


def test_changed_title_and_keywords_replace_the_words(provider, no_rebuild):
    course = make_course(provider, "Quokkatronik kompakt", keywords=["Wombatlogistik"])
    Course.objects.filter(pk=course.pk).update(title="Koalametrie kompakt")
    course.keywords.set(["Dingonautik"])
    search_words_update(course_ids=[course.pk])
    assert suggested("Quokkatronick") == []
    assert suggested("Wombatlogistick") == []
    assert "Koalametrie" in suggested("Koalametri")
    assert "Dingonautik" in suggested("Dingonautick")


def test_deleted_course_words_are_taken_back(provider, no_rebuild):
    course = make_course(provider, "Quokkatronik kompakt")
    course_id = course.pk
    course.delete()
    search_words_update(course_ids=[course_id])
    assert suggested("Quokkatronick") == []
    assert not SearchWordSource.objects.filter(course_id=course_id).exists()


def test_updates_keep_the_vocabulary_the_rebuild_would_build(provider, superuser):
    first = make_course(provider, "Quokkatronik kompakt", keywords=["quokkatronik"])
    second = make_course(provider, "Quokkatronik und Wombatlogistik")
    make_course(provider, "Koalametrie", status=Course.Status.DRAFT)
    services.course_archive(course=second, user=superuser)
    Course.objects.filter(pk=first.pk).update(title="Dingonautik kompakt")
    search_words_update(course_ids=[first.pk, second.pk, first.pk])
    updated = vocabulary()
    refresh_search_words()
    assert vocabulary() == updated


def test_most_frequent_spelling_is_shown(provider):
    make_course(provider, "Quokkatronik kompakt", keywords=["quokkatronik"])
    make_course(provider, "Quokkatronik vertieft")
    assert "Quokkatronik" in suggested("Quokkatronick")
    make_course(provider, "Abend", keywords=["quokkatronik"])
    make_course(provider, "Morgen", keywords=["quokkatronik"])
    assert "quokkatronik" in suggested("Quokkatronick")


def test_known_words_keep_their_spelling_and_unknown_ones_the_users(provider):
    make_course(provider, "Quokkatronik für Einsteiger")
    refresh_search_words()
    assert suggested("Quokkatronick Einsteiger") == ["Quokkatronik Einsteiger"]
    assert suggested("Quokkatronick Xyzzyq") == ["Quokkatronik Xyzzyq"]


def test_course_deleted_in_admin_takes_its_words_along(client, provider, superuser, no_rebuild):
    course = make_course(provider, "Quokkatronik kompakt")
    client.force_login(superuser)
    response = client.post(f"/admin/measures/course/{course.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Course.objects.filter(pk=course.pk).exists()
    assert suggested("Quokkatronick") == []
