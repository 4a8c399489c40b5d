"""The course search's in-memory index: filters, facet counts, totals and orders over arrays.

PostgreSQL finds the text matches (the GIN index on the stored vector) and reads the twenty
courses of a page. Everything in between — which public courses meet the filters, what each
facet option would find, the order of the results — runs here, over NumPy arrays of the
public courses and their current dates: a few milliseconds whatever the number of matches,
where counting seven facets in SQL visits every matching course once per facet (0.7–1.1 s
for a broad search on 100,000 courses).

Each process holds the index of one search generation and one day. Every change to a
course, its dates and links, a venue or a vocabulary starts a new generation
(``core.generations``), so the index is never older than the data, within the generation's
one-second memo. A change that names its courses (every write of the course services) is
applied by reading only those courses again (:meth:`SearchIndex.patched`: 20 ms at 100,000
courses), a venue edit by reading the venues again; a change to anything else (a vocabulary,
a deleted venue), more than one course in twenty changed since the index was built,
and a new day build the whole index again (four reads of every course, 1.3 s at 100,000
courses, 18 s at 1,000,000), once for all workers.

This is the one implementation of the filters; the tests restate them in SQL
(``tests/measures/sql_filters.py``) and compare the two for every filter and combinations,
for built and for patched indexes.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import math
import os
import pickle
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import generations, replicas
from core.listing import is_empty
from core.sql import where_sql
from measures.filters import (
    COURSE_ACCESSIBILITY,
    EVENING_START,
    MORNING_END,
    VENUE_ACCESSIBILITY,
)
from measures.models import Course, CourseDate
from measures.vocabulary import vocabulary
from network.models import Venue
from network.models.regions import facet_option_of, facet_options

logger = logging.getLogger(__name__)

EPOCH = date(2000, 1, 1)
NO_DAY = np.iinfo(np.int32).min
EARTH_RADIUS_M = 6378168.0  # earthdistance's earth(): the same sphere as the SQL radius search
KINDS = tuple(Course.Kind.values)
LANGUAGES = tuple(Course.Language.values)
MODES = tuple(CourseDate.Mode.values)
WEEKEND = (1 << 5) | (1 << 6)
LINKS = ("subject", "funding", "target_group")


def _minutes(moment) -> int:
    return moment.hour * 60 + moment.minute


# Loading -----------------------------------------------------------------------------------

# A day that stands for the search's day while the querysets below are compiled.
_A_DAY = date(1111, 11, 11)


# Course.objects.public() and CourseDate.objects.current() in SQL, for courses ``c`` and dates
# ``d``, compiled from the querysets (parameters: see SearchIndex.params).
PUBLIC_COURSE_SQL, _PUBLIC_COURSE_PARAMS = where_sql(
    Course.objects.public(_A_DAY), "c", "public", stand_ins={_A_DAY: "day"}
)
CURRENT_DATE_SQL, _CURRENT_DATE_PARAMS = where_sql(
    CourseDate.objects.current(_A_DAY), "d", "current", stand_ins={_A_DAY: "day"}
)

# Small values are packed into one bigint per row (fewer values for the database to send);
# ``_bits`` unpacks them. Ids stay whole.
_COURSE_COLUMNS = """
       c.id::int8 AS c0,
       ((row_number() OVER (ORDER BY c.title, c.id)) << 32)
       | (row_number() OVER (ORDER BY c.summary_next_start ASC NULLS FIRST, c.title, c.id)) AS c1,
       coalesce(array_position(%(kinds)s::text[], c.kind::text), 0)::int8
       | (coalesce(array_position(%(languages)s::text[], c.language::text), 0)::int8 << 8)
       | (c.childcare::int::int8 << 16) | (c.easy_language::int::int8 << 17)
       | ((c.price_kind = %(free)s)::int::int8 << 18)
       | (coalesce(c.certificate_kind_id, 0)::int8 << 24) AS c2,
       c.provider_id::int8 AS c3,
       coalesce(c.price::float8, 'NaN'::float8) AS c4,
       coalesce(c.summary_next_start - %(epoch)s::date, %(no_day)s)::int8 AS c5"""
_COURSE_TYPES = [">i8", ">i8", ">i8", ">i8", ">f8", ">i8"]
_COURSES_SQL = f"""
SELECT {_COURSE_COLUMNS}
FROM measures_course c
WHERE {PUBLIC_COURSE_SQL}
"""  # noqa: S608 - constant SQL, values are parameters

# The link tables as the database keeps them on the course (``facet_*`` arrays); the link's
# kind (LINKS) in the entry's top bits. (PostgreSQL's | and << bind equally: parentheses.)
_LINKS_SQL = f"""
SELECT c.id::int8 AS c0, unnest(c.facet_subjects)::int8 AS c1
FROM measures_course c WHERE {PUBLIC_COURSE_SQL}/*only*/
UNION ALL
SELECT c.id::int8, unnest(c.facet_funding)::int8 | (1::int8 << 56)
FROM measures_course c WHERE {PUBLIC_COURSE_SQL}/*only*/
UNION ALL
SELECT c.id::int8, unnest(c.facet_target_groups)::int8 | (2::int8 << 56)
FROM measures_course c WHERE {PUBLIC_COURSE_SQL}/*only*/
"""  # noqa: S608 - constant SQL, values are parameters

# Weekdays 0–6 as bits (seven tests of the array cost less than a subquery per date).
_WEEKDAY_BITS = " | ".join(f"((({day} = ANY(d.weekdays))::int::int8) << {day})" for day in range(7))

# The current dates of public courses (``CourseDate.objects.current``).
_DATES_SQL = f"""
SELECT d.course_id::int8 AS c0,
       coalesce(d.venue_id, 0)::int8 AS c1,
       coalesce(array_position(%(modes)s::text[], d.mode::text), 0)::int8
       | (({_WEEKDAY_BITS}) << 2)
       | ((coalesce(floor(date_part('epoch', d.start_time) / 60)::int8, -1) + 1) << 9)
       | (d.rolling_start::int::int8 << 20)
       | ((coalesce(d.start_date - %(epoch)s::date, %(no_day)s)::int8 + 2147483648) << 21) AS c2,
       coalesce(d.price::float8, 'NaN'::float8) AS c3
FROM measures_coursedate d JOIN measures_course c ON c.id = d.course_id
WHERE {PUBLIC_COURSE_SQL} AND {CURRENT_DATE_SQL}/*only*/
"""  # noqa: S608 - constant SQL, values are parameters
_DATE_TYPES = [">i8", ">i8", ">i8", ">f8"]


def _only(sql: str) -> str:
    """The same SQL for some courses only (``%(only)s``: their ids)."""
    return sql.replace("/*only*/", " AND c.id = ANY(%(only)s)")


# The public course that comes before a changed one (``c``) in title order among those that
# did not change since the base (``%(changed)s``: those that did): where the base has it in
# that order. The index (title, id) finds it in a few steps.
_PREVIOUS_PUBLIC_SQL, _PREVIOUS_PUBLIC_PARAMS = where_sql(
    Course.objects.public(_A_DAY), "p", "previous", stand_ins={_A_DAY: "day"}
)
_PREVIOUS = f"""coalesce((SELECT p.id FROM measures_course p
                 WHERE (p.title, p.id) < (c.title, c.id) AND {_PREVIOUS_PUBLIC_SQL}
                   AND NOT p.id = ANY(%(changed)s)
                 ORDER BY p.title DESC, p.id DESC LIMIT 1), 0)::int8"""  # noqa: S608 - constant

# The same columns for the changed courses (``%(only)s``: their ids) that are public, and
# each one's previous course; that alone for some of them (``%(ask)s``).
_CHANGED_COURSES_SQL = f"""
SELECT {_COURSE_COLUMNS}, {_PREVIOUS} AS c6
FROM measures_course c
WHERE {PUBLIC_COURSE_SQL} AND c.id = ANY(%(only)s)
"""  # noqa: S608 - constant SQL, values are parameters
_PREVIOUS_SQL = (
    f"SELECT c.id::int8 AS c0, {_PREVIOUS} AS c1 FROM measures_course c WHERE c.id = ANY(%(ask)s)"  # noqa: S608
)

# The title order of some courses (``%(ask)s``) among themselves.
_TITLE_ORDER_SQL = """
SELECT c.id::int8 AS c0, row_number() OVER (ORDER BY c.title, c.id)::int8 AS c1
FROM measures_course c WHERE c.id = ANY(%(ask)s)
"""

# What a reader has seen: the snapshot of its transaction, that transaction's own id if it
# has one, and the last change it logged itself (a snapshot does not list its own transaction
# among those in progress, yet what that transaction logs later is not in what was read).
_SEEN = f"""pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text,
       (SELECT coalesce(max(id), 0) FROM {generations.CHANGES_TABLE}
        WHERE xid = pg_current_xact_id_if_assigned())"""  # noqa: S608 - constant SQL
_SNAPSHOT_SQL = f"SELECT {_SEEN}"

# What the reader sees now, and the courses changed by transactions that it had not seen
# (NULL: any course may have changed), from the log that core.generations.bump writes.
_CHANGES_SQL = f"""
SELECT {_SEEN},
       array(SELECT DISTINCT course_id FROM {generations.CHANGES_TABLE}
             WHERE (xid >= pg_snapshot_xmin(%(seen)s::pg_snapshot)
                    AND NOT pg_visible_in_snapshot(xid, %(seen)s::pg_snapshot)
                    AND xid IS DISTINCT FROM %(own)s::xid8)
                OR (xid = %(own)s::xid8 AND id > %(own_last)s))
