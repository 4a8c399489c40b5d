"""Shared fixtures.

The test database is created once per worker with the reference data (regions, postal codes,
vocabularies) and the demo data loaded and committed, so every test sees the real picture.
Tests run in transactions that are rolled back; do not use ``transaction=True`` (it would flush
the shared data): browser tests use the session-wide ``site_url`` server instead.
"""

import os

import pytest
from django.core.management import call_command
from django.utils import timezone

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached search counts must not leak between tests).
    The shared default cache in PostgreSQL needs no clearing: what a test writes there is rolled
    back with the rest of its data (and a Redis from the environment is never flushed)."""
    from django.core.cache import caches

    caches["local"].clear()
    yield
    caches["local"].clear()


@pytest.fixture(autouse=True)
def _forget_search_memos():
    """What a process keeps per search generation (vocabularies, synonyms, the search index)
    must not outlive the rolled-back data of an earlier test: each test starts without it.
    Within a test the generation is read once and then follows this process's own changes,
    so query counts do not depend on the one-second memo expiring mid-test."""
    from atlas.templatetags import site_parts
    from core import generations
    from measures import search, search_help, search_index, text_matches, vocabulary

    generations.MEMO_SECONDS = float("inf")
    search_index.forget()
    text_matches.forget()
    search_index.BUILD_IN_BACKGROUND = False  # a thread would not see the test's data
    search_index.SHARED_BUILDS = False  # nor would another process
    generations.forget()
    search._synonyms = None
    search_help._labels = None
    vocabulary._vocabulary = None
    site_parts.forget()


_demo_loaded_on: list = []  # the day the session loaded the demo for (its dates are relative)


@pytest.fixture
def demo_of_today(django_db_setup):
    """The demo data as for today: a run that crossed midnight (local time) since the session
    loaded it reloads it for today, inside the test's transaction."""
    demo_for_today()


def demo_for_today() -> bool:
    """Reload the demo for today if the session loaded it for another day; whether it did."""
    from atlas import demo

    today = timezone.localdate()
    if not _demo_loaded_on or _demo_loaded_on[-1] == today:
        return False
    demo.load_demo(today=today)
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)
        call_command("load_demo", "--force", verbosity=0)  # --force: also on a DATABASE_URL
        _demo_loaded_on.append(timezone.localdate())
