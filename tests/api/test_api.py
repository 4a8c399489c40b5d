"""The read-only JSON API: the course search of /kurse/ (the same results in the same order),
providers, vocabularies, the 400s and 404s, CORS, and the OpenAPI description."""

from __future__ import annotations

import json

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from atlas.url_catalogue import concrete_paths, page_patterns
from measures.models import Course
from network.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def page_slugs(client, query: str) -> list[str]:
    """The courses the search page /kurse/ lists for these parameters, in order."""
    response = client.get(reverse("measures:course_list") + query)
    assert response.status_code == 200
    document = lxml.html.fromstring(response.content)
    links = document.xpath('//ol[contains(@class, "cards")]/li[@class="card"]/h3/a/@href')
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in links]


# Each: text, place + radius, filters, orders, page 2, and combinations.
SAME_AS_PAGE = [
    "",
    "?q=Deutsch",
    "?q=Pflege&sort=date",
    "?q=Englisch+Abend+Xylophon",
    "?place=55116&radius=50",
    "?place=55116&radius=100&sort=distance",
    "?place=Hamburg&radius=25&sort=price",
    "?mode=online",
    "?mode=in_person&mode=blended&sort=price",
    "?free=true",
    "?kind=course&language=de",
    "?page=2",
    "?sort=price&page=2",
    "?mode=in_person&page=2",
]


@pytest.mark.parametrize("query", SAME_AS_PAGE)
def test_course_list_finds_what_the_search_page_finds_in_the_same_order(client, query):
    response = client.get(reverse("api:course_list") + query)
    assert response.status_code == 200, response.content
    data = response.json()
    expected = page_slugs(client, query)
    assert [course["slug"] for course in data["results"]] == expected
    ids = dict(Course.objects.filter(slug__in=expected).values_list("slug", "pk"))
    assert [course["id"] for course in data["results"]] == [ids[slug] for slug in expected]


def test_parameter_sets_are_not_trivial(client):
    """The comparison above means something: the sets find different, non-empty results."""
    found = {query: tuple(page_slugs(client, query)) for query in SAME_AS_PAGE}
    assert all(found[query] for query in ("?q=Deutsch", "?place=55116&radius=50", "?page=2"))
    assert found["?page=2"] != found[""]
    assert found["?sort=price&page=2"] != found["?page=2"]


