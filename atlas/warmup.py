"""What a web worker prepares before it takes its first request: every view imported (the URL
configuration resolved), every project template compiled into the cached loader, and what an
app prepares itself (an app config's ``warm_up()``: the API's OpenAPI description); then what
is loaded is frozen for the garbage collector, and what the worker replaces during its life is
loaded after that (an app config's ``load_replaceable()``: the search index, when another
worker's build is there to read). Without the warm-up each page pattern's first
request in each worker pays for the URL configuration (340 ms) and its templates (10–30 ms
each), which a visitor meets as a slow page long after the start."""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver

logger = logging.getLogger(__name__)


def project_templates() -> list[str]:
    """The names of the project's own HTML templates (the DIRS of the template engine)."""
    names: set[str] = set()
    for engine in settings.TEMPLATES:
        for directory in engine.get("DIRS", []):
            root = Path(directory)
            names.update(p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    return sorted(names)


def warm_up() -> None:
    """Resolve the URL configuration, compile the templates, let the apps prepare. A failure
    is logged, never raised: the worker serves anyway (and the page that needs the broken part
    says so)."""
    started = time.perf_counter()
    try:
        resolver = get_resolver()
        resolver.reverse_dict  # noqa: B018 - populating it imports every view module
        for name in project_templates():
            get_template(name)
        for config in apps.get_app_configs():
            if callable(prepare := getattr(config, "warm_up", None)):
                prepare()
    except Exception:
        logger.exception("Warming up the worker failed; it serves without.")
        return
    # What is loaded now stays for the worker's life: kept out of the garbage collector's
    # full collections (gc.freeze), which otherwise walk its ~160,000 objects every few hundred
    # requests — a 80-110 ms pause in a request, 4 ms with them frozen.
    gc.collect()
    gc.freeze()
    # What the worker replaces during its life (the search index: a new one each generation)
    # is loaded after the freeze, or the collector could never free it once replaced.
    for config in apps.get_app_configs():
        if callable(load := getattr(config, "load_replaceable", None)):
            try:
                load()
            except Exception:
                logger.exception("Loading %s before the first request failed.", config.label)
    logger.info("Worker warmed up in %.0f ms.", (time.perf_counter() - started) * 1000)
