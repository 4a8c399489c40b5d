"""The site's header and footer (atlas.templatetags.site_parts): rendered once per reference
generation, language and current page, and still right for every page."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model

from pages.models import InfoPage
from pages.services import info_page_save

pytestmark = pytest.mark.django_db

NAVIGATION = ["/kurse/", "/anbieter/", "/regionen/"]


def soup(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "lxml")


def marked(html) -> list[str]:
    """The links of the header's navigation marked as the current page."""
    return [a["href"] for a in html.select("header nav a[aria-current=page]")]


def make_menu_page(title, slug, menu="main"):
    return info_page_save(page=InfoPage(title=title, slug=slug, body="Text.", menu=menu))


def test_each_page_marks_its_own_navigation_entry_and_no_other(client):
    for _round in range(2):  # the second round from the rendered parts
        for path in NAVIGATION:
            assert marked(soup(client, path)) == [path]
        assert marked(soup(client, "/")) == []
        assert marked(soup(client, "/kurse/?q=Englisch")) == ["/kurse/"]


def test_a_menu_page_is_marked_where_it_is_the_current_page(client):
    page = make_menu_page("Förderung", "foerderung-oben")
    url = page.get_absolute_url()
    assert marked(soup(client, "/")) == []
    assert marked(soup(client, url)) == [url]
    assert marked(soup(client, "/kurse/")) == ["/kurse/"]


def test_a_new_menu_page_reaches_header_and_footer_at_once(client):
    soup(client, "/")  # header and footer rendered for the current generation
    make_menu_page("Förderung", "foerderung-oben")
    make_menu_page("Über uns", "ueber-uns-unten", menu="footer")
    html = soup(client, "/")
    assert "Förderung" in html.find("header").get_text()
    assert "Über uns" in html.find("footer").get_text()


def test_header_and_footer_are_the_same_for_every_visitor(client):
    anonymous = soup(client, "/kurse/")
    user = get_user_model().objects.create_user("besucherin", password="x" * 16)
    client.force_login(user)
    logged_in = soup(client, "/kurse/")
    assert str(logged_in.find("header")) == str(anonymous.find("header"))
    assert str(logged_in.find("footer")) == str(anonymous.find("footer"))