def test_course_list_has_counts_facets_and_page_links(client):
    data = client.get(reverse("api:course_list")).json()
    assert data["count"] == Course.objects.public().count()
    assert data["page"] == 1 and data["page_size"] == 20
    assert data["pages"] == -(-data["count"] // 20)
    assert data["next"].endswith("/api/courses/?page=2") and data["previous"] is None
    facets = {facet["name"]: facet for facet in data["facets"]}
    assert {"subject", "region", "mode", "funding", "target_group", "kind", "certificate"} <= set(
        facets
    )
    online = next(o for o in facets["mode"]["options"] if o["value"] == "online")
    assert (
        client.get(reverse("api:course_list") + "?mode=online").json()["count"] == (online["count"])
    )
    first = data["results"][0]
    assert client.get(first["api_url"]).status_code == 200
    assert first["provider"]["slug"]


def test_stable_ids_across_pages(client):
    """Page 1 and page 2 together are the first 40 of one order, without repeats."""
    url = reverse("api:course_list")
    first = [c["id"] for c in client.get(url).json()["results"]]
    second = [c["id"] for c in client.get(url + "?page=2").json()["results"]]
    assert len(first) == 20 and second and not set(first) & set(second)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?foo=1", "foo"),
        ("?format=xml", "format"),
        ("?page=abc", "page"),
        ("?page=0", "page"),
        ("?page=501", "page"),
        ("?mode=flying", "mode"),
        ("?date_from=2026-13-45", "date_from"),
        ("?radius=1e308", "radius"),
        ("?subject=does-not-exist", "subject"),
        ("?region=%ff", "region"),
        ("?place=Nirgendwohausen", "place"),
        ("?q=a&q=b", "q"),
        ("?q=" + "x" * 300, "q"),
        ("?q=%00", "q"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, query, parameter):
    response = client.get(reverse("api:course_list") + query)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and parameter in body["errors"], body


def test_a_page_past_the_last_is_a_404(client):
    response = client.get(reverse("api:course_list") + "?page=400")
    assert response.status_code == 404
    assert "Seite" in response.json()["detail"]


def test_course_detail_with_dates_and_modules(client):
    course = Course.objects.public().filter(modules__isnull=False).distinct().first()
    data = client.get(reverse("api:course_detail", kwargs={"pk": course.pk})).json()
    assert data["id"] == course.pk and data["title"] == course.title
    assert [m["title"] for m in data["modules"]] == list(
        course.modules.order_by("position", "pk").values_list("title", flat=True)
    )
    assert data["dates"] and data["is_current"]
    assert data["provider"]["id"] == course.provider_id
    assert data["url"].endswith(course.get_absolute_url())


def test_unknown_or_unpublished_course_is_a_404(client):
    draft = Course.objects.exclude(status=Course.Status.PUBLISHED).first()
    for pk in (999_999_999, draft.pk if draft else 999_999_998):
        response = client.get(reverse("api:course_detail", kwargs={"pk": pk}))
        assert response.status_code == 404 and response.json()["detail"]
    assert client.get("/api/courses/abc/").status_code == 404


def test_providers(client):
    data = client.get(reverse("api:provider_list") + "?q=Volkshochschule").json()
    assert data["count"] >= 1
    provider = Organisation.objects.get(pk=data["results"][0]["id"])
    detail = client.get(reverse("api:provider_detail", kwargs={"pk": provider.pk})).json()
    assert detail["slug"] == provider.slug
    assert detail["course_count"] == Course.objects.public().filter(provider=provider).count()
    courses = client.get(detail["courses_url"]).json()
    assert courses["count"] == detail["course_count"]
    assert client.get(reverse("api:provider_list") + "?sort=bogus").status_code == 400
    assert client.get(reverse("api:provider_detail", kwargs={"pk": 999_999})).status_code == 404


def test_vocabularies_are_the_values_the_filters_take(client):
    data = client.get(reverse("api:vocabularies")).json()
    subject = data["subjects"][0]["slug"]
    assert client.get(reverse("api:course_list") + f"?subject={subject}").status_code == 200
    funding = [entry["slug"] for entry in data["funding"]][:2]
    query = "&".join(f"funding={slug}" for slug in funding)
    assert client.get(reverse("api:course_list") + "?" + query).status_code == 200
    assert {"kinds", "modes", "weekdays", "times", "access", "sorts", "regions"} <= set(data)


def test_reads_are_open_to_any_origin(client):
    response = client.get(reverse("api:course_list"), HTTP_ORIGIN="https://example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    preflight = client.options(
        reverse("api:course_list"),
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert client.post(reverse("api:course_list")).status_code == 405
    assert "Set-Cookie" not in response


def test_openapi_description_is_served(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/courses/", "/api/courses/{id}/", "/api/providers/", "/api/vocabularies/"} <= set(
        schema["paths"]
    )
    names = {p["name"] for p in schema["paths"]["/api/courses/"]["get"]["parameters"]}
    assert {"q", "place", "radius", "mode", "subject", "sort", "page"} <= names


def test_docs_page_links_the_schema_and_loads_nothing_from_elsewhere(client):
    response = client.get(reverse("api:docs"))
    document = lxml.html.fromstring(response.content)
    assert reverse("api:schema") in document.xpath("//main//a/@href")
    sources = document.xpath("//script/@src | //link/@href | //img/@src")
    assert all(not src.startswith(("http:", "https:", "//")) for src in sources)


def test_api_paths_are_measured_by_the_page_benchmark():
    """``benchmark_pages`` takes its paths from the URL catalogue: every API pattern is there,
    the course list with a text search, a place and a second page."""
    patterns = {pattern.key: pattern for pattern in page_patterns()}
    for name in ("api:course_list", "api:course_detail", "api:provider_list", "api:schema"):
        assert name in patterns
    paths = concrete_paths(patterns["api:course_list"])
    assert {"/api/courses/", "/api/courses/?q=Deutsch", "/api/courses/?page=2"} <= set(paths)
    assert concrete_paths(patterns["api:course_detail"])


def test_the_served_description_is_generated_once_per_worker_and_equals_a_fresh_one(client):
    from drf_spectacular.generators import SchemaGenerator

    from api import views

    views._described.clear()
    views.warm_up()  # what a web worker does before its first request (atlas.warmup)
    assert list(views._described) == [("de", None)]
    fresh = SchemaGenerator().get_schema(request=None, public=True)
    assert client.get(reverse("api:schema")).json() == client.get(reverse("api:schema")).json()
    assert client.get(reverse("api:schema")).json() == json.loads(json.dumps(fresh))
    # Other versions and unknown languages are answered but never kept (no growth by query).
    assert client.get(reverse("api:schema"), {"version": "x" * 50}).status_code == 200
    assert client.get(reverse("api:schema"), {"lang": "zz-unknown"}).status_code == 200
    assert list(views._described) == [("de", None)]
