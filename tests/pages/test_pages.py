"""Every public page of the site: responds, its internal links answer, is valid HTML, passes
axe-core at phone and desktop width, asks no other host for anything, fits a phone, logs no
errors, and survives bad input.

The patterns come from the URLconf itself (atlas/url_catalogue.py), so a page added later is
checked without anyone remembering to; a pattern with arguments needs a REGISTRY entry there.
"""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client, RequestFactory

from atlas.outage import outage_response
from tests.pages.checks import CHECKS, response_problems, robustness_problems, validate_html
from tests.pages.urls import NOT_PAGES, NoPaths, collect_patterns, concrete_paths, page_patterns

# WhiteNoise warns when STATIC_ROOT (collectstatic's output) does not exist, which it need not in
# tests: the live server serves static files from the finders.
pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

PAGES = page_patterns()
ALL_PATTERNS = collect_patterns()

each_page = pytest.mark.parametrize("pattern", PAGES, ids=str)


def fail_with(problems: dict[str, list[str]]) -> None:
    """Fail listing the problems grouped by page; pass when there are none."""
    problems = {path: found for path, found in problems.items() if found}
    if problems:
        pytest.fail(
            "\n\n".join(
                f"{path}:\n" + "\n".join(f"  - {problem}" for problem in found)
                for path, found in problems.items()
            ),
            pytrace=False,
        )


def test_home_page_is_collected():
    # Guards the collector: if it finds nothing, every other test here would silently vanish.
    assert "/" in {p.path() for p in PAGES if not p.arguments}, [str(p) for p in ALL_PATTERNS]


@pytest.mark.django_db
@pytest.mark.xdist_group("pages")
@each_page
def test_page_responds(pattern, site_pages):
    fail_with(
        {
            path: response_problems(pattern, site_pages.responses[path])
            for path in site_pages.paths_for(pattern)
        }
    )


@pytest.mark.django_db
@pytest.mark.xdist_group("pages")
@each_page
def test_links_on_page_answer(pattern, site_pages, link_problems):
    """Internal links (a, link, GET form actions; filter, sort, page and calendar links
    included; every kind, a few of each per page) answer 200 or redirect to a page that does;
    linked static files exist."""
    fail_with({path: link_problems.get(path, []) for path in site_pages.paths_for(pattern)})


@pytest.mark.django_db
@pytest.mark.xdist_group("pages")
@each_page
def test_page_is_valid_html(pattern, site_pages, html_errors):
    paths = [p for p in site_pages.paths_for(pattern) if p in html_errors]
    fail_with({path: html_errors[path] for path in paths})


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.xdist_group("pages")
@each_page
def test_page_in_browser(pattern, site_pages, browser_findings):
    """axe-core violations, requests to other hosts or failed requests, horizontal scrolling at
    360 px and console errors (CSP violations included), at phone and desktop width."""
    problems = {}
    for path in site_pages.paths_for(pattern):
        if path in browser_findings:
            found = browser_findings[path].problems
            problems[path] = [f"{check}: {text}" for check in CHECKS for text in found[check]]
    fail_with(problems)


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=str)
def test_malformed_requests_are_not_server_errors(pattern, db):
    """Bad query strings give < 500; unknown slugs or keys give 400, 404 or 410."""
    client = Client(raise_request_exception=False)
    try:
        sample = concrete_paths(pattern)[0]
        missing = None
    except NoPaths as error:
        sample, missing = None, str(error)
    problems = robustness_problems(client, pattern, sample, allow_405=pattern.key in NOT_PAGES)
    if missing:
        problems.append(missing)
    fail_with({str(pattern): problems})


@pytest.mark.django_db
@pytest.mark.urls("tests.atlas.slow_urls")
def test_error_pages_are_valid_html(vnu_command, tmp_path, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    documents = {
        "404": client.get("/gibt-es-nicht/").content,
        "503": client.get("/langsam/").content,
        "500": loader.get_template("500.html").render({}).encode(),
        "503 database down": outage_response(RequestFactory().get("/kurse/?q=a&b=c")).content,
        "503 database down, workspace": outage_response(
            RequestFactory().post("/admin/measures/course/add/")
        ).content,
    }
    fail_with(validate_html(documents, vnu_command, tmp_path))
