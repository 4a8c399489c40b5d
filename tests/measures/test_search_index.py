"""The in-memory search index finds exactly what the filters find in SQL, and its facet counts
are what choosing the option finds (``measures.search_index`` against its SQL restatement,
``tests/measures/sql_filters.py``)."""

import random
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.http import QueryDict

from core import generations
from measures import search, search_index
from measures.course_search import FACETS, course_search
from measures.filters import CourseFilter
from measures.models import (
    CertificateKind,
    Course,
    FundingType,
    Subject,
    TargetGroup,
)
from measures.selectors import public_courses
from network.models import Region
from network.places import resolve_place
from tests.factories import make_course, make_provider, make_venue, today
from tests.measures.sql_filters import SqlCourseFilter

pytestmark = pytest.mark.django_db


def query_dict(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(item) for item in value] if isinstance(value, list) else [value])
    return query


def index_ids(params: dict) -> set[int]:
    """The courses the search finds through the index, all pages."""
    query = query_dict(params)
    filterset = CourseFilter(query, queryset=public_courses())
    assert filterset.form.is_valid(), filterset.form.errors
    cleaned = filterset.form.cleaned_data
    place = resolve_place(cleaned.get("place") or "").place
    index = search_index.current_index()
    parsed = search.parse(cleaned.get("q") or "")
    text = None
    if parsed:
        matches = Course.objects.public().filter(search_document__vector=parsed.search_query())
        text = index.positions(list(matches.values_list("pk", flat=True)))
    found = index.search(cleaned, place=place, radius_km=filterset.radius_km, text=text)
    return set(index.ids[found.courses()].tolist())


def sql_ids(params: dict) -> set[int]:
    """The same search in SQL: the oracle's queryset (``tests/measures/sql_filters.py``)."""
    filterset = SqlCourseFilter(query_dict(params), queryset=public_courses())
    assert filterset.form.is_valid(), filterset.form.errors
    cleaned = filterset.form.cleaned_data
    filterset.place = resolve_place(cleaned.get("place") or "").place
    courses = filterset.qs
    parsed = search.parse(cleaned.get("q") or "")
    if parsed:
        courses = courses.filter(search_document__vector=parsed.search_query())
    return set(courses.values_list("pk", flat=True))


def choices():
    """Values for every filter, from the data."""
    return {
        "q": ["Englisch", "Pflege", "Kurs", "Deutsch B1", "Computer"],
        "region": ["07", "09", "11", "07339", "05315"],
        "place": ["55116", "10115", "80331"],
        "radius": ["5", "25", "100"],
        "date_from": [str(today() + timedelta(days=days)) for days in (0, 3, 60)],
        "date_to": [str(today() + timedelta(days=days)) for days in (3, 30, 200)],
        "rolling": ["true"],
        "weekday": [["0"], ["5", "6"], ["2", "4"]],
        "time": [["morning"], ["afternoon"], ["evening"], ["weekend"], ["morning", "evening"]],
        "mode": [["in_person"], ["online"], ["blended", "online"]],
        "max_price": ["0", "40", "90", "200"],
        "free": ["true"],
        "funding": [[slug] for slug in FundingType.objects.values_list("slug", flat=True)[:4]],
        "certificate": [
            [slug] for slug in CertificateKind.objects.values_list("slug", flat=True)[:4]
        ],
        "target_group": [[slug] for slug in TargetGroup.objects.values_list("slug", flat=True)[:4]],
        "subject": list(Subject.objects.values_list("slug", flat=True)[:10]),
        "language": [["de"], ["en"], ["de", "en"]],
        "access": [["step_free"], ["toilet"], ["hearing_loop"], ["childcare"], ["easy_language"]],
        "kind": [["course"], ["seminar", "retraining"]],
    }


def test_every_filter_alone_finds_what_sql_finds(catalogue):
    checked = 0
    for name, values in choices().items():
        for value in values:
            params = {name: value}
            if name == "radius":
                params["place"] = "55116"
            assert index_ids(params) == sql_ids(params), params
            checked += 1
    assert checked > 60
    assert index_ids({}) == sql_ids({}) and len(sql_ids({})) > 150