"""  # noqa: S608 - constant SQL, values are parameters


def _bits(packed: np.ndarray, shift: int, width: int) -> np.ndarray:
    return (packed >> shift) & ((1 << width) - 1)


# Each column comes back as one bytea, its values in PostgreSQL's binary form (``int8send``
# and so on: fixed width, big-endian) one after another, which NumPy reads as it is. Reading
# rows instead would cost a Python object per value. Every column is NOT NULL, so the columns
# line up.
_SEND = {
    ">i2": "int2send",
    ">i4": "int4send",
    ">i8": "int8send",
    ">f4": "float4send",
    ">f8": "float8send",
    "?": "boolsend",
}


def read_columns(sql: str, params, types: list[str], names=None) -> list[np.ndarray]:
    """The result of ``sql`` as one array per column (named ``c0``, ``c1`` … or ``names``)."""
    names = names or [f"c{number}" for number in range(len(types))]
    aggregates = ", ".join(
        f"string_agg({_SEND[kind]}(t.\"{name}\"), ''::bytea)"
        for name, kind in zip(names, types, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {aggregates} FROM ({sql}) AS t", params)  # noqa: S608 - constants
        blobs = cursor.fetchone()
    return [
        np.frombuffer(bytes(blob or b""), dtype=kind).astype(kind.lstrip(">"))
        for blob, kind in zip(blobs, types, strict=True)
    ]


@dataclass
class _Links:
    """A many-to-many link (course → vocabulary entry) as pairs, grouped by entry."""

    courses: np.ndarray  # course positions
    entries: np.ndarray  # entry ids, ascending
    ids: np.ndarray = field(init=False)  # the distinct entry ids
    starts: np.ndarray = field(init=False)  # where each entry's pairs start

    def __post_init__(self):
        order = np.lexsort((self.courses, self.entries))
        self.courses, self.entries = self.courses[order], self.entries[order]
        self.ids, self.starts = np.unique(self.entries, return_index=True)
        self.starts = np.append(self.starts, len(self.entries))

    def having(self, entry_ids, size: int) -> np.ndarray:
        """Courses linked to any of the entries."""
        found = np.zeros(size, dtype=bool)
        for entry in entry_ids:
            at = np.searchsorted(self.ids, entry)
            if at < len(self.ids) and self.ids[at] == entry:
                found[self.courses[self.starts[at] : self.starts[at + 1]]] = True
        return found

    def counts(self, mask: np.ndarray) -> dict[int, int]:
        """Entry id → matching courses linked to it (pairs are distinct)."""
        if not len(self.ids):
            return {}
        counted = np.add.reduceat(mask[self.courses], self.starts[:-1], dtype=np.int64)
        return {int(entry): int(n) for entry, n in zip(self.ids, counted, strict=True) if n}

    @property
    def parts(self) -> list[_Links]:
        return [self]


@dataclass
class _JoinedLinks:
    """The links of a patched index: its base's and those of the courses changed since."""

    base: _Links
    changed: _Links

    @property
    def parts(self) -> list[_Links]:
        return [self.base, self.changed]

    def having(self, entry_ids, size: int) -> np.ndarray:
        return self.base.having(entry_ids, size) | self.changed.having(entry_ids, size)

    def counts(self, mask: np.ndarray) -> dict[int, int]:
        counted = self.base.counts(mask)
        for entry, n in self.changed.counts(mask).items():
            counted[entry] = counted.get(entry, 0) + n
        return counted


class Rebuild(Exception):  # noqa: N818 - not an error: the reason for a full build
    """The changes cannot be applied to the index: build it again."""


