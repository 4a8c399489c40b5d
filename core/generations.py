"""Generations: numbers that change whenever data kept in caches changes.

The *search generation* changes with every write to what the searches and listings cache
(courses, their dates and links, venues, organisations, vocabularies, synonyms, regions,
networks, menus); the *reference generation* changes only with the small reference tables a
process keeps in memory (vocabularies, synonyms, regions, networks, menus). A cache key that
holds the generation is dropped by the next change.

Both are database sequences (created by migration ``measures.0007``), so every worker process
sees a change; a process remembers them for ``MEMO_SECONDS``. They are read on the primary
(``connection`` is always the default database), never on a read replica (its copy of a
sequence is not the primary's current value); what is kept per generation is read on the
primary too (``core.replicas``).

A change to the search data also says which courses it changed (``measures_search_change``,
migration ``measures.0016``: the writing transaction's id and the course, or no course for
"anything may have changed"), so that the search index applies those courses instead of
reading every course again (``measures.search_index``). Rows older than ``KEEP_CHANGES`` are
deleted now and then: an index older than a day is rebuilt anyway.
"""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

SEARCH_SEQUENCE = "measures_search_generation"
REFERENCE_SEQUENCE = "measures_reference_generation"
MEMO_SECONDS = 1.0
CHANGES_TABLE = "measures_search_change"
# Above this many courses a change is logged as "anything" (a bulk load: the index is rebuilt).
MAX_LOGGED_COURSES = 1000
KEEP_CHANGES = "2 days"
VENUES = 0  # logged as a course: the venues changed (their places, regions, accessibility)
_PRUNE_SECONDS = 3600.0

_memo: tuple[int, int, float] | None = None  # (search, reference, when read)
_pruned: float | None = None  # when this process last deleted old change rows


def _read() -> tuple[int, int]:
    global _memo  # noqa: PLW0603 - a per-process memo
    memo, now = _memo, time.monotonic()
    if memo is not None and now - memo[2] < MEMO_SECONDS:
        return memo[0], memo[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT last_value FROM {SEARCH_SEQUENCE}), "  # noqa: S608 - constants
            f"(SELECT last_value FROM {REFERENCE_SEQUENCE})"
        )
        search_value, reference_value = cursor.fetchone()
    _memo = (search_value, reference_value, now)
    return search_value, reference_value


def search() -> int:
    """The current search generation (one query a second per process at most)."""
    return _read()[0]


def reference() -> int:
    """The current reference generation (vocabularies, synonyms, regions, networks, menus)."""
    return _read()[1]


# Advance the search generation, and the reference generation too or only read it.
_NEXT_SQL = {
    True: f"SELECT nextval('{SEARCH_SEQUENCE}'), nextval('{REFERENCE_SEQUENCE}')",
    False: (
        f"SELECT nextval('{SEARCH_SEQUENCE}'), (SELECT last_value FROM {REFERENCE_SEQUENCE})"  # noqa: S608 - constants
    ),
}


def _advance(reference_too: bool) -> None:
    global _memo  # noqa: PLW0603 - a per-process memo
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SQL[reference_too])
        search_value, reference_value = cursor.fetchone()
    _memo = (search_value, reference_value, time.monotonic())


def bump(*, reference: bool = False, courses=None) -> None:
    """Mark every cached result (with ``reference``, also the reference tables) as old: at
    once for this process's own reads, and again after the commit, for what other processes
    cached meanwhile from the data before it.

    ``courses``: the ids of the only courses whose search data changed (None: any may have).
    Call it after the writes, in their transaction."""
    _log(courses)
    _advance(reference)
    transaction.on_commit(lambda: _advance(reference))


def _log(courses) -> None:
    global _pruned  # noqa: PLW0603 - a per-process timer
    ids = None if courses is None else sorted({int(pk) for pk in courses})
    if ids is not None and len(ids) > MAX_LOGGED_COURSES:
        ids = None
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(f"INSERT INTO {CHANGES_TABLE} (course_id) VALUES (NULL)")  # noqa: S608
        elif ids:
            cursor.execute(
                f"INSERT INTO {CHANGES_TABLE} (course_id) SELECT unnest(%s::bigint[])",  # noqa: S608
                [ids],
            )
        now = time.monotonic()
        if _pruned is None or now - _pruned > _PRUNE_SECONDS:
            _pruned = now
            cursor.execute(
                f"DELETE FROM {CHANGES_TABLE} WHERE created < now() - %s::interval",  # noqa: S608
                [KEEP_CHANGES],
            )


def forget() -> None:
    """Drop this process's memo (tests: the data was rolled back)."""
    global _memo  # noqa: PLW0603
    _memo = None


def bump_on_change(model, *, reference: bool = False, courses=None) -> None:
    """Start a new generation whenever a row of ``model`` is saved or deleted (``courses``:
    see :func:`bump`; ``()`` for a table the course search's index does not hold).

    For tables that processes keep in memory or caches; called by the owning app's
    ``AppConfig.ready``. Fixture loading (``raw``) is left out: loaders start a generation of
    their own afterwards."""

    def changed(sender, **kwargs):
        if not kwargs.get("raw"):
            bump(reference=reference, courses=courses)

    uid = f"generation-{model._meta.label}"
    post_save.connect(changed, sender=model, dispatch_uid=uid, weak=False)
    post_delete.connect(changed, sender=model, dispatch_uid=uid, weak=False)
