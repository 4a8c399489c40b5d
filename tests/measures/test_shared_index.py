"""One search index build for all workers: the worker holding the build lock writes the index
to a file, the others read it instead of building it again."""

import threading
import time
from datetime import date

import psycopg
import pytest
from django.db import connection

from core import generations
from measures import search_index
from measures.models import Course
from measures.search import refresh_search_vectors

pytestmark = pytest.mark.django_db

KEY = (987654321, date(2026, 12, 7))


@pytest.fixture
def shared(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(search_index, "SHARED_BUILDS", True)
    settings.SEARCH_INDEX_DIR = str(tmp_path)
    return tmp_path


def no_building(monkeypatch):
    def refuse(self, day):
        raise AssertionError("built although another worker's file was there")

    monkeypatch.setattr(search_index.SearchIndex, "__init__", refuse)


def test_the_first_worker_builds_and_writes_the_next_reads(shared, monkeypatch):
    built = search_index._obtain(KEY)
    files = list(shared.glob("*.pickle"))
    assert len(files) == 1 and files[0].name.endswith(f"-2026-12-07-{KEY[0]}.pickle")
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    no_building(monkeypatch)
    read = search_index._obtain(KEY)
    assert read is not built and read.size == built.size
    assert (read.ids == built.ids).all()


def test_an_unreadable_file_is_built_again(shared):
    first = search_index._obtain(KEY)
    path = next(shared.glob("*.pickle"))
    path.write_bytes(b"kaputt")
    again = search_index._obtain(KEY)
    assert again.size == first.size
    assert path.read_bytes() != b"kaputt"


def test_only_the_newest_files_are_kept(shared):
    for generation in range(5):
        search_index._obtain((KEY[0] + generation, KEY[1]))
        generations.bump()  # anything may have changed: the next one is built again
        time.sleep(0.01)  # distinct modification times
    names = sorted(path.name for path in shared.glob("*.pickle"))
    assert len(names) == 3
    assert all(f"-{KEY[0] + generation}.pickle" in " ".join(names) for generation in (2, 3, 4))


def test_a_worker_applies_the_changes_since_the_newest_file_of_the_day(shared, monkeypatch):
    written = search_index._obtain(KEY)
    course = Course.objects.public().first()
    Course.objects.filter(pk=course.pk).update(price=7)
    refresh_search_vectors([course.pk])  # one course changed since
    no_building(monkeypatch)
    index = search_index._obtain((KEY[0] + 1, KEY[1]))  # a later generation: no file of it
    assert index.base is not index and index.base.size == written.size
    assert index.course_price[index.positions([course.pk])[0]] == 7
    assert len(list(shared.glob("*.pickle"))) == 1


def test_a_worker_waits_for_the_one_that_builds(shared, monkeypatch):
    # Another worker (its own database session) holds the build lock and writes the file.
    index = search_index._obtain(KEY)
    path = next(shared.glob("*.pickle"))
    written = path.read_bytes()
    path.unlink()
    params = connection.get_connection_params()
    other = psycopg.connect(**params, autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", [search_index._BUILD_LOCK])

    def finish():
        time.sleep(0.4)
        path.write_bytes(written)
        other.execute("SELECT pg_advisory_unlock(%s)", [search_index._BUILD_LOCK])
        other.close()

    worker = threading.Thread(target=finish)
    worker.start()
    no_building(monkeypatch)
    started = time.monotonic()
    read = search_index._obtain(KEY)
    worker.join()
    assert time.monotonic() - started >= 0.3  # it waited
    assert read.size == index.size


def test_a_waiting_worker_patches_the_file_another_worker_wrote_for_its_generation(
    shared, monkeypatch
):
    # Another worker builds for an earlier generation than this worker's; this one reads the
    # file it writes (once) and applies the changes since, instead of building.
    index = search_index._obtain((KEY[0] - 1, KEY[1]))
    path = next(shared.glob("*.pickle"))
    written = path.read_bytes()
    path.unlink()
    other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", [search_index._BUILD_LOCK])
    reads = []
    real_read = search_index._read
    monkeypatch.setattr(search_index, "_read", lambda p: reads.append(p.name) or real_read(p))

    def finish():
        time.sleep(0.4)
        path.write_bytes(written)
        time.sleep(0.4)
        other.execute("SELECT pg_advisory_unlock(%s)", [search_index._BUILD_LOCK])
        other.close()

    worker = threading.Thread(target=finish)
    worker.start()
    no_building(monkeypatch)
    read = search_index._obtain(KEY)
    worker.join()
    assert read.size == index.size
    assert reads.count(path.name) == 1  # read once, not every tenth of a second


def test_a_worker_gives_back_what_a_build_freed(monkeypatch):
    """After a build (or a read of another worker's), the freed memory goes back to the
    system: at 1,000,000 courses a built worker held 806 MB, 581 MB after (as a reading one)."""
    released = []
    monkeypatch.setattr(search_index, "release_free_memory", lambda: released.append(1))
    search_index.forget()
    search_index.current_index()
    assert released == [1]
    monkeypatch.undo()
    assert search_index.release_free_memory() is True  # glibc here


def test_the_worker_that_builds_matches_the_common_terms_for_all(shared, monkeypatch):
    """The builder, and only it, starts matching the frequent words; a worker that reads its
    file does not (and below a catalogue's size nothing is matched: no thread)."""
    started = []
    monkeypatch.setattr(search_index, "_prematch_in_background", started.append)
    built = search_index._obtain(KEY)
    search_index._obtain(KEY)  # another worker reads the file
    assert started == [built]
    monkeypatch.undo()
    threads = threading.active_count()
    search_index._prematch_in_background(built)  # the demo catalogue: below the size
    assert threading.active_count() == threads


def test_the_course_search_matches_the_common_terms_after_a_full_build(shared, monkeypatch):
    """The index runs what the search registered (``AFTER_FULL_BUILD``) in the builder's
    thread at a catalogue's size; the search registers matching the common terms."""
    from measures import course_search, text_matches

    assert search_index.AFTER_FULL_BUILD == [
        (text_matches.SHARED_MIN_COURSES, course_search.prematch_common_terms)
    ]
    done = threading.Event()
    seen = []

    def task(index):
        seen.append((index, threading.current_thread().name))
        done.set()
        return 1

    monkeypatch.setattr(search_index, "AFTER_FULL_BUILD", [(0, task)])  # at any size
    built = search_index._obtain(KEY)
    assert done.wait(10)
    assert seen == [(built, "search-prematch")]