class SearchIndex:
    """The public courses (in date order: next start, title, id) and their current dates.

    An index built from all courses is a *base*; :meth:`patched` makes a new index from one
    and the courses changed since it was built: the base's arrays with those courses' old
    rows left out (``live``) and their new rows appended, without reading the others again.
    Appended courses are out of date order, so a patched index keeps that order apart
    (``date_order``)."""

    # The arrays with a value per course, and per current date (patching joins them).
    COURSE_ARRAYS = (
        "ids",
        "title_rank",
        "next_start",
        "kind",
        "language",
        "childcare",
        "easy_language",
        "course_free",
        "certificate",
        "provider",
        "course_price",
        "price_key",
    )
    DATE_ARRAYS = (
        "date_course",
        "mode",
        "weekdays",
        "start_minute",
        "start_day",
        "rolling",
        "date_price",
        "date_venue",
    )

    @staticmethod
    def params(day: date) -> dict:
        """The parameters of the SQL above."""
        return {
            **_PUBLIC_COURSE_PARAMS,
            **_CURRENT_DATE_PARAMS,
            "day": day,
            "kinds": list(KINDS),
            "languages": list(LANGUAGES),
            "free": Course.PriceKind.FREE,
            "modes": list(MODES),
            "epoch": EPOCH,
            "no_day": int(NO_DAY),
        }

    def __init__(self, day: date):
        self.day = day
        self._distances: tuple[tuple[float, float], np.ndarray] | None = None
        self._region_groups: dict[tuple, tuple[list, _Runs]] = {}
        # What is kept per venue slot (by region and other keys): patches share it.
        self.venue_memo: dict[object, np.ndarray] = {}
        params = self.params(day)
        with connection.cursor() as cursor:  # before reading: changes after it are applied
            cursor.execute(_SNAPSHOT_SQL)  # by the next patch
            self.snapshot = cursor.fetchone()
        # Names this build for what the workers that read it share about it (text matches).
        self.build = secrets.token_hex(8)
        columns = read_columns(_COURSES_SQL, params, _COURSE_TYPES)
        in_date_order = np.argsort(_bits(columns[1], 0, 32))
        columns = [column[in_date_order] for column in columns]
        self._set_courses(columns, _bits(columns[1], 32, 31).astype(np.float64))
        self.size = len(self.ids)
        self.base, self.base_size = self, self.size
        self.live = _read_only(np.ones(self.size, dtype=bool))
        self.date_order: np.ndarray | None = None  # None: the positions are in date order
        self.changed_ids = np.zeros(0, dtype=np.int64)  # courses changed since the base
        self._changed_rows: _Changed | None = None  # their rows, as read
        self._id_order = np.argsort(self.ids)
        self._sorted_ids = self.ids[self._id_order]
        self._certificate_codes(np.unique(self.certificate[self.certificate > 0]))

        course_ids, entries = read_columns(_LINKS_SQL, params, 2 * [">i8"])
        # The three reads are separate statements: a course published or withdrawn between
        # them has no row in the first one, and its links and dates are left out here.
        self.links = _links(self.positions(course_ids), entries)
        self.areas = _areas(self.links["subject"])

        self._venues()
        self.venues_moved = False  # (a patched index: its venues are not its base's)
        dates = self._dates(read_columns(_DATES_SQL, params, _DATE_TYPES))
        for name, values in zip(self.DATE_ARRAYS, dates, strict=True):
            setattr(self, name, values)
        self.base_dates = len(self.date_course)
        # Where each course's dates start (for "any of its dates" per course).
        self._dated, self._date_starts = np.unique(self.date_course, return_index=True)
        self.mode_runs = _Runs.of(self.date_course, self.mode, np.arange(len(self.mode)))

    def _set_courses(self, columns: list[np.ndarray], title_rank: np.ndarray) -> None:
        """The per-course arrays from the columns of _COURSES_SQL, in their order."""
        ids, _ranks, codes, providers, prices, next_start = columns
        self.ids, self.title_rank = ids, title_rank
        self.next_start = next_start.astype(np.int32)
        self.kind = _bits(codes, 0, 8).astype(np.int16)
        self.language = _bits(codes, 8, 8).astype(np.int16)
        self.childcare = _bits(codes, 16, 1).astype(bool)
        self.easy_language = _bits(codes, 17, 1).astype(bool)
        self.course_free = _bits(codes, 18, 1).astype(bool)
        self.certificate = codes >> 24
        self.provider, self.course_price = providers, prices
        # The price order: free courses cost 0, courses without a price come last.
        self.price_key = np.where(self.course_free, 0.0, self.course_price)
        self.price_key = np.where(np.isnan(self.price_key), np.inf, self.price_key)

    def _certificate_codes(self, certificate_ids: np.ndarray) -> None:
        """Certificates as dense codes (0: none) for counting."""
        self.certificate_ids = certificate_ids
        self.certificate_code = np.searchsorted(self.certificate_ids, self.certificate) + 1
        self.certificate_code[self.certificate == 0] = 0

    def _dates(self, rows: list[np.ndarray]) -> list[np.ndarray]:
        """The DATE_ARRAYS of the current dates in ``rows`` (the columns of _DATES_SQL) of
        courses this index holds, grouped by course and within a course by the venue's region
        (see region_groups)."""
        course_ids, venue_ids, packed, prices = rows
        course = self.positions(course_ids)
        held = course >= 0
        course, venue_ids, packed, prices = (
            course[held],
            venue_ids[held],
            packed[held],
            prices[held],
        )
        at = np.searchsorted(self.venue_ids, venue_ids)
        at = np.minimum(at, len(self.venue_ids) - 1) if len(self.venue_ids) else at
        known = (
            (self.venue_ids[at] == venue_ids) if len(self.venue_ids) else np.zeros(len(at), bool)
        )
        venue = np.where(known, at, len(self.venue_ids))  # the last slot: no venue
        order = np.lexsort((self.region_order[venue], course))
        packed = packed[order]
        return [
            course[order],
            _bits(packed, 0, 2).astype(np.int16),  # mode
            _bits(packed, 2, 7).astype(np.int16),  # weekdays
            (_bits(packed, 9, 11) - 1).astype(np.int16),  # start_minute
            ((packed >> 21) - 2147483648).astype(np.int32),  # start_day
            _bits(packed, 20, 1).astype(bool),  # rolling
            prices[order],  # date_price
            venue[order],  # date_venue
        ]

    def any_date(self, dates: np.ndarray) -> np.ndarray:
        """Courses with at least one of the given dates (a mask over all current dates)."""
        found = np.zeros(self.size, dtype=bool)
        if len(self._dated):
            found[self._dated] = _any_per_run(dates, self._date_starts)
        return found

    @functools.cached_property
    def provider_counts(self) -> dict[int, int]:
        """Provider id → how many public courses it offers."""
        providers, counts = np.unique(self.provider[self.live], return_counts=True)
        return dict(zip(providers.tolist(), counts.tolist(), strict=True))

    @functools.cached_property
    def _provider_areas(self) -> tuple[np.ndarray, np.ndarray]:
        return self._provider_pairs(self.areas)

    @functools.cached_property
    def _provider_subjects(self) -> tuple[np.ndarray, np.ndarray]:
        return self._provider_pairs(self.links["subject"])

    def _provider_pairs(self, links) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (entry, provider) pairs of the public courses' links."""
        keys = []
        for part in links.parts:
            live = self.live[part.courses]
            providers = self.provider[part.courses[live]].astype(np.int64)
            keys.append(part.entries[live].astype(np.int64) << 32 | providers)
        pairs = np.unique(np.concatenate(keys)) if keys else np.empty(0, np.int64)
        return pairs >> 32, pairs & 0xFFFFFFFF

    def providers_offering(self, subject_ids) -> list[int]:
        """The providers with a public course linked to one of these subjects (the provider
        search's subject filter)."""
        entries, providers = self._provider_subjects
        keep = np.isin(entries, np.asarray(list(subject_ids), dtype=np.int64))
        return np.unique(providers[keep]).tolist()

    def providers_per_subject(self, provider_ids, *, within=None) -> dict[int, int]:
        """Subject id → how many of these providers offer a public course in it: per area
        (top-level subject), or with ``within`` (subject ids) per subject among those. The
        provider search's subject facet (counting it in SQL over every current course took
        1–2 s at 1,000,000 courses, again after every change)."""
        entries, providers = self._provider_areas if within is None else self._provider_subjects
        keep = np.isin(providers, np.asarray(list(provider_ids), dtype=np.int64))
        if within is not None:
            keep &= np.isin(entries, np.asarray(list(within), dtype=np.int64))
        ids, counts = np.unique(entries[keep], return_counts=True)
        return dict(zip(ids.tolist(), counts.tolist(), strict=True))

    @functools.cached_property
    def _public_ids(self) -> np.ndarray:
        return np.sort(self.ids[self.live])

    def public_ids(self) -> np.ndarray:
        """The ids of the public courses, ascending (the sitemap's order)."""
        return self._sorted_ids if self.base is self else self._public_ids

    @property
    def nbytes(self) -> int:
        """The memory its arrays take."""
        arrays = [value for value in vars(self).values() if isinstance(value, np.ndarray)]
        for links in [*self.links.values(), self.areas]:
            for part in links.parts:
                arrays += [part.courses, part.entries, part.starts]
        for runs in [self.mode_runs, *(runs for _labels, runs in self._region_groups.values())]:
            arrays += [runs.dates, runs.starts, runs.options]
        return sum(array.nbytes for array in arrays)

    def positions(self, course_ids: np.ndarray) -> np.ndarray:
        """The positions of courses by id; -1 for an id the index does not hold."""
        course_ids = np.asarray(course_ids, dtype=np.int64)
        found = _look_up(self._sorted_ids, self._id_order, course_ids)
        if self.base is self:
            return found
        # A patched index: a changed course's old row is no longer live, its new one appended.
        found = np.where(self.live[np.maximum(found, 0)], found, -1)
        changed = _look_up(self._changed_sorted, self._changed_order, course_ids)
        return np.where(changed >= 0, changed, found)

    # Patching ---------------------------------------------------------------------------------

    # The most courses changed since its base that an index is patched with; beyond them the
    # whole index is built again (a patch reads every course changed since the base).
    MIN_PATCH_LIMIT = 2000
    PATCH_SHARE = 20  # or one course in twenty

    def changes(self) -> tuple[tuple, np.ndarray]:
        """A new snapshot and the ids of the courses changed since this index's snapshot
        (:class:`Rebuild` if the log says anything may have changed)."""
        seen, own, own_last = self.snapshot
        with connection.cursor() as cursor:
            cursor.execute(_CHANGES_SQL, {"seen": seen, "own": own, "own_last": own_last})
            *snapshot, changed = cursor.fetchone()
        if None in changed:
            raise Rebuild("not only courses changed")
        return tuple(snapshot), np.array(sorted(changed), dtype=np.int64)

    def patched(self) -> SearchIndex:
        """A new index: this one with the courses changed since it was read applied (itself
        if none changed). Raises :class:`Rebuild` where only a full build serves."""
        snapshot, fresh = self.changes()
        venues = None
        if len(fresh) and fresh[0] == generations.VENUES:  # venues changed: read them all
            fresh = fresh[1:]
            venues = object.__new__(SearchIndex)
            venues._venues()
            known = len(self.venue_ids)
            if not np.array_equal(venues.venue_ids[:known], self.venue_ids):
                raise Rebuild("venues were deleted")  # their slots would move
            # (New venues come after the others: their ids are higher. They take new slots
            # before the last one, "no venue", which moves.)
        if not len(fresh) and venues is None:
            self.snapshot = snapshot  # nothing to apply: later patches start from here
            return self
        base = self.base
        changed = np.union1d(self.changed_ids, fresh)
        if len(changed) > max(self.MIN_PATCH_LIMIT, base.base_size // self.PATCH_SHARE):
            raise Rebuild(f"{len(changed)} courses changed")
        params = {
            **self.params(self.day),
            **_PREVIOUS_PUBLIC_PARAMS,
            "only": fresh.tolist(),
            "changed": changed.tolist(),
        }
        rows = _Changed.read(params)
        if self._changed_rows is not None:  # the rows read before, of courses not changed since
            rows = self._changed_rows.replaced(fresh, rows)
        rows.find_previous(params, fresh)
        index = object.__new__(SearchIndex)
        index._take_venues(venues or self, new=venues is not None)
        index._patch(base, changed, rows, snapshot)
        base._share_arrays(index)
        return index

    def _patch(self, base: SearchIndex, changed: np.ndarray, rows: _Changed, snapshot) -> None:
        """Become ``base`` with the courses ``changed`` (ids, ascending) left out and the
        ``rows`` of those that are public appended."""
        self.day, self.base, self.snapshot, self.changed_ids = base.day, base, snapshot, changed
        self.base_size, self.base_dates = base.base_size, base.base_dates
        self._changed_rows = rows
        self._distances = None
        self._region_groups = {}
        self._id_order, self._sorted_ids = base._id_order, base._sorted_ids

        ids = rows.courses[0]
        added = object.__new__(SearchIndex)
        added._set_courses(rows.courses, self._title_ranks(base, ids, rows.previous))
        self.size = base.base_size + len(ids)
        for name in self.COURSE_ARRAYS:
            setattr(self, name, np.concatenate([getattr(base, name), getattr(added, name)]))
        live = np.ones(self.size, dtype=bool)
        old = _look_up(base._sorted_ids, base._id_order, changed)
        live[old[old >= 0]] = False
        self.live = _read_only(live)
        self._changed_sorted = ids[np.argsort(ids)]
        self._changed_order = base.base_size + np.argsort(ids)
        self._certificate_codes(
            np.union1d(base.certificate_ids, np.unique(added.certificate[added.certificate > 0]))
        )
        self.date_order = self._date_order(base, added)

        links = _links(self.positions(rows.links[0]), rows.links[1])
        self.links = {name: _JoinedLinks(base.links[name], links[name]) for name in LINKS}
        self.areas = _JoinedLinks(base.areas, _areas(links["subject"]))

        dates = self._dates(rows.dates)
        for name, values in zip(self.DATE_ARRAYS, dates, strict=True):
            setattr(self, name, np.concatenate([getattr(base, name), values]))
        if len(self.venue_ids) != len(base.venue_ids):  # venues added: "no venue" moved
            base_part = self.date_venue[: base.base_dates]
            base_part[base_part == len(base.venue_ids)] = len(self.venue_ids)
        dated, starts = np.unique(dates[0], return_index=True)
        self._dated = np.concatenate([base._dated, dated])
        self._date_starts = np.concatenate([base._date_starts, starts + base.base_dates])
        self.mode_runs = base.mode_runs.joined(
            _Runs.of(dates[0], dates[1], np.arange(len(dates[0]))), base.base_dates
        )

    def _take_venues(self, source: SearchIndex, *, new: bool) -> None:
        """The venues of ``source`` (the index patched, or the venues read again when
        ``new``: the same venues, their places, regions or accessibility changed)."""
        for name in self.VENUE_ARRAYS:
            setattr(self, name, getattr(source, name))
        if new:
            self.venue_memo, self.venues_moved = {}, True
        else:
            self.venue_memo, self.venues_moved = source.venue_memo, source.venues_moved

    @staticmethod
    def _title_ranks(base: SearchIndex, ids: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Title ranks for changed courses, each after the base's course ``previous`` (0:
        before all): between that course's rank and the next whole one, shared in title order
        by the courses after the same one."""
        if not len(previous):
            return np.zeros(0)
        before = _look_up(base._sorted_ids, base._id_order, previous)
        if ((before < 0) & (previous != 0)).any():
            raise Rebuild("a course before a changed one is not in the index")
        rank = np.where(previous == 0, 0.0, base.title_rank[np.maximum(before, 0)])
        _ranks, group, sizes = np.unique(rank, return_inverse=True, return_counts=True)
        among = np.zeros(len(ids), dtype=np.int64)  # their title order among themselves
        shared = sizes[group] > 1
        if shared.any():
            asked = read_columns(_TITLE_ORDER_SQL, {"ask": ids[shared].tolist()}, 2 * [">i8"])
            among[shared] = _by_id(*asked, ids[shared])
        order = np.lexsort((among, rank))
        within = np.empty(len(ids), dtype=np.int64)
        first = np.ones(len(ids), dtype=bool)
        first[1:] = rank[order][1:] != rank[order][:-1]
        starts = np.flatnonzero(first)
        within[order] = np.arange(len(ids)) - starts[np.cumsum(first) - 1]
        return rank + (within + 1) / (sizes[group] + 1)

    def _date_order(self, base: SearchIndex, added: SearchIndex) -> np.ndarray:
        """All live positions in date order (next start, title): the base's, which are in
        that order, with the appended ones merged in."""
        days, keys = base.date_keys
        order = np.lexsort((added.title_rank, added.next_start))
        places = np.searchsorted(keys, _date_key(days, base.base_size, added, order))
        kept = np.flatnonzero(self.live[: base.base_size])
        places = np.searchsorted(kept, places)  # among the kept positions
        return _read_only(np.insert(kept, places, base.base_size + order))

    @functools.cached_property
    def date_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """A base's next-start days (distinct, ascending) and each course's date order as one
        ascending number: the rank of its day, then its title rank."""
        days = np.unique(self.next_start)
        return days, _date_key(days, self.base_size, self, np.arange(self.size))

    def _share_arrays(self, patched: SearchIndex) -> None:
        """Hold this base's per-course and per-date arrays as the first part of a patched
        index's (the same values): memory for one copy, not two."""
        for name in self.COURSE_ARRAYS:
            setattr(self, name, getattr(patched, name)[: self.base_size])
        for name in self.DATE_ARRAYS:
            if name == "date_venue" and len(patched.venue_ids) != len(self.venue_ids):
                continue  # numbered for the patched index's venues, not the base's
            setattr(self, name, getattr(patched, name)[: self.base_dates])

    VENUE_ARRAYS = (
        "venue_ids",
        "venue_latitude",
        "venue_longitude",
        "venue_access",
        "venue_region",
        "region_order",
    )

    def _venues(self) -> None:
        """Every venue (few: one array slot each, plus a last one for "no venue")."""
        rows = list(
            Venue.objects.order_by("pk").values_list(
                "pk",
                "latitude",
                "longitude",
                "region__key",
                "region__country",
                "region__name",
                *(name.removeprefix("venue__") for name in VENUE_ACCESSIBILITY.values()),
            )
        )
        self.venue_ids = np.array([row[0] for row in rows], np.int64)
        none = float("nan")
        self.venue_latitude = np.radians(
            np.array([row[1] if row[1] is not None else none for row in rows] + [none])
        )
        self.venue_longitude = np.radians(
            np.array([row[2] if row[2] is not None else none for row in rows] + [none])
        )
        self.venue_access = {
            key: np.array([bool(row[6 + number]) for row in rows] + [False])
            for number, key in enumerate(VENUE_ACCESSIBILITY)
        }
        # Each venue's region (key, country, name); the sort order of (country, key).
        self.venue_region = [(row[3], row[4], row[5]) for row in rows] + [(None, None, None)]
        ranked = sorted({(c, k) for k, c, _n in self.venue_region if k is not None})
        rank = {entry: number for number, entry in enumerate(ranked)}
        self.region_order = np.array(
            [rank.get((c, k), len(rank)) for k, c, _n in self.venue_region], np.int32
        )

    def venues_in(self, region) -> np.ndarray:
        """Which venue slots lie in the region or below it (kept per region: the loop over
        the venues is Python)."""
        if region.key not in self.venue_memo:
            inside = [region.contains(key, country) for key, country, _name in self.venue_region]
            self.venue_memo[region.key] = _read_only(np.array(inside, dtype=bool))
        return self.venue_memo[region.key]

    def courses_at(self, venues: np.ndarray | None) -> np.ndarray:
        """The live courses with a current date at one of the venues (a mask over the venue
        slots; None: anywhere, online too)."""
        dates = (
            np.ones(len(self.date_course), dtype=bool)
            if venues is None
            else venues[self.date_venue]
        )
        return self.live & self.any_date(dates)

    def courses_per_group(self, group_of: np.ndarray, size: int) -> np.ndarray:
        """Per group of venues (``group_of``: each venue slot's group number, -1: none), the
        live courses with a current date at a venue of the group (a course once per group).
        Fastest when the groups follow the venues' region order; kept with this index for the
        same ``group_of`` array."""
        memo = ("courses per group", id(group_of), size)  # kept per index: counts change
        kept = self._region_groups.get(memo)
        if kept is None or kept[0] is not group_of:
            group = group_of[self.date_venue]
            runs = _Runs.of(self.date_course, group, np.flatnonzero(group >= 0))
            kept = (group_of, _read_only(runs.counts(self.live[self.date_course], size)))
            self._region_groups[memo] = kept
        return kept[1]

    def venue_groups(self, regions: list) -> np.ndarray:
        """Each venue slot's region among ``regions`` (none of which lies within another): its
        number there, -1 for none; kept with the venues."""
        memo = ("groups", *((region.country, region.key) for region in regions))
        if memo not in self.venue_memo:
            group_of = np.full(len(self.venue_region), -1)
            found: dict[tuple, int] = {}  # (key, country) -> region number, -1: none
            for slot, (key, country, _name) in enumerate(self.venue_region):
                if (key, country) not in found:
                    region = facet_option_of(regions, key, country)
                    found[key, country] = -1 if region is None else regions.index(region)
                group_of[slot] = found[key, country]
            self.venue_memo[memo] = _read_only(group_of)
        return self.venue_memo[memo]

    def region_groups(self, chosen) -> tuple[list, _Runs]:
        """The region facet's options as (key, name) and the dates at venues in them, by
        course and option (``network.models.regions.facet_options``: the states and the
        countries without states, or the districts of the chosen region's state)."""
        options = facet_options(vocabulary().regions.values(), chosen)
        memo = tuple(option.key for option in options)
        if memo not in self._region_groups:
            group_of = self.venue_groups(options)
            labels = [(option.key, option.name) for option in options]
            # A patched index counts its own dates and takes the base's runs for the others,
            # unless venues changed their regions since the base.
            first = 0 if self.base is self or self.venues_moved else self.base_dates
            group = group_of[self.date_venue[first:]]
            runs = _Runs.of(self.date_course[first:], group, np.flatnonzero(group >= 0))
            if first:
                runs = self.base.region_groups(chosen)[1].joined(runs, first)
            self._region_groups[memo] = (labels, runs)
        return self._region_groups[memo]

    # One search -----------------------------------------------------------------------------

    def search(self, cleaned: dict, *, place=None, radius_km: float = 0, text=None) -> Search:
        """The conditions of one search: ``cleaned`` is the filter form's validated data,
        ``text`` the positions of the courses the full text matches (None: no text)."""
        found = Search(self)
        if text is not None:
            found.on_courses("q", _mask(self.size, text))
        for name, value in cleaned.items():
            if is_empty(value) or name not in _FILTERS:
                continue
            _FILTERS[name](self, found, value)
        if place is not None:
            found.on_dates("place", self._near(place, radius_km)[self.date_venue])
        return found

    def _near(self, place, radius_km: float) -> np.ndarray:
        """Venues within the radius (great-circle distance on earthdistance's sphere)."""
        return self.venue_distance(place) <= radius_km * 1000

    def venue_distance(self, place) -> np.ndarray:
        latitude, longitude = math.radians(place.latitude), math.radians(place.longitude)
        half = (
            np.sin((self.venue_latitude - latitude) / 2) ** 2
            + np.cos(latitude)
            * np.cos(self.venue_latitude)
            * np.sin((self.venue_longitude - longitude) / 2) ** 2
        )
        with np.errstate(invalid="ignore"):
            return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(half, 1.0)))

    def course_distance(self, place) -> np.ndarray:
        """Each course's distance in km to the nearest venue of its current dates (inf: none);
        the last place's are kept (the order and the page both need them)."""
        point = (place.latitude, place.longitude)
        # Threads of one process share the index: the kept pair is read once into a local and
        # replaced whole, so another thread's place can never slip in between check and read.
        kept = self._distances
        if kept is not None and kept[0] == point:
            return kept[1]
        by_venue = self.venue_distance(place) / 1000
        by_venue[np.isnan(by_venue)] = np.inf  # no venue, or one without a place
        nearest = np.full(self.size, np.inf)
        if len(self._dated):  # each course's dates are one run: the least of each run
            nearest[self._dated] = np.minimum.reduceat(by_venue[self.date_venue], self._date_starts)
        nearest = _read_only(nearest)
        self._distances = (point, nearest)
        return nearest

    # Orders ---------------------------------------------------------------------------------

    def ordered(self, mask, sort: str, *, ranks=None, place=None) -> np.ndarray:
        """The positions of the matching courses in the order asked for (ties by title)."""
        positions = np.flatnonzero(mask)
        if sort == "relevance" and ranks is not None:
            key = -ranks[positions]
        elif sort == "distance" and place is not None:
            key = self.course_distance(place)[positions]
        elif sort == "price":
            key = self.price_key[positions]
        else:
            if self.date_order is None:
                return positions  # the index is in date order
            return self.date_order[mask[self.date_order]]
        return positions[np.lexsort((self.title_rank[positions], key))]


