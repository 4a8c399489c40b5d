"""Which courses a full-text query matches, kept per search index so that a term costs
PostgreSQL once, not once per search.

PostgreSQL matches the stored search vectors (GIN) and ranks them (``ts_rank``); for a broad
term that is most of a search's time (tens of thousands of matches at 100,000 courses). What
a query matched is kept with the full build of the search index it was mapped onto (as
positions there): a course changes its vector only through a logged change
(``core.generations.bump(courses=…)``), and a patched index knows every course changed since
its full build (``changed_ids``), so a kept answer serves every patch of the same build —
the courses changed since are matched again, by id, in one small query. A full build starts
with nothing kept. At most ``settings.TEXT_MATCHES_MB`` are kept per process (0: nothing),
the least recently used answer dropped first. Workers that read the same build (a shared index
file) share their answers through the default cache at a catalogue's size (from
``SHARED_MIN_COURSES``): a term costs PostgreSQL once for all.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from core import memo
from measures import search_index

_MATCH = "to_tsquery(%(config)s::regconfig, %(tsquery)s)"
_RANK = f"ts_rank(%(weights)s::float4[], vector, {_MATCH})"
# Every course the query matches (with its rank), or those among some courses (``%(ids)s``).
_COLUMNS = {False: "course_id AS c0", True: f"course_id AS c0, {_RANK} AS c1"}
_WHERE = {False: f"vector @@ {_MATCH}", True: f"course_id = ANY(%(ids)s) AND vector @@ {_MATCH}"}
_SQL = {
    (ranked, only): f"SELECT {_COLUMNS[ranked]} FROM measures_searchdocument WHERE {_WHERE[only]}"  # noqa: S608 - constants
    for ranked in (False, True)
    for only in (False, True)
}


@dataclass
class _Kept:
    positions: np.ndarray  # matching courses, as positions of the full build
    ranks: np.ndarray | None  # their ranks (None: not asked for)

    @property
    def nbytes(self) -> int:
        return self.positions.nbytes + (0 if self.ranks is None else self.ranks.nbytes)


_lock = threading.Lock()
_base = None  # the full build the kept answers belong to
_kept: OrderedDict[str, _Kept] = OrderedDict()  # tsquery -> answer
_kept_bytes = 0


def matches(index, tsquery: str, *, ranked: bool, config: str, weights: list[float]):
    """The positions in ``index`` of the public courses that ``tsquery`` matches, and with
    ``ranked`` an array over the index of their ranks (NaN elsewhere; else None)."""
    base = index.base
    params = {"config": config, "tsquery": tsquery, "weights": weights}
    kept = _get(base, tsquery, ranked)
    if kept is None:
        kept = _shared_get(base, tsquery, ranked)
        if kept is not None:
            _put(base, tsquery, kept)
    if kept is None:  # PostgreSQL's answer now: for this index, and kept for later ones
        ids, ranks, answer = _answer(base, params, ranked)
        _put(base, tsquery, answer)
        _shared_put(base, tsquery, answer)
        if index is base:
            positions, ranks = answer.positions, answer.ranks
        else:
            positions = index.positions(ids)
            held = positions >= 0
            positions, ranks = positions[held], (ranks[held] if ranked else None)
    else:  # the full build's courses, but for those changed since; those matched again
        positions = kept.positions
        still = index.live[positions]
        positions, ranks = positions[still], None if kept.ranks is None else kept.ranks[still]
    if kept is not None and len(index.changed_ids):
        ids, changed_ranks = read(params, ranked, index.changed_ids)
        more = index.positions(ids)
        held = more >= 0
        positions = np.concatenate([positions, more[held]])
        if ranked:
            ranks = np.concatenate([ranks, changed_ranks[held]])
    if not ranked:
        return positions, None
    by_position = np.full(index.size, np.nan)
    by_position[positions] = ranks
    return positions, by_position


def _answer(base, params: dict, ranked: bool):
    """What PostgreSQL matches now: the ids, their ranks (or None), and the answer to keep
    (as positions of the full build ``base``)."""
    ids, ranks = read(params, ranked, None)
    on_base = base.positions(ids)
    held = on_base >= 0
    return ids, ranks, _Kept(on_base[held], ranks[held] if ranked else None)


def read(params: dict, ranked: bool, ids) -> tuple[np.ndarray, np.ndarray | None]:
    """What PostgreSQL matches now (``params``: config, tsquery, weights): the ids of the
    matching courses, among ``ids`` unless None, and with ``ranked`` their ranks."""
    only = ids is not None
    if only:
        params = {**params, "ids": ids.tolist()}
    types = [">i8", ">f4"] if ranked else [">i8"]
    columns = search_index.read_columns(_SQL[ranked, only], params, types)
    return columns[0], (columns[1] if ranked else None)


def _get(base, tsquery: str, ranked: bool) -> _Kept | None:
    with _lock:
        kept = _kept.get(tsquery) if base is _base else None
        if kept is None or (ranked and kept.ranks is None):
            return None
        _kept.move_to_end(tsquery)
        return kept


def _put(base, tsquery: str, kept: _Kept) -> None:
    global _base, _kept_bytes  # noqa: PLW0603 - the per-process store
    with _lock:
        if base is not _base:  # a new full build: the answers kept were mapped onto the old
            _base, _kept_bytes = base, 0
            _kept.clear()
        old = _kept.pop(tsquery, None)
        if old is not None:
            _kept_bytes -= old.nbytes
        limit = settings.TEXT_MATCHES_MB * 1024 * 1024
        if kept.nbytes > limit:
            return
        _kept[tsquery] = kept
        _kept_bytes += kept.nbytes
        while _kept_bytes > limit:
            _kept_bytes -= _kept.popitem(last=False)[1].nbytes


# Shared with the other workers that read the same build (the index files of SEARCH_INDEX_DIR):
# the first worker to match a term keeps its answer in the default cache (the database, or
# Redis), the others read it there (a broad term at 1,000,000 courses: 0.3-1.2 s to match,
# a few ms to read). Answers above SHARED_MAX_BYTES are matched by each worker itself.
# Below SHARED_MIN_COURSES public courses a term costs PostgreSQL little (a few ms), not worth
# a round trip to the cache and a row written for every new term (at 100,000 a broad one costs
# 20-60 ms, at 1,000,000 0.3-1.2 s).
SHARED_MAX_BYTES = 4 * 1024 * 1024
SHARED_MIN_COURSES = 50_000
SHARED_SECONDS = 24 * 3600  # a build lives a day at most


def _shared_key(base, tsquery: str, ranked: bool) -> str | None:
    build = getattr(base, "build", None)
    if build is None or settings.TEXT_MATCHES_MB <= 0 or base.base_size < SHARED_MIN_COURSES:
        return None
    digest = hashlib.sha256(tsquery.encode()).hexdigest()
    return f"atlas:text-matches:{build}:{int(ranked)}:{digest}"


def _shared_get(base, tsquery: str, ranked: bool) -> _Kept | None:
    for with_ranks in (ranked, True) if not ranked else (True,):
        key = _shared_key(base, tsquery, with_ranks)
        if key is None:
            return None
        kept = memo.shared_get(key)
        if isinstance(kept, _Kept):
            return kept
    return None


def _shared_put(base, tsquery: str, kept: _Kept) -> None:
    key = _shared_key(base, tsquery, kept.ranks is not None)
    if key is not None and kept.nbytes <= SHARED_MAX_BYTES:
        memo.shared_set(key, kept, SHARED_SECONDS)


def share(base, tsquery: str, *, config: str, weights: list[float]) -> bool:
    """Match ``tsquery`` for the workers that read ``base`` (ranked, into the shared cache
    only: the caller keeps nothing); False where sharing is off or it is shared already."""
    if _shared_key(base, tsquery, True) is None or _shared_get(base, tsquery, True) is not None:
        return False
    params = {"config": config, "tsquery": tsquery, "weights": weights}
    _shared_put(base, tsquery, _answer(base, params, True)[2])
    return True


def forget() -> None:
    """Drop every kept answer (tests: the data was rolled back)."""
    global _base, _kept_bytes  # noqa: PLW0603
    with _lock:
        _base, _kept_bytes = None, 0
        _kept.clear()
