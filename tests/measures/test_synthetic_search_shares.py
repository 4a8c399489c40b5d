"""The generator's search index is written in chunks that keep every worker busy."""

import pytest

from measures import synthetic


@pytest.mark.parametrize("count", [1, 7, 9, 20_000, 20_001, 100_000, 1_000_000])
@pytest.mark.parametrize("workers", [1, 2, 4])
def test_chunks_cover_every_course_once_in_a_multiple_of_the_workers(count, workers, monkeypatch):
    monkeypatch.setattr(synthetic, "_workers", lambda: workers)
    ids = list(range(10, 10 + count))
    chunks = synthetic._shares(ids)
    assert [pk for chunk in chunks for pk in chunk] == ids
    assert max(len(chunk) for chunk in chunks) <= synthetic.SEARCH_BATCH
    if count >= workers:
        assert len(chunks) % workers == 0, [len(chunk) for chunk in chunks]
    assert max(map(len, chunks)) - min(map(len, chunks)) <= 1


def test_no_courses_no_chunks():
    assert synthetic._shares([]) == []