def _date_key(days: np.ndarray, base_size: int, index: SearchIndex, at: np.ndarray) -> np.ndarray:
    """The courses' (positions ``at``) date order as numbers comparable with a base's: the
    rank of the next start among the base's ``days`` times ``base_size`` + 2, plus the title
    rank (below ``base_size`` + 1); a day the base lacks comes just before the next day it has.
    Exact in float64 up to ~10¹⁵."""
    starts, ranks = index.next_start[at], index.title_rank[at]
    rank = np.searchsorted(days, starts)
    known = rank < len(days)
    known[known] = days[rank[known]] == starts[known]
    return rank * float(base_size + 2) + np.where(known, ranks, -0.5)


@dataclass
class _Changed:
    """The rows of the courses changed since a base that are public, as read: the columns of
    _CHANGED_COURSES_SQL and each one's previous course (``c6``),
    and the columns of _LINKS_SQL and _DATES_SQL of those courses."""

    courses: list[np.ndarray]
    previous: np.ndarray
    links: list[np.ndarray]
    dates: list[np.ndarray]

    @classmethod
    def read(cls, params: dict) -> _Changed:
        """The rows of the courses ``params["only"]``."""
        *courses, previous = read_columns(_CHANGED_COURSES_SQL, params, [*_COURSE_TYPES, ">i8"])
        return cls(
            courses,
            previous,
            read_columns(_only(_LINKS_SQL), params, 2 * [">i8"]),
            read_columns(_only(_DATES_SQL), params, _DATE_TYPES),
        )

    def replaced(self, ids: np.ndarray, newer: _Changed) -> _Changed:
        """These rows without those of the courses ``ids``, and ``newer``'s."""

        def kept(columns: list[np.ndarray]) -> np.ndarray:
            return ~np.isin(columns[0], ids)

        course, link, date = kept(self.courses), kept(self.links), kept(self.dates)
        return _Changed(
            [
                np.concatenate([a[course], b])
                for a, b in zip(self.courses, newer.courses, strict=True)
            ],
            np.concatenate([self.previous[course], newer.previous]),
            [np.concatenate([a[link], b]) for a, b in zip(self.links, newer.links, strict=True)],
            [np.concatenate([a[date], b]) for a, b in zip(self.dates, newer.dates, strict=True)],
        )

    def find_previous(self, params: dict, fresh: np.ndarray) -> None:
        """Read again the previous course of rows whose previous course has changed now (it
        no longer stands for its place in the base's order)."""
        ask = np.isin(self.previous, fresh)
        if ask.any():
            ids = self.courses[0][ask]
            asked = read_columns(_PREVIOUS_SQL, {**params, "ask": ids.tolist()}, 2 * [">i8"])
            self.previous[ask] = _by_id(*asked, ids)