def test_combinations_of_filters_find_what_sql_finds(catalogue):
    pool = choices()
    rng = random.Random(4)
    non_empty = 0
    for _ in range(120):
        names = rng.sample(sorted(pool), k=rng.randint(2, 5))
        params = {name: rng.choice(pool[name]) for name in names}
        if "radius" in params and "place" not in params:
            params["place"] = "55116"
        expected = sql_ids(params)
        assert index_ids(params) == expected, params
        non_empty += bool(expected)
    assert non_empty > 30  # the combinations are not all empty


def test_the_provider_filter_and_the_edges_of_each_date_filter(catalogue):
    def found(**params):
        params["provider"] = catalogue.slug
        assert index_ids(params) == sql_ids(params), params
        return {
            title
            for title in Course.objects.filter(pk__in=index_ids(params)).values_list(
                "title", flat=True
            )
        }

    assert "Abgesagt in Mainz" in found()  # its online date is current
    assert "Abgesagt in Mainz" not in found(access=["step_free"])  # the Mainz date is cancelled
    assert found(max_price="40") >= {"Preis am Termin", "Termin kostenlos", "Kurs kostenlos"}
    assert "Ohne Preis" not in found(max_price="1000")
    assert found(free="true") == {"Termin kostenlos", "Kurs kostenlos", "Kurs 0 Euro"}
    assert found(rolling="true") == {"Einstieg jederzeit"}
    assert "Mittags" in found(time=["afternoon"]) and "Mittags" not in found(time=["morning"])
    assert "Kurz vor fünf" not in found(time=["evening"], mode=["in_person"])
    assert "Kurz vor fünf" in found(time=["evening"])  # its online date starts at 18:00
    assert "Um fünf" in found(time=["evening"]) and "Um fünf" in found(time=["weekend"])
    assert "Ohne Uhrzeit" not in found(time=["morning"], mode=["in_person"])
    assert "Heute" in found(date_to=str(today()))
    assert "Läuft noch" not in found(date_from=str(today()), mode=["in_person"])


def test_each_facet_count_is_what_choosing_the_option_finds(catalogue):
    searches = [
        {},
        {"q": "Kurs"},
        {"mode": ["online"], "time": ["evening"]},
        {"region": "07", "mode": ["in_person"]},
        {"subject": Subject.objects.filter(parent__isnull=True).first().slug, "free": "true"},
        {"place": "55116", "radius": "100", "kind": ["course"]},
    ]
    checked = 0
    for params in searches:
        result = course_search(params=query_dict(params))
        assert result.count == len(sql_ids(params)), params
        for facet in result.facets:
            assert facet.name in FACETS
            for option in facet.options:
                value = [option.value] if facet.multiple else option.value
                chosen = {**params, facet.name: value}
                assert option.count == len(sql_ids(chosen)), (params, facet.name, option.value)
                checked += 1
    assert checked > 100


def test_the_orders_match_sql(catalogue):
    from django.db.models import F

    for params, order in (
        ({"sort": "price"}, [F("price_key").asc(nulls_last=True), "title", "pk"]),
        ({"sort": "date"}, [F("summary_next_start").asc(nulls_first=True), "title", "pk"]),
        ({"sort": "price", "page": "2"}, None),
    ):
        if order is None:  # the second page continues the first
            first = course_search(params=query_dict({"sort": "price"})).page.object_list
            second = course_search(params=query_dict(params)).page.object_list
            expected = list(
                public_courses()
                .annotate(price_key=search_index_price_key())
                .order_by(F("price_key").asc(nulls_last=True), "title", "pk")
                .values_list("pk", flat=True)[: len(first) + len(second)]
            )
            assert [course.pk for course in first + second] == expected
            continue
        shown = [course.pk for course in course_search(params=query_dict(params)).page.object_list]
        ids = list(
            public_courses()
            .annotate(
                price_key=search_index_price_key(),
            )
            .order_by(*order)
            .values_list("pk", flat=True)[: len(shown)]
        )
        assert shown == ids, params


def search_index_price_key():
    from django.db.models import Case, DecimalField, F, Value, When

    return Case(
        When(price_kind=Course.PriceKind.FREE, then=Value(Decimal(0))),
        default=F("price"),
        output_field=DecimalField(),
    )


