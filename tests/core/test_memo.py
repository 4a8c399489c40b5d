"""Figures kept for every worker: a worker reads what another one computed."""

import pytest
from django.core.cache import caches
from django.http import QueryDict

from core import memo
from measures.provider_search import provider_search

pytestmark = pytest.mark.django_db


def test_a_second_worker_reads_the_first_ones_figure_from_the_shared_cache():
    computed = []

    def compute():
        computed.append(1)
        return {"answer": 42}

    assert memo.shared("test:memo:one", compute, 60) == {"answer": 42}
    assert memo.shared("test:memo:one", compute, 60) == {"answer": 42}  # this worker's memory
    caches["local"].clear()  # another worker: nothing in its own memory
    assert memo.shared("test:memo:one", compute, 60) == {"answer": 42}
    assert computed == [1]
    caches["default"].delete("test:memo:one")
    caches["local"].clear()
    memo.shared("test:memo:one", compute, 60)
    assert computed == [1, 1]


def test_a_provider_searchs_facets_are_counted_once_for_all_workers(
    django_assert_max_num_queries,
):
    params = QueryDict("kind=verein&access=step_free")
    first = provider_search(params=params)
    caches["local"].clear()  # the other worker
    with django_assert_max_num_queries(6) as counted:
        second = provider_search(params=params)
    assert not [q for q in counted.captured_queries if '"facet"' in q["sql"]]
    assert second.facets.options == first.facets.options
    assert first.facets.options["kind"]