def _by_id(ids: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The values of the ``wanted`` ids (:class:`Rebuild` if one is not among ``ids``: a
    course deleted between two reads)."""
    at = _look_up(np.sort(ids), np.argsort(ids), wanted)
    if (at < 0).any():
        raise Rebuild("a course changed while it was read")
    return values[at]


def _look_up(sorted_ids: np.ndarray, order: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions by id (``order``: the position of each of ``sorted_ids``); -1: not there."""
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == ids, order[at], -1)


def _links(positions: np.ndarray, entries: np.ndarray) -> dict[str, _Links]:
    """The links of _LINKS_SQL's rows by kind; rows of courses the index lacks left out."""
    kinds, entries = entries >> 56, _bits(entries, 0, 56)
    held = positions >= 0
    return {
        name: _Links(positions[held & (kinds == number)], entries[held & (kinds == number)])
        for number, name in enumerate(LINKS)
    }


def _areas(subjects: _Links) -> _Links:
    """Course → area (top-level subject) pairs, one per course and area."""
    parents = {item.pk: item.parent_id for item in vocabulary().subjects.values()}
    area_of = np.array([parents.get(int(pk)) or int(pk) for pk in subjects.ids], np.int64)
    # Pairs are grouped by subject: each subject's pairs take its area.
    areas = np.repeat(area_of, np.diff(subjects.starts))
    course, area = subjects.courses, areas
    if len(area):
        unique = np.unique(course.astype(np.int64) << 32 | area)
        course, area = unique >> 32, unique & 0xFFFFFFFF
    return _Links(course, area)


