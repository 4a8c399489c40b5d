"""Session-wide results of the page checks: every public page is fetched, validated and
visited in the browser once per worker; the tests in test_pages.py only read the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.browser import conftest as browser_conftest
from tests.browser.conftest import require_test_database
from tests.pages.checks import (
    BrowserFindings,
    Fetched,
    LinkChecker,
    browse,
    fetch,
    validate_html,
)
from tests.pages.urls import NoPaths, UrlPattern, concrete_paths, page_patterns

# The live server, browser and tool fixtures: one definition, in tests/browser/conftest.py.
site_url = browser_conftest.site_url
browser = browser_conftest.browser
axe_path = browser_conftest.axe_path
vnu_command = browser_conftest.vnu_command


@dataclass
class SitePages:
    paths: dict[str, list[str]] = field(default_factory=dict)  # pattern key -> paths
    missing: dict[str, str] = field(default_factory=dict)  # pattern key -> why no paths
    responses: dict[str, Fetched] = field(default_factory=dict)  # path -> response

    def paths_for(self, pattern: UrlPattern) -> list[str]:
        """The pattern's paths; fails the test (naming the pattern) when there are none."""
        if pattern.key in self.missing:
            pytest.fail(self.missing[pattern.key], pytrace=False)
        return self.paths[pattern.key]

    def html_documents(self) -> dict[str, bytes]:
        return {
            path: fetched.content
            for path, fetched in self.responses.items()
            if fetched.status == 200 and fetched.is_html
        }


@pytest.fixture(scope="session")
def site_pages(django_db_setup, django_db_blocker) -> SitePages:
    """Every page of every public pattern, fetched once with the Django test client."""
    require_test_database()
    pages = SitePages()
    client = Client(raise_request_exception=False)
    with django_db_blocker.unblock():
        for pattern in page_patterns():
            try:
                pages.paths[pattern.key] = concrete_paths(pattern)
            except NoPaths as error:
                pages.missing[pattern.key] = str(error)
                continue
            for path in pages.paths[pattern.key]:
                if path not in pages.responses:
                    pages.responses[path] = fetch(client, path)
    return pages


@pytest.fixture(scope="session")
def link_problems(site_pages, django_db_blocker) -> dict[str, list[str]]:
    """path -> what is wrong with the internal links of that page (see LinkChecker)."""
    checker = LinkChecker(Client(raise_request_exception=False), known=site_pages.responses)
    with django_db_blocker.unblock():
        return {
            path: checker.check_page(path, html)
            for path, html in site_pages.html_documents().items()
        }


@pytest.fixture(scope="session")
def html_errors(site_pages, vnu_command, tmp_path_factory) -> dict[str, list[str]]:
    """path -> Nu Html Checker errors, from one run of vnu over all HTML pages."""
    return validate_html(site_pages.html_documents(), vnu_command, tmp_path_factory.mktemp("vnu"))


@pytest.fixture(scope="session")
def browser_findings(
    site_pages, browser, site_url, axe_path, django_db_blocker
) -> dict[str, BrowserFindings]:
    """path -> what Chromium saw on the page, at phone and desktop width."""
    with django_db_blocker.unblock():
        return browse(browser, site_url, list(site_pages.html_documents()), axe_path)
