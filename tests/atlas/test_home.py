import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict
from django.urls import reverse

from atlas.views import HOME_EXAMPLES
from measures.models import Course
from network.models import Network

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def test_home_has_one_search_box_subjects_regions_news_and_networks(client):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    assert len(page.find_all("h1")) == 1
    form = page.find("form", attrs={"role": "search"})
    assert form["action"] == reverse("measures:course_list")
    assert form.find("input", attrs={"name": "q"})
    subjects = page.find(id="subjects-title").find_parent("section").find_all("a")
    assert any("?subject=" in link["href"] for link in subjects)
    news = page.find(id="new-title").find_parent("section").select(".card h3 a")
    public_slugs = set(Course.objects.public().values_list("slug", flat=True))
    assert news and all(
        link["href"].rstrip("/").rsplit("/", 1)[-1] in public_slugs for link in news
    )
    regions = page.find(id="regions-title").find_parent("section").find_all("a")
    assert any(link["href"] == "/regionen/07315/" for link in regions)
    network_links = {
        a["href"] for a in page.find(id="network-title").find_parent("section").find_all("a")
    }
    for network in Network.objects.all():
        assert network.get_absolute_url() in network_links


def test_subject_counts_on_home_match_the_course_list(client):
    page = soup(client.get("/"))
    section = page.find(id="subjects-title").find_parent("section")
    checked = 0
    for item in section.find_all("li"):
        link = item.find("a")
        count = int(item.find(class_="count").get_text(strip=True).strip("()"))
        listing = soup(client.get(link["href"]))
        heading = listing.find("h2", id="result-count").get_text(" ", strip=True)
        assert heading.startswith(f"{count} "), (link["href"], heading)
        checked += 1
    assert checked >= 5


def test_base_template_landmarks_skip_link_and_legal_links(client):
    page = soup(client.get("/"))
    skip = page.find("a", class_="skip-link")
    assert skip["href"] == "#inhalt" and page.find("main", id="inhalt")
    assert page.find("header") and page.find("footer") and page.find("nav")
    footer_links = {a["href"] for a in page.find("footer").find_all("a")}
    for name in ("imprint", "privacy", "accessibility", "easy_language", "data_sources"):
        assert reverse(f"atlas:{name}") in footer_links
    assert "GeoBasis-DE" in page.find("footer").get_text()
    assert page.find("html")["lang"] == "de"
    for tag in page.find_all(["link", "script", "img"]):
        url = tag.get("href") or tag.get("src") or ""
        assert not url.startswith(("http:", "https:", "//")), url


def test_content_security_policy_forbids_inline_code_and_other_hosts(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    "name", ["imprint", "privacy", "accessibility", "easy_language", "data_sources"]
)
def test_legal_pages_render(client, name):
    response = client.get(reverse(f"atlas:{name}"))
    assert response.status_code == 200
    assert len(soup(response).find_all("h1")) == 1


def test_accessibility_statement_names_the_arbitration_body(client):
    text = soup(client.get(reverse("atlas:accessibility"))).get_text()
    assert "§ 16" in text and "Schlichtungsstelle" in text


def test_robots_txt_keeps_crawlers_out_of_admin(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.content.decode()


def test_home_rejects_post(client):
    assert client.post("/").status_code == 405


# The examples under the search box ------------------------------------------------------------


def example_links(client):
    examples = soup(client.get("/")).find(id="home-q-help")
    return {link.get_text(strip=True): link["href"] for link in examples.select("li a")}


def test_the_examples_are_a_list_of_links_to_their_searches(client):
    links = example_links(client)
    assert list(links) == [str(example) for example in HOME_EXAMPLES]
    for text, href in links.items():
        path, _, query = href.partition("?")
        assert path == reverse("measures:course_list")
        assert QueryDict(query)["q"] == text


@pytest.mark.parametrize("example", [str(example) for example in HOME_EXAMPLES])
def test_every_example_on_the_home_page_finds_courses(client, example):
    href = example_links(client)[example]
    response = client.get(href)
    assert response.status_code == 200
    heading = soup(response).find("h2", id="result-count").get_text(" ", strip=True)
    assert int(heading.split()[0]) >= 1, (href, heading)
