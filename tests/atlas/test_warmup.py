"""A web worker compiles the project's templates and imports its views before its first
request."""

import gc
import weakref

import pytest
from django.template import engines
from django.utils import timezone

from atlas.warmup import project_templates, warm_up


def _cached_names() -> set[str]:
    engine = engines["django"].engine
    (loader,) = engine.template_loaders  # the cached loader wraps the others
    return {key.split("-")[0] for key in loader.get_template_cache}


def test_every_project_template_is_compiled_before_the_first_request():
    engine = engines["django"].engine
    engine.template_loaders[0].reset()
    names = project_templates()
    assert {"base.html", "atlas/home.html", "measures/course_list.html"} <= set(names)
    assert len(names) > 40
    try:
        warm_up()
        assert set(names) <= _cached_names()
    finally:
        gc.unfreeze()


def test_the_wsgi_application_warms_up():
    import importlib

    import atlas.wsgi

    engines["django"].engine.template_loaders[0].reset()
    try:
        importlib.reload(atlas.wsgi)
        assert set(project_templates()) <= _cached_names()
    finally:
        gc.unfreeze()  # the rest of the test run collects as before


def test_what_is_loaded_is_kept_out_of_full_garbage_collections():
    gc.unfreeze()
    try:
        warm_up()
        assert gc.get_freeze_count() > 10_000  # Django, the templates, the URL configuration
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_a_new_worker_takes_another_workers_index_after_the_freeze(settings, tmp_path, monkeypatch):
    """The index of the current generation, when a build of it is there to read, is the
    worker's before its first request; loaded after the freeze, so that it is freed once a
    newer one replaces it (an index refers to itself: frozen, it would stay for good)."""
    from core import generations
    from measures import search_index

    monkeypatch.setattr(search_index, "SHARED_BUILDS", True)
    settings.SEARCH_INDEX_DIR = str(tmp_path)
    search_index.forget()
    key = (generations.search(), timezone.localdate())
    search_index._obtain(key)  # another worker's build, written to its file
    search_index.forget()
    try:
        warm_up()
        current = search_index._current
        assert current is not None and current[0] == key
        freed = weakref.ref(current[1])
        del current
        search_index.forget()  # replaced
        gc.collect()
        assert freed() is None
    finally:
        gc.unfreeze()
        search_index.forget()


@pytest.mark.django_db
def test_without_a_build_to_read_the_warm_up_builds_nothing(settings, tmp_path, monkeypatch):
    from measures import search_index

    monkeypatch.setattr(search_index, "SHARED_BUILDS", True)
    settings.SEARCH_INDEX_DIR = str(tmp_path)
    search_index.forget()

    def refuse(self, day):
        raise AssertionError("built in the warm-up")

    monkeypatch.setattr(search_index.SearchIndex, "__init__", refuse)
    assert search_index.load_shared() is False
    assert search_index._current is None