def _any_per_run(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Whether each run (from its start to the next one's) holds a true value: a running
    count read at the run boundaries (faster in NumPy than ``logical_or.reduceat``)."""
    running = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(values, dtype=np.int32, out=running[1:])
    return running[np.append(starts[1:], len(values))] > running[starts]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def filters_active(cleaned: dict) -> bool:
    """Whether any filter besides the text and the place is set."""
    return any(name in _FILTERS and not is_empty(value) for name, value in cleaned.items())


def _mask(size: int, positions) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    positions = np.asarray(positions)
    mask[positions[positions >= 0]] = True
    return mask


class Search:
    """One search against the index: each active filter as a condition on the courses, on
    their current dates, or both (conditions on dates must hold for one and the same date)."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.course_conditions: dict[str, np.ndarray] = {}
        self.date_conditions: dict[str, np.ndarray] = {}
        self._memo: dict[tuple, np.ndarray] = {}  # results by what they leave out

    def on_courses(self, name: str, condition: np.ndarray) -> None:
        self._memo.clear()
        if name in self.course_conditions:
            condition = condition & self.course_conditions[name]
        self.course_conditions[name] = condition

    def on_dates(self, name: str, condition: np.ndarray) -> None:
        self._memo.clear()
        if name in self.date_conditions:
            condition = condition & self.date_conditions[name]
        self.date_conditions[name] = condition

    @property
    def active(self) -> set[str]:
        return set(self.course_conditions) | set(self.date_conditions)

    def courses(self, exclude=frozenset()) -> np.ndarray:
        """The matching courses, leaving out the named filters (read-only, kept per search)."""
        key = ("courses", frozenset(exclude) & self.active)
        if key not in self._memo:
            mask = self._course_level(key[1])
            dates = self._date_level(key[1])
            if dates is not None:
                mask &= self.index.any_date(dates)
            self._memo[key] = _read_only(mask)
        return self._memo[key]

    def dates(self, exclude=frozenset()) -> np.ndarray:
        """The current dates meeting every date condition, of courses meeting the others."""
        key = ("dates", frozenset(exclude) & self.active)
        if key not in self._memo:
            dates = self._date_level(key[1])
            courses = self._course_level(key[1])[self.index.date_course]
            self._memo[key] = _read_only(courses if dates is None else courses & dates)
        return self._memo[key]

    def count(self, exclude=frozenset()) -> int:
        return int(np.count_nonzero(self.courses(exclude)))

    def _course_level(self, exclude) -> np.ndarray:
        mask = self.index.live.copy()  # a patched index: its courses' old rows left out
        for name, condition in self.course_conditions.items():
            if name not in exclude:
                mask &= condition
        return mask

    def _date_level(self, exclude) -> np.ndarray | None:
        dates = None
        for name, condition in self.date_conditions.items():
            if name not in exclude:
                dates = condition.copy() if dates is None else dates & condition
        return dates

    # Facets ---------------------------------------------------------------------------------

    def facets(self, *, chosen_subject=None, chosen_region=None) -> dict[str, list]:
        """Facet name → (value, label, count) for every option that finds something, each
        counted with every other active filter applied (what choosing it would find)."""
        index, words = self.index, vocabulary()
        courses = self.courses
        facets: dict[str, list] = {}
        by_id = {item.pk: item for item in words.subjects.values()}
        if chosen_subject is not None and chosen_subject.parent_id is None:
            counts = index.links["subject"].counts(courses({"subject"}))
            facets["subject"] = [
                (by_id[pk].slug, by_id[pk].name, n)
                for pk, n in counts.items()
                if pk in by_id and by_id[pk].parent_id == chosen_subject.pk
            ]
        else:
            counts = index.areas.counts(courses({"subject"}))
            facets["subject"] = [
                (by_id[pk].slug, by_id[pk].name, n) for pk, n in counts.items() if pk in by_id
            ]
        for name, entries in (("funding", words.funding), ("target_group", words.target_groups)):
            known = {item.pk: item for item in entries.values()}
            counts = index.links[name].counts(courses({name}))
            facets[name] = [
                (known[pk].slug, known[pk].name, n) for pk, n in counts.items() if pk in known
            ]
        kinds = np.bincount(index.kind[courses({"kind"})], minlength=len(KINDS) + 1)
        facets["kind"] = [
            (KINDS[i - 1], KINDS[i - 1], int(n)) for i, n in enumerate(kinds) if n and i
        ]
        certificates = {item.pk: item for item in words.certificates.values()}
        counts = np.bincount(index.certificate_code[courses({"certificate"})])
        facets["certificate"] = [
            (certificates[pk].slug, certificates[pk].name, int(n))
            for pk, n in zip(index.certificate_ids.tolist(), counts[1:].tolist(), strict=False)
            if n and pk in certificates
        ]
        facets["mode"] = self._mode_facet()
        facets["region"] = self._region_facet(chosen_region)
        return facets

    def _mode_facet(self) -> list:
        """Courses with a matching date of each mode (a course counts once per mode)."""
        counts = self.index.mode_runs.counts(self.dates({"mode"}), len(MODES) + 1)
        return [(mode, mode, int(counts[n])) for n, mode in enumerate(MODES, 1) if counts[n]]

    def _region_facet(self, chosen) -> list:
        """States and countries without states, or with a region chosen the districts of its
        state: courses with a matching date at a venue there (once per region)."""
        labels, runs = self.index.region_groups(chosen)
        counts = runs.counts(self.dates({"region"}), len(labels))
        return [(key, name, int(counts[n])) for n, (key, name) in enumerate(labels) if counts[n]]


@dataclass
class _Runs:
    """Dates in runs of one course and one option (a mode, a region), so that a course
    counts once per option however many of its dates match."""

    dates: np.ndarray  # the dates taking part, run by run
    starts: np.ndarray  # where each run starts
    options: np.ndarray  # each run's option number

    @classmethod
    def of(cls, courses: np.ndarray, options: np.ndarray, dates: np.ndarray) -> _Runs:
        course, option = courses[dates], options[dates]
        same = course[1:] == course[:-1]
        if not ((course[1:] >= course[:-1]).all() and (option[1:] >= option[:-1])[same].all()):
            # (Dates come grouped by course and within it by region, so the region facet's
            # options are mostly in order already: a sort of a few million costs ~0.5 s.)
            order = np.lexsort((option, course))
            dates, course, option = dates[order], course[order], option[order]
        new = np.ones(len(dates), dtype=bool)
        new[1:] = (course[1:] != course[:-1]) | (option[1:] != option[:-1])
        starts = np.flatnonzero(new)
        return cls(dates, starts, option[starts])

    def joined(self, other: _Runs, offset: int) -> _Runs:
        """These runs and ``other``'s, whose dates are numbered from ``offset``."""
        return _Runs(
            np.concatenate([self.dates, other.dates + offset]),
            np.concatenate([self.starts, other.starts + len(self.dates)]),
            np.concatenate([self.options, other.options]),
        )

    def counts(self, chosen: np.ndarray, size: int) -> np.ndarray:
        """Per option, the runs with at least one chosen date."""
        if not len(self.starts):
            return np.zeros(size, dtype=np.int64)
        hit = _any_per_run(chosen[self.dates], self.starts)
        return np.bincount(self.options[hit], minlength=size)


# The filters (the tests restate them in SQL: tests/measures/sql_filters.py) -----------------


def _region(index: SearchIndex, found: Search, value) -> None:
    found.on_dates("region", index.venues_in(value)[index.date_venue])


def _day(value: date) -> int:
    return (value - EPOCH).days


def _has_start(index: SearchIndex) -> np.ndarray:
    return index.start_day != NO_DAY


def _date_from(index, found, value):
    found.on_dates(
        "date_from", index.rolling | (_has_start(index) & (index.start_day >= _day(value)))
    )


def _date_to(index, found, value):
    found.on_dates(
        "date_to", index.rolling | (_has_start(index) & (index.start_day <= _day(value)))
    )


def _rolling(index, found, value):
    found.on_dates("rolling", index.rolling.copy())


def _weekday(index, found, value):
    bits = sum(1 << int(day) for day in value)
    found.on_dates("weekday", (index.weekdays & bits) != 0)


def _time(index, found, value):
    start, morning, evening = index.start_minute, _minutes(MORNING_END), _minutes(EVENING_START)
    condition = np.zeros(len(start), dtype=bool)
    if "morning" in value:
        condition |= (start >= 0) & (start < morning)
    if "afternoon" in value:
        condition |= (start >= morning) & (start < evening)
    if "evening" in value:
        condition |= start >= evening
    if "weekend" in value:
        condition |= (index.weekdays & WEEKEND) != 0
    found.on_dates("time", condition)


def _mode(index, found, value):
    found.on_dates("mode", _codes(MODES, value)[index.mode])


def _codes(choices: tuple, chosen) -> np.ndarray:
    """A lookup table: code (1-based position in ``choices``, 0: unknown) → chosen."""
    table = np.zeros(len(choices) + 1, dtype=bool)
    table[[choices.index(value) + 1 for value in chosen if value in choices]] = True
    return table


def _course_price(index):
    return index.course_price[index.date_course], index.course_free[index.date_course]


def _max_price(index, found, value):
    limit = float(value)
    course_price, course_free = _course_price(index)
    own = index.date_price
    with np.errstate(invalid="ignore"):
        found.on_dates(
            "max_price", (own <= limit) | (np.isnan(own) & ((course_price <= limit) | course_free))
        )


def _free(index, found, value):
    course_price, course_free = _course_price(index)
    own = index.date_price
    with np.errstate(invalid="ignore"):
        found.on_dates("free", (own == 0) | (np.isnan(own) & (course_free | (course_price == 0))))


def _access(index, found, value):
    for key in value:
        if key in VENUE_ACCESSIBILITY:
            found.on_dates("access", index.venue_access[key][index.date_venue])
        elif key in COURSE_ACCESSIBILITY:
            found.on_courses("access", getattr(index, COURSE_ACCESSIBILITY[key]).copy())


def _funding(index, found, value):
    found.on_courses("funding", index.links["funding"].having([i.pk for i in value], index.size))


def _target_group(index, found, value):
    found.on_courses(
        "target_group", index.links["target_group"].having([i.pk for i in value], index.size)
    )


def _certificate(index, found, value):
    found.on_courses("certificate", np.isin(index.certificate, [item.pk for item in value]))


def _subject(index, found, value):
    ids = vocabulary().descendant_ids(value)
    found.on_courses("subject", index.links["subject"].having(ids, index.size))


def _language(index, found, value):
    found.on_courses("language", _codes(LANGUAGES, value)[index.language])


def _provider(index, found, value):
    found.on_courses("provider", index.provider == value.pk)


def _kind(index, found, value):
    found.on_courses("kind", _codes(KINDS, value)[index.kind])


_FILTERS = {
    "region": _region,
    "date_from": _date_from,
    "date_to": _date_to,
    "rolling": _rolling,
    "weekday": _weekday,
    "time": _time,
    "mode": _mode,
    "max_price": _max_price,
    "free": _free,
    "access": _access,
    "funding": _funding,
    "target_group": _target_group,
    "certificate": _certificate,
    "subject": _subject,
    "language": _language,
    "provider": _provider,
    "kind": _kind,
}


# The process's index -------------------------------------------------------------------------
#
# A search never waits for the next index once the process has an index of the day: after a
# change (a new search generation) it keeps answering from the index it has while a thread
# patches it (or, rarely, builds the next one). Counts and facets may lag a change by that long;
# the courses shown never do, as the page reads them in SQL and leaves out any that is no longer
# public. The first index of a process, and the first of a day (yesterday's holds dates that
# have ended since), are made before the search that needs them.

BUILD_IN_BACKGROUND = True  # tests build in the foreground: their data is not committed
_current: tuple[tuple[int, date], SearchIndex] | None = None
_lock = threading.Lock()
_builder: threading.Thread | None = None  # the thread building the next index, if any


def current_index() -> SearchIndex:
    """The index of the current search generation and day, or while the next one is being
    built, the index of an earlier generation of the same day."""
    global _current  # noqa: PLW0603 - the per-process index
    key = (generations.search(), timezone.localdate())
    built = _current
    if built is not None and built[0] == key:
        return built[1]
    if BUILD_IN_BACKGROUND and built is not None and built[0][1] == key[1]:
        _build_in_background()
        return built[1]
    with _lock:
        if _current is None or _current[0] != key:
            _current = (key, _next(key, _current))
        return _current[1]


@replicas.primary()
def _next(key: tuple[int, date], built) -> SearchIndex:
    """The index for ``key``: the process's index of the same day with the courses changed
    since applied, or else one built (or read from another worker's build). Read on the
    primary, as the generation is: a lagging replica's data would be kept as that of ``key``."""
    if built is not None and built[0][1] == key[1]:
        try:
            return built[1].patched()
        except Rebuild:
            pass
    index = _obtain(key)
    release_free_memory()
    return index


@functools.cache
def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def release_free_memory() -> bool:
    """Give the memory a build has freed back to the system (glibc's ``malloc_trim``; False
    where there is none). The allocator keeps freed blocks for reuse: after a build at
    1,000,000 courses a worker held 806 MB, 225 MB of them free (581 MB after the call, as much
    as a worker that read another's build)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def _build_in_background() -> None:
    global _builder  # noqa: PLW0603 - the per-process builder
    with _lock:
        if _builder is not None and _builder.is_alive():
            return  # it builds again when it finds the generation moved on meanwhile
        _builder = threading.Thread(target=_build_until_current, name="search-index", daemon=True)
        _builder.start()


def _build_until_current() -> None:
    """Build indexes until one matches the generation read after it was built."""
    global _current  # noqa: PLW0603 - the per-process index
    try:
        while True:
            started = time.monotonic()
            key = _generation_now()  # read before the data
            index = _next(key, _current)
            with _lock:
                if _current is None or _current[0] < key:
                    _current = (key, index)
            if _generation_now() == key:
                return
            # Changed meanwhile: build again, but not sooner than the interval allows.
            # (With a save a second it would otherwise build without pause, a core of every
            # worker: 1.3 s a build at 100,000 courses. A change shows in counts and facets
            # after at most the interval plus one build.)
            interval = settings.SEARCH_REBUILD_INTERVAL
            time.sleep(max(0.0, started + interval - time.monotonic()))
    finally:
        connection.close()  # this thread's own connection


# One build for all workers: the worker that gets to build an index (an advisory lock in the
# database) writes it to a file in SEARCH_INDEX_DIR, and the others read that file instead of
# building the same index themselves (29 MB at 100,000 courses: 5 ms to read, against 1.3 s
# to build). Files are named by the database, the code, the day and the search generation;
# only the newest few are kept. Where workers do not share a file system, each host builds its own.

SHARED_BUILDS = True  # tests build their own: their data is not committed
_BUILD_LOCK = 0x5EA2C41D  # the advisory lock of "building a search index"
_KEEP_FILES = 3
_WAIT_STEP = 0.1  # seconds between looks while another worker builds
# The code that wrote a file: after an update, the files of the code before are not read.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


@replicas.primary()
def load_shared() -> bool:
    """Before a web worker's first request (``MeasuresConfig.load_replaceable``): take the
    index of the current generation and day from the file another worker (or the server
    before a restart) wrote, if there is one, so that no request of a new worker waits to read
    it (0.3–2 s at 1,000,000 courses). Never builds: a build at that size would hold the
    worker's start for 20 s. Whether an index was taken."""
    global _current  # noqa: PLW0603 - the per-process index
    folder = settings.SEARCH_INDEX_DIR
    if not SHARED_BUILDS or not folder or _current is not None:
        return False
    key = (generations.search(), timezone.localdate())
    index = _read(Path(folder) / f"{_database_id()}-{_CODE}-{key[1].isoformat()}-{key[0]}.pickle")
    if index is None:
        return False
    with _lock:
        if _current is None:
            _current = (key, index)
    return True


def _obtain(key: tuple[int, date]) -> SearchIndex:
    """The index for ``key``: read from the file another worker wrote for it, or built here
    (and written for the others)."""
    folder = settings.SEARCH_INDEX_DIR
    if not SHARED_BUILDS or not folder:
        return SearchIndex(key[1])
    prefix = f"{_database_id()}-{_CODE}-{key[1].isoformat()}-"
    path = Path(folder) / f"{prefix}{key[0]}.pickle"
    tried: set[Path] = set()
    while True:
        index = _read(path)
        if index is not None:
            return index
        newest = _newest(Path(folder), prefix)
        if newest is not None and newest not in tried:  # an older index of the day (each
            tried.add(newest)  # read once: a file at 1,000,000 courses is 300 MB)
            index = _read(newest)
            try:
                if index is not None:
                    return index.patched()  # with what changed since
            except Rebuild:
                pass
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_BUILD_LOCK])
            mine = cursor.fetchone()[0]
        if mine:
            break
        time.sleep(_WAIT_STEP)  # another worker builds: its file will be there
    try:
        index = _read(path)  # written just before the lock came free
        if index is None:
            index = SearchIndex(key[1])
            _write(path, index)
            _prematch_in_background(index)
        return index
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_BUILD_LOCK])


