"""What a full-text query matched is kept per full build of the search index and serves its
patches: the courses changed since are matched again, and the answer is always what
PostgreSQL would answer now."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import generations
from measures import search, text_matches
from measures.course_search import RANK_WEIGHTS
from measures.models import Course, SearchDocument
from measures.search import refresh_search_vectors
from measures.search_index import current_index
from tests.factories import make_course

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_kept():
    text_matches.forget()
    yield
    text_matches.forget()


def found(tsquery, *, ranked=False):
    index = current_index()
    positions, ranks = text_matches.matches(
        index, tsquery, ranked=ranked, config=search.CONFIG, weights=RANK_WEIGHTS
    )
    ids = sorted(index.ids[positions].tolist())
    if not ranked:
        return ids
    return ids, {int(index.ids[p]): float(ranks[p]) for p in positions}


def expected(tsquery):
    """The public courses PostgreSQL matches now."""
    query = search.SearchQuery(tsquery, search_type="raw", config=search.CONFIG)
    public = Course.objects.public().values("pk")
    return sorted(
        SearchDocument.objects.filter(vector=query, course__in=public).values_list(
            "course_id", flat=True
        )
    )


def full_matches(captured):
    return [q for q in captured.captured_queries if "ANY(" not in q["sql"] and "@@" in q["sql"]]


def test_a_term_is_matched_in_postgresql_once_per_full_build(catalogue):
    assert found("kurs") == expected("kurs") and expected("kurs")
    with CaptureQueriesContext(connection) as captured:
        assert found("kurs") == expected("kurs")
    assert len(full_matches(captured)) == 1  # only expected()'s own


def test_after_changes_the_kept_answer_serves_with_the_changed_courses_matched_again(catalogue):
    before = found("kurs")
    first = current_index()
    gone = Course.objects.get(pk=before[0])
    Course.objects.filter(pk=gone.pk).update(status=Course.Status.ARCHIVED)
    renamed = Course.objects.public().exclude(pk__in=before).first()
    Course.objects.filter(pk=renamed.pk).update(title="Neuer Kurs für alle")
    refresh_search_vectors([gone.pk, renamed.pk])
    added = make_course(catalogue, "Noch ein Kurs")
    assert current_index().base is first  # patched
    with CaptureQueriesContext(connection) as captured:
        now = found("kurs")
    assert not full_matches(captured)  # the kept answer, and the changed courses by id
    assert now == expected("kurs")
    assert gone.pk not in now and renamed.pk in now and added.pk in now


def test_ranks_are_postgresqls(catalogue):
    ids, ranks = found("kurs", ranked=True)
    again_ids, again = found("kurs", ranked=True)
    assert ids == again_ids and ranks == again
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT course_id, ts_rank(%s::float4[], vector, to_tsquery('german', 'kurs'))"
            " FROM measures_searchdocument WHERE course_id = ANY(%s)",
            [RANK_WEIGHTS, ids],
        )
        direct = dict(cursor.fetchall())
    assert all(np.isclose(ranks[pk], direct[pk]) for pk in ids)


def test_a_full_build_starts_with_nothing_kept(catalogue):
    found("kurs")
    generations.bump()  # anything may have changed: the index is built again
    with CaptureQueriesContext(connection) as captured:
        assert found("kurs") == expected("kurs")
    assert len(full_matches(captured)) == 2  # matched again, and expected()'s own


def test_the_least_recently_used_answers_make_room(catalogue, settings):
    found("kurs")
    size = text_matches._kept_bytes
    settings.TEXT_MATCHES_MB = (size + 1) / 1024 / 1024
    found("englisch")
    assert "kurs" not in text_matches._kept and "englisch" in text_matches._kept
    assert text_matches._kept_bytes <= size + 1


def test_nothing_is_kept_with_no_room(catalogue, settings):
    settings.TEXT_MATCHES_MB = 0
    assert found("kurs") == expected("kurs")
    assert not text_matches._kept and found("kurs") == expected("kurs")


def test_a_worker_reads_what_another_worker_matched_for_the_same_build(catalogue, monkeypatch):
    """Workers that read the same index file share their answers: a term costs PostgreSQL
    once for all of them (the other worker: nothing of its own kept, the same build)."""
    monkeypatch.setattr(text_matches, "SHARED_MIN_COURSES", 0)  # as at a catalogue's size
    ranked_ids, ranks = found("kurs", ranked=True)
    assert ranked_ids == expected("kurs")
    text_matches.forget()
    with CaptureQueriesContext(connection) as captured:
        assert found("kurs", ranked=True) == (ranked_ids, ranks)
        assert found("kurs") == ranked_ids  # the ranked answer serves an unranked ask too
    assert len(full_matches(captured)) == 0
    text_matches.forget()
    current_index().base.build = "another-build"  # as a worker that built its own index
    with CaptureQueriesContext(connection) as captured:
        assert found("kurs") == ranked_ids
    assert len(full_matches(captured)) == 1


def test_a_small_catalogue_shares_nothing(catalogue):
    """Below SHARED_MIN_COURSES a term is matched by each worker: no cache traffic."""
    found("kurs")
    text_matches.forget()
    with CaptureQueriesContext(connection) as captured:
        found("kurs")
    assert not [q for q in captured.captured_queries if "atlas_cache" in q["sql"]]
    assert len(full_matches(captured)) == 1


def test_the_common_terms_are_matched_for_every_worker(catalogue, monkeypatch):
    """After a build the builder matches the thesaurus' terms and the vocabulary's most
    frequent words into the shared cache: a worker's first search for one of them asks
    PostgreSQL nothing."""
    from measures.course_search import prematch_common_terms

    monkeypatch.setattr(text_matches, "SHARED_MIN_COURSES", 0)  # as at a catalogue's size
    words = search.frequent_words(3)
    assert len(words) == 3 and "Deutsch" in search.thesaurus_terms()
    assert prematch_common_terms(current_index(), words=3) > len(words)
    assert prematch_common_terms(current_index(), words=3) == 0  # shared already
    text_matches.forget()
    for term in (words[0], "Deutsch"):
        tsquery = search.parse(term).tsquery()
        with CaptureQueriesContext(connection) as captured:
            ids, _ranks = found(tsquery, ranked=True)
        assert not full_matches(captured)
        assert ids == expected(tsquery)