def test_distance_order_is_nearest_venue_first(catalogue):
    result = course_search(params=query_dict({"place": "55116", "radius": "100"}))
    distances = [course.distance for course in result.page.object_list]
    assert distances == sorted(distances) and distances[0] < 1


def test_states_and_districts_in_the_region_facet(catalogue):
    states = {
        option.value for option in _facet(course_search(params=query_dict({})), "region").options
    }
    # The states, and the countries without states (Austria, in the demo data).
    kinds = {key: Region.objects.get(key=key).kind for key in states}
    assert {key for key, kind in kinds.items() if kind == "state"} and set(kinds.values()) <= {
        "state",
        "country",
    }
    assert {key for key, kind in kinds.items() if kind == "country"} <= {"AT"}
    districts = _facet(course_search(params=query_dict({"region": "07"})), "region").options
    assert districts and all(option.value.startswith("07") for option in districts)


def _facet(result, name):
    return next(facet for facet in result.facets if facet.name == name)


# Building the next index -----------------------------------------------------------------


def test_after_a_change_a_search_answers_at_once_while_a_thread_builds_the_next_index(
    monkeypatch,
):
    monkeypatch.setattr(search_index, "BUILD_IN_BACKGROUND", True)
    first = search_index.current_index()
    generations.bump()  # a change: a new generation
    assert search_index.current_index() is first  # no waiting for the build
    search_index._builder.join(timeout=120)
    assert not search_index._builder.is_alive()
    # (The thread's own connection cannot see this test's uncommitted change: it finds
    # nothing to apply and keeps the index under the new generation.)
    newer = search_index.current_index()
    assert search_index._current[0] == (generations.search(), today())
    assert search_index.current_index() is newer  # current now: nothing more to build


def test_the_first_index_of_a_day_is_built_before_the_search(monkeypatch):
    monkeypatch.setattr(search_index, "BUILD_IN_BACKGROUND", True)
    first = search_index.current_index()
    tomorrow = today() + timedelta(days=1)
    monkeypatch.setattr(search_index.timezone, "localdate", lambda *args: tomorrow)
    index = search_index.current_index()
    assert index is not first and index.day == tomorrow
    assert search_index._builder is None or not search_index._builder.is_alive()


def test_a_course_withdrawn_since_the_index_was_built_is_not_shown(provider_with_course):
    provider, course = provider_with_course
    params = query_dict({"provider": provider.slug})
    assert [c.pk for c in course_search(params=params).page.object_list] == [course.pk]
    # Withdrawn without a new generation yet: the index still holds it, the page does not.
    Course.objects.filter(pk=course.pk).update(status=Course.Status.DRAFT)
    assert course_search(params=params).page.object_list == []


@pytest.fixture
def provider_with_course():
    provider = make_provider("Zurückgezogen e. V.")
    venue = make_venue(provider, "55116")
    return provider, make_course(provider, "Bald zurückgezogen", dates=[{"venue": venue}])


def test_ranking_only_the_filtered_matches_gives_the_same_ranks(catalogue):
    from measures.course_search import _ranks, _text_matches

    index = search_index.current_index()
    parsed = search.parse("Kurs")
    positions, all_ranks = _text_matches(index, parsed, ranked=True)
    held = positions[positions >= 0]
    assert len(held) > 5
    subset = held[::2]
    ranks = _ranks(index, parsed, subset)
    assert np.array_equal(ranks[subset], all_ranks[subset])
    assert np.isnan(np.delete(ranks, subset)).all()


def test_each_course_distance_is_that_of_its_nearest_dated_venue(catalogue):
    index = search_index.current_index()
    place = resolve_place("55116").place
    per_venue = index.venue_distance(place) / 1000
    expected = np.full(index.size, np.inf)
    for course, venue in zip(index.date_course.tolist(), index.date_venue.tolist(), strict=True):
        if not np.isnan(per_venue[venue]):
            expected[course] = min(expected[course], per_venue[venue])
    distances = index.course_distance(place)
    assert np.array_equal(distances, expected)
    assert np.isfinite(distances).sum() > 100 and np.isinf(distances).any()  # online-only ones