# What to do for all workers after a full build has been written: (the fewest public courses
# a build must hold for it, a function of the index), run in a thread of the builder. The
# course search registers matching the common terms from the size where workers share text
# matches (``MeasuresConfig.ready``), so this module needs not know the modules above it.
AFTER_FULL_BUILD: list[tuple[int, Callable]] = []


def _prematch_in_background(index: SearchIndex) -> None:
    """After writing a build for all workers: run what ``AFTER_FULL_BUILD`` holds for its
    size, in a thread (none when nothing is due)."""
    tasks = [task for minimum, task in AFTER_FULL_BUILD if index.base_size >= minimum]
    if not tasks:
        return

    def prematch() -> None:
        try:
            for task in tasks:
                started = time.monotonic()
                done = task(index)
                logger.info(
                    "%s for the build: %s in %.1f s",
                    getattr(task, "__name__", task),
                    done,
                    time.monotonic() - started,
                )
        except Exception:
            logger.exception("A task after the build failed")
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=prematch, name="search-prematch", daemon=True).start()


def _database_id() -> str:
    """This database as long as its server runs: its object id (a re-created database of
    the same name, a new test database, gets another) and the server's start (after a restart,
    e.g. a restore, the files of before are not read)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid, extract(epoch FROM pg_postmaster_start_time())::bigint"
            " FROM pg_database WHERE datname = current_database()"
        )
        database, started = cursor.fetchone()
    return f"{database}-{started}"


def _newest(folder: Path, prefix: str) -> Path | None:
    """The file of the newest generation among those named ``prefix<generation>``."""
    generations_found = []
    for file in folder.glob(f"{prefix}*.pickle"):
        number = file.name.removeprefix(prefix).removesuffix(".pickle")
        if number.isdigit():
            generations_found.append((int(number), file))
    return max(generations_found)[1] if generations_found else None


def _read(path: Path) -> SearchIndex | None:
    try:
        with path.open("rb") as file:
            return pickle.load(file)  # noqa: S301 - written by this project's own workers
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        path.unlink(missing_ok=True)  # unreadable (an older version of the code): build again
        return None


def _write(path: Path, index: SearchIndex) -> None:
    """Write atomically (a reader sees the whole file or none) and keep the newest files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with partial.open("wb") as file:
        pickle.dump(index, file, protocol=pickle.HIGHEST_PROTOCOL)
    partial.chmod(0o600)
    partial.replace(path)
    files = []
    for file in path.parent.glob("*.pickle"):
        try:
            files.append((file.stat().st_mtime, file))
        except FileNotFoundError:
            continue  # another worker removed it meanwhile
    for _written, old in sorted(files)[:-_KEEP_FILES]:
        old.unlink(missing_ok=True)


def _generation_now() -> tuple[int, date]:
    generations.forget()  # the memo may be a second old: ask the database
    return (generations.search(), timezone.localdate())


def forget() -> None:
    """Drop this process's index (tests: the data it was built from was rolled back)."""
    global _current  # noqa: PLW0603
    _current = None
