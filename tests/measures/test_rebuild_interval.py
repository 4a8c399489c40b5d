"""While courses keep being saved, a worker's builder starts a new search index at most every
``SEARCH_REBUILD_INTERVAL`` seconds, and it stops once its index is current."""

from datetime import date

from measures import search_index

DAY = date(2026, 12, 7)


class Clock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_builds_follow_each_other_no_sooner_than_the_interval(monkeypatch, settings):
    # No database here: this is about the builder's timing. Each build takes a second; the
    # generation moves on during the first two builds and stays during the third.
    clock, started = Clock(), []
    generations = iter([1, 2, 2, 3, 3, 3])  # read before and after each build

    def build(day):  # a full build or a patch alike
        started.append(clock.now)
        clock.now += 1.0
        return f"index {len(started)}"

    monkeypatch.setattr(search_index, "time", clock)
    monkeypatch.setattr(search_index, "_next", lambda key, built: build(key[1]))
    monkeypatch.setattr(search_index, "_generation_now", lambda: (next(generations), DAY))
    monkeypatch.setattr(search_index, "_current", None)
    monkeypatch.setattr(search_index.connection, "close", lambda: None)
    settings.SEARCH_REBUILD_INTERVAL = 3.0
    search_index._build_until_current()
    assert started == [100.0, 103.0, 106.0]  # three seconds apart, not back to back
    assert clock.slept == [2.0, 2.0]
    assert search_index._current == ((3, DAY), "index 3")
