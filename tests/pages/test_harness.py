"""The page checks catch what they are meant to catch: each is run against a throwaway URLconf
(tests/pages/harness_urls.py) with one planted fault per page, and a clean page that must pass.

If one of these fails, the checks in test_pages.py can no longer be trusted to fail.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.pages.checks import (
    LINKS_PER_KIND,
    LinkChecker,
    browse,
    fetch,
    links_on,
    response_problems,
    robustness_problems,
    validate_html,
)
from tests.pages.urls import NoPaths, collect_patterns, concrete_paths

HARNESS = "tests.pages.harness_urls"

pytestmark = [
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
    pytest.mark.xdist_group("pages"),
    pytest.mark.django_db,
]
with_harness_urls = pytest.mark.urls(HARNESS)


def pattern(key: str):
    return next(p for p in collect_patterns(HARNESS) if p.key == key)


@pytest.fixture
def lenient_client():
    return Client(raise_request_exception=False)


# Collecting -------------------------------------------------------------------------------------


@with_harness_urls
def test_collector_finds_every_pattern_but_admin_and_static_files():
    routes = {p.route for p in collect_patterns()}
    assert "gut/" in routes
    assert "^auch-gut/$" in routes
    assert "dinge/<slug:slug>/" in routes
    assert not any(route.startswith(("admin/", "^static/")) for route in routes)


@with_harness_urls
def test_patterns_without_arguments_resolve_to_themselves():
    assert concrete_paths(pattern("good"), registry={}) == ["/gut/"]
    assert concrete_paths(pattern("^auch-gut/$"), registry={}) == ["/auch-gut/"]
    assert concrete_paths(pattern("robots"), registry={}) == ["/robots.txt"]


@with_harness_urls
def test_pattern_with_arguments_and_no_registry_entry_fails_naming_it():
    with pytest.raises(NoPaths, match=r"thing \(dinge/<slug:slug>/\).*no entry in REGISTRY"):
        concrete_paths(pattern("thing"), registry={})


@with_harness_urls
def test_registry_entry_returning_nothing_fails_naming_it():
    with pytest.raises(NoPaths, match=r"thing \(dinge/<slug:slug>/\).*returned no paths"):
        concrete_paths(pattern("thing"), registry={"thing": lambda name: []})


@with_harness_urls
def test_registry_entry_returning_another_patterns_path_fails():
    with pytest.raises(NoPaths, match="belongs to the route 'gut/'"):
        concrete_paths(pattern("thing"), registry={"thing": lambda name: ["/gut/"]})


@with_harness_urls
def test_registry_entry_gives_the_paths():
    registry = {"thing": lambda name: [reverse(name, kwargs={"slug": "eins"})]}
    assert concrete_paths(pattern("thing"), registry=registry) == ["/dinge/eins/"]


# Status and content type ------------------------------------------------------------------------


@with_harness_urls
def test_response_check_passes_a_good_page_and_a_text_file(lenient_client):
    assert response_problems(pattern("good"), fetch(lenient_client, "/gut/")) == []
    assert response_problems(pattern("robots"), fetch(lenient_client, "/robots.txt")) == []


@with_harness_urls
def test_response_check_reports_a_wrong_content_type(lenient_client):
    problems = response_problems(pattern("calendar"), fetch(lenient_client, "/kalender.ics"))
    assert problems == ["content type 'text/html; charset=utf-8', expected text/calendar"]


@with_harness_urls
def test_response_check_reports_a_server_error_with_its_cause(lenient_client):
    problems = response_problems(pattern("fragile"), fetch(lenient_client, "/zerbrechlich/?page=x"))
    assert problems[0] == "status 500, expected 200"
    assert "harness_urls.py" in problems[1]
    assert "ValueError: invalid literal for int()" in problems[1]


# Robustness -------------------------------------------------------------------------------------


@with_harness_urls
def test_robustness_check_passes_a_page_that_ignores_bad_input(lenient_client):
    assert robustness_problems(lenient_client, pattern("good"), "/gut/") == []


@with_harness_urls
def test_robustness_check_reports_a_500_for_a_bad_query_string(lenient_client):
    problems = robustness_problems(lenient_client, pattern("fragile"), "/zerbrechlich/")
    assert any(p.startswith("GET /zerbrechlich/?page=abc → 500") for p in problems)
    assert all("ValueError" in p for p in problems)


@with_harness_urls
def test_robustness_check_reports_a_500_for_an_unknown_slug(lenient_client):
    problems = robustness_problems(lenient_client, pattern("thing"), "/dinge/eins/")
    assert any(
        p.startswith("GET /dinge/does-not-exist/ (unknown slug) → 500, expected 400 or 404 or 410")
        and "KeyError" in p
        for p in problems
    )


# Links ------------------------------------------------------------------------------------------


@with_harness_urls
def test_links_on_a_page_are_the_internal_ones(lenient_client):
    links = links_on("/verweise/", fetch(lenient_client, "/verweise/").content)
    assert links.pages == [
        "/kalender.ics",
        "/gut/",
        "/verweise/gut/",
        "/auch-gut/",
        "/umleitung/",
        "/umleitung/?nach=kaputt",
        "/umleitung/?nach=fremd",
        "/gibt-es-nicht/",
        "/zerbrechlich/?page=x",
        "/dinge/eins/",
        "/dinge/zwei/",
        "/suche-fehlt/",
    ]
    assert links.static == ["css/site.css", "gibt-es-nicht.css"]


@with_harness_urls
def test_link_check_reports_every_broken_link_and_missing_static_file(lenient_client):
    problems = LinkChecker(lenient_client).check_page(
        "/verweise/", fetch(lenient_client, "/verweise/").content
    )
    summary = [problem.split("\n")[0] for problem in problems]
    assert summary == [
        "static file 'gibt-es-nicht.css' does not exist",
        "link /verweise/gut/ → status 404",
        "link /umleitung/?nach=kaputt → status 404 (redirected: /umleitung/?nach=kaputt → "
        "/gibt-es-nicht/)",
        "link /umleitung/?nach=fremd → 302 to 'https://example.org/', not a page of this site",
        "link /gibt-es-nicht/ → status 404",
        "link /zerbrechlich/?page=x → status 500",
        "link /dinge/zwei/ → status 500",
        "link /suche-fehlt/ → status 404",
    ]
    assert "ValueError: invalid literal for int()" in problems[5]


@with_harness_urls
def test_link_check_requests_each_link_once_and_a_few_of_each_kind_per_page(lenient_client):
    checker = LinkChecker(lenient_client)
    content = fetch(lenient_client, "/viele-verweise/").content
    assert checker.check_page("/viele-verweise/", content) == []
    requested = set(checker.responses)
    assert requested == {f"/zerbrechlich/?page={n}" for n in range(1, LINKS_PER_KIND + 1)} | {
        "/gut/"
    }
    # A second page with the same links: what is known is not requested again, the next few
    # of a kind are.
    checker.check_page("/noch-eine/", content)
    assert len(checker.responses) == len(requested) + LINKS_PER_KIND


# HTML validity ----------------------------------------------------------------------------------


@with_harness_urls
def test_vnu_reports_invalid_pages_and_passes_a_valid_one(lenient_client, vnu_command, tmp_path):
    paths = ["/gut/", "/doppelte-id/", "/bild-ohne-alt/"]
    errors = validate_html(
        {p: fetch(lenient_client, p).content for p in paths}, vnu_command, tmp_path
    )
    assert errors["/gut/"] == []
    assert any("Duplicate ID" in e for e in errors["/doppelte-id/"]), errors
    assert any("alt" in e for e in errors["/bild-ohne-alt/"]), errors


# In the browser ---------------------------------------------------------------------------------

BROWSED = [
    "/gut/",
    "/bild-ohne-alt/",
    "/fremdes-css/",
    "/fehlende-datei/",
    "/zu-breit/",
    "/ohne-viewport/",
    "/inline-skript/",
    "/skriptfehler/",
]


@pytest.fixture(scope="module")
def findings(browser, site_url, axe_path, django_db_blocker):
    """What the browser checks find on the harness pages, served by the live server."""
    with override_settings(ROOT_URLCONF=HARNESS), django_db_blocker.unblock():
        found = browse(browser, site_url, BROWSED, axe_path)
    return {path: f.problems for path, f in found.items()}


@pytest.mark.browser
def test_browser_checks_pass_a_good_page(findings):
    assert findings["/gut/"] == {"axe": [], "requests": [], "overflow": [], "console": []}


@pytest.mark.browser
def test_axe_reports_an_image_without_alt_at_both_widths(findings):
    axe = findings["/bild-ohne-alt/"]["axe"]
    assert any(p.startswith("[phone] image-alt (critical)") for p in axe), axe
    assert any(p.startswith("[desktop] image-alt (critical)") for p in axe), axe


@pytest.mark.browser
def test_a_request_to_another_host_is_reported(findings):
    requests = findings["/fremdes-css/"]["requests"]
    assert "[phone] request to another host: http://cdn.example.invalid/site.css" in requests
    assert "[desktop] request to another host: http://cdn.example.invalid/site.css" in requests


@pytest.mark.browser
def test_a_missing_file_is_reported(findings):
    requests = findings["/fehlende-datei/"]["requests"]
    assert any(p.startswith("[phone] 404 for http://127.0.0.1:") for p in requests), requests


@pytest.mark.browser
def test_horizontal_scrolling_at_phone_width_is_reported(findings):
    overflow = findings["/zu-breit/"]["overflow"]
    assert len(overflow) == 1 and overflow[0].startswith("[phone] page is "), overflow
    assert "widest: main > p (right edge" in overflow[0]


@pytest.mark.browser
def test_a_page_without_viewport_meta_does_not_fit_a_phone(findings):
    overflow = findings["/ohne-viewport/"]["overflow"]
    assert len(overflow) == 1 and overflow[0].startswith("[phone] page is 980 px wide"), overflow


@pytest.mark.browser
def test_a_content_security_policy_violation_is_reported(findings):
    console = findings["/inline-skript/"]["console"]
    assert any(
        p.startswith("[phone] Executing inline script violates the following Content Security")
        for p in console
    ), console


@pytest.mark.browser
def test_an_uncaught_script_error_is_reported(findings):
    console = findings["/skriptfehler/"]["console"]
    assert "[desktop] uncaught Error: kaputt" in console, console
