"""What only a browser shows: the map's districts are reached and followed with the keyboard,
and the provider filters open and work on a phone without a mouse."""

from __future__ import annotations

import pytest

from tests.browser import conftest as browser_conftest

pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.xdist_group("pages")]
site_url = browser_conftest.site_url
browser = browser_conftest.browser

FOCUSED_LABEL = "() => document.activeElement && document.activeElement.getAttribute('aria-label')"


def test_map_districts_are_links_reached_and_followed_with_the_keyboard(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(site_url + "/regionen/07/", wait_until="load")
        label = None
        for _press in range(80):
            page.keyboard.press("Tab")
            label = page.evaluate(FOCUSED_LABEL)
            if label and "Kurs" in label:
                break
        assert label and ":" in label, "no map shape took the focus"
        href = page.evaluate("() => document.activeElement.getAttribute('href')")
        outline = page.evaluate(
            "() => getComputedStyle(document.activeElement.querySelector('path')).strokeWidth"
        )
        assert outline == "3px"  # the focus is visible on the shape
        page.keyboard.press("Enter")
        page.wait_for_url(site_url + href)
        assert page.locator("h1").inner_text().split(" (")[0] == label.split(" (")[0].split(":")[0]
    finally:
        context.close()


def test_provider_filters_open_and_apply_on_a_phone_with_the_keyboard(browser, site_url):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="de-DE"
    )
    try:
        page = context.new_page()
        page.goto(site_url + "/anbieter/", wait_until="load")
        panel = page.locator("#filter-panel")
        assert panel.get_attribute("open") is None  # closed on a phone
        page.focus("#filter-panel > summary")
        page.keyboard.press("Enter")
        assert panel.get_attribute("open") is not None
        page.check("input[name=kind][value=vhs]")
        page.locator(".filter-panel__actions button").press("Enter")
        page.wait_for_url("**/anbieter/?*kind=vhs*")
        chips = page.locator(".chips a.chip")
        assert chips.count() == 1 and "Volkshochschule" in chips.first.inner_text()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 361
    finally:
        context.close()
