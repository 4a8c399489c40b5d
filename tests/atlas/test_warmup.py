"""A web worker compiles the project's templates and imports its views before its first
request."""

import gc

from django.template import engines

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
