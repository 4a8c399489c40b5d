"""SearchIndex.course_distance under threads: a worker's threads share one index, and each
search must get the distances of its own place, whatever another thread stores meanwhile.

The interleavings are made deterministic: the index's slot for the kept distances is a property
that lets "another thread" store its place's distances at the exact moment in between.
"""

from types import SimpleNamespace

import numpy as np

from measures.search_index import SearchIndex

MAINZ = SimpleNamespace(latitude=50.0, longitude=8.27)
HAMBURG = SimpleNamespace(latitude=53.55, longitude=10.0)


class _Interleaved(SearchIndex):
    """Two courses with one date each at venues 0 and 1; ``after_read`` runs after each read
    of the kept distances (with how many reads there were), ``after_write`` after the first
    write, as another thread would."""

    def __init__(self, *, kept=None, after_read=None, after_write=None):
        self.reads = 0
        self.size = 2
        self.date_venue = np.array([0, 1])
        self.date_course = np.array([0, 1])
        self._dated, self._date_starts = np.array([0, 1]), np.array([0, 1])
        self._slot = kept
        self._after_read, self._after_write = after_read, after_write

    def venue_distance(self, place):
        # Metres from the place to venue 0 and venue 1: different for each place.
        return np.array([1000.0, 2000.0]) * (1 if place is MAINZ else 100)

    @property
    def _distances(self):
        value = self._slot
        self.reads += 1
        if self._after_read is not None:
            self._after_read(self, self.reads)
        return value

    @_distances.setter
    def _distances(self, value):
        self._slot = value
        if self._after_write is not None:
            meddle, self._after_write = self._after_write, None
            meddle(self)


def _hamburg_stored(index):
    index._slot = ((HAMBURG.latitude, HAMBURG.longitude), np.array([100.0, 200.0]))


def test_kept_distances_are_not_swapped_between_check_and_read():
    kept = ((MAINZ.latitude, MAINZ.longitude), np.array([1.0, 2.0]))

    def hamburg_stored_after_the_check(index, reads):
        # A check-then-read looks at the slot twice (empty? same place?) before reading it
        # again: another thread stores Hamburg's distances just then.
        if reads == 2:
            _hamburg_stored(index)

    index = _Interleaved(kept=kept, after_read=hamburg_stored_after_the_check)
    assert index.course_distance(MAINZ).tolist() == [1.0, 2.0]
    assert index.reads == 1


def test_new_distances_are_returned_even_if_another_place_is_stored_right_after():
    index = _Interleaved(after_write=_hamburg_stored)
    assert index.course_distance(MAINZ).tolist() == [1.0, 2.0]


def test_distances_of_a_new_place_replace_the_kept_ones():
    kept = ((MAINZ.latitude, MAINZ.longitude), np.array([1.0, 2.0]))
    index = _Interleaved(kept=kept)
    assert index.course_distance(HAMBURG).tolist() == [100.0, 200.0]
    assert index.course_distance(MAINZ).tolist() == [1.0, 2.0]
    assert not index.course_distance(MAINZ).flags.writeable
