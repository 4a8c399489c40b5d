"""Information pages (safe Markdown subset), the legal pages, the feedback form, sitemap.xml and
robots.txt."""

import time
from datetime import timedelta
from importlib import import_module
from unittest import mock
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from atlas import sitemaps
from core import markup
from measures.models import Course
from network.models import (
    Event,
    Membership,
    Network,
    Organisation,
    Project,
    Region,
    WorkingGroup,
)
from pages.info_defaults import DEFAULT_PAGES
from pages.models import AccessibilityFeedback, InfoPage
from pages.services import feedback_delete_old, info_page_save

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def soup(response):
    return BeautifulSoup(response.content, "lxml")


@pytest.fixture(autouse=True)
def fresh_menu_cache():
    caches["local"].clear()
    yield
    caches["local"].clear()


# The Markdown subset -----------------------------------------------------------------------------


def test_markup_escapes_html_and_keeps_only_its_own_tags():
    html = str(markup.render('<script>alert("x")</script> <b onclick="x">fett</b> & Co.'))
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;" in html and "&amp; Co." in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "//evil.example/",
        "vbscript:x",
    ],
)
def test_markup_drops_unsafe_links(url):
    html = str(markup.render(f"[klick]({url})"))
    assert "<a" not in html and "klick" in html


def test_markup_renders_headings_lists_links_and_emphasis():
    source = (
        "# Oben\n\nEin **fetter** und *schräger* Text mit [Link](https://example.org) "
        "und [Kurse](/kurse/?q=a&b=c).\nZweite Zeile\n\n- eins\n- zwei\n\n1. erst\n2. dann\n\n"
        "> Zitat\n\n---\n### Unten"
    )
    page = BeautifulSoup(str(markup.render(source)), "lxml")
    assert not page.find("h1")  # the page title is the only h1
    assert page.find("h2").get_text() == "Oben" and page.find("h2")["id"] == "abschnitt-oben"
    assert page.find("h3").get_text() == "Unten"
    assert page.find("strong").get_text() == "fetter" and page.find("em").get_text() == "schräger"
    assert [a["href"] for a in page.find_all("a")] == ["https://example.org", "/kurse/?q=a&b=c"]
    assert page.find("br")
    assert [li.get_text() for li in page.find("ul").find_all("li")] == ["eins", "zwei"]
    assert [li.get_text() for li in page.find("ol").find_all("li")] == ["erst", "dann"]
    assert page.find("blockquote").get_text(strip=True) == "Zitat"
    assert page.find("hr")


def test_markup_survives_hostile_input():
    for source in ("> " * 50_000, "[" * 10_000, "*" * 10_000, "- \n" * 5000, "\x00\ufeff#"):
        assert isinstance(str(markup.render(source)), str)


# Information pages ------------------------------------------------------------------------------


def make_page(**fields):
    fields.setdefault("title", "Förderung")
    fields.setdefault("slug", "foerderung-test")
    fields.setdefault("body", "## Bildungsgutschein\n\nDie **Agentur für Arbeit** hilft.")
    return info_page_save(page=InfoPage(**fields))


def test_info_page_renders_its_body_safely(client):
    page = make_page(body="Text mit <em>HTML</em> und [Link](javascript:alert(1)).")
    response = client.get(page.get_absolute_url())
    assert response.status_code == 200
    article = soup(response).find("article")
    assert article.find("h1").get_text() == "Förderung"
    assert not article.find("em") and "<em>HTML</em>" in article.get_text()
    assert not article.find("a", href=lambda href: href and "javascript" in href)


def test_info_page_is_rendered_once_at_save_and_never_per_view(client):
    page = make_page(body="## Abschnitt\n\nEin **fetter** Text mit [Link](/kurse/).")
    assert page.body_html == str(markup.render(page.body))
    assert InfoPage.objects.get(pk=page.pk).body_html == page.body_html
    with mock.patch("core.markup.render", wraps=markup.render) as renderer:
        for path in (page.get_absolute_url(), "/impressum/", "/barrierefreiheit/"):
            response = client.get(path)
            assert response.status_code == 200
    assert renderer.call_count == 0
    article = soup(client.get(page.get_absolute_url())).find("article")
    assert article.find("h2", id="abschnitt-abschnitt").get_text() == "Abschnitt"
    assert article.find("strong").get_text() == "fetter"
    assert article.find("a", href="/kurse/").get_text() == "Link"


def test_every_stored_page_holds_the_html_of_its_text():
    """The legal pages, the demo pages and the demo imprint (written by the loaders)."""
    pages = list(InfoPage.objects.all())
    assert len(pages) >= 8
    for page in pages:
        assert page.body_html == str(markup.render(page.body)), page.slug


def test_the_migration_renders_the_existing_pages():
    InfoPage.objects.update(body_html="")
    import_module("pages.migrations.0003_body_html").render_bodies(apps, None)
    for page in InfoPage.objects.all():
        assert page.body and page.body_html == str(markup.render(page.body)), page.slug


def test_unpublished_pages_are_404_and_legal_pages_redirect_to_their_address(client):
    page = make_page(is_published=False)
    assert client.get(page.get_absolute_url()).status_code == 404
    response = client.get("/info/impressum/")
    assert response.status_code == 301 and response["Location"] == "/impressum/"
    assert client.get("/info/gibt-es-nicht/").status_code == 404


def test_menu_pages_appear_in_the_header_and_footer(client):
    make_page(title="Förderung", slug="foerderung-oben", menu="main", position=1)
    make_page(title="Über uns", slug="ueber-uns-unten", menu="footer")
    make_page(title="Versteckt", slug="versteckt", menu="main", is_published=False)
    page = soup(client.get("/"))
    header = {a.get_text(strip=True): a["href"] for a in page.find("header").find_all("a")}
    footer = {a.get_text(strip=True): a["href"] for a in page.find("footer").find_all("a")}
    assert header["Förderung"] == "/info/foerderung-oben/"
    assert footer["Über uns"] == "/info/ueber-uns-unten/"
    assert "Versteckt" not in header
    index = soup(client.get("/info/"))
    assert "/info/foerderung-oben/" in {a["href"] for a in index.find("main").find_all("a")}


@pytest.mark.parametrize(
    "purpose, path",
    [
        ("imprint", "/impressum/"),
        ("privacy", "/datenschutz/"),
        ("accessibility", "/barrierefreiheit/"),
        ("easy_language", "/leichte-sprache/"),
        ("data_sources", "/datenquellen/"),
    ],
)
def test_legal_pages_are_editable_info_pages_at_their_addresses(client, purpose, path):
    page = InfoPage.objects.get(purpose=purpose)
    assert page.get_absolute_url() == path
    page.body = "## Geändert\n\nNeuer Text vom Netzwerk."
    info_page_save(page=page)
    html = soup(client.get(path))
    assert html.find("h2", string="Geändert") and "Neuer Text vom Netzwerk." in html.get_text()
    assert len(html.find_all("h1")) == 1


def test_a_deleted_legal_page_falls_back_to_its_default_text(client):
    InfoPage.objects.filter(purpose="privacy").delete()
    response = client.get("/datenschutz/")
    assert response.status_code == 200
    assert soup(response).find("h1").get_text() == DEFAULT_PAGES["privacy"]["title"]
    expected = BeautifulSoup(str(markup.render(DEFAULT_PAGES["privacy"]["body"])), "lxml")
    assert soup(response).find("article").find("h2") == expected.find("h2")
    with mock.patch("core.markup.render") as renderer:
        assert client.get("/datenschutz/").status_code == 200
    assert renderer.call_count == 0  # the default text is rendered once per process


def test_demo_has_the_legal_pages_and_the_demo_imprint():
    purposes = set(InfoPage.objects.exclude(purpose="").values_list("purpose", flat=True))
    assert purposes == set(DEFAULT_PAGES)
    imprint = InfoPage.objects.get(purpose="imprint")
    assert "§ 5" in imprint.body and "Demonstrations-Installation" in imprint.body
    assert InfoPage.objects.filter(purpose="", is_published=True).count() >= 3


LEGAL_PATHS = ["/impressum/", "/datenschutz/", "/barrierefreiheit/", "/leichte-sprache/"]


@pytest.mark.parametrize("path", [*LEGAL_PATHS, "/datenquellen/"])
def test_legal_pages_have_no_broken_placeholders_or_links(client, path):
    response = client.get(path)
    assert response.status_code == 200
    article = soup(response).find("article")
    text = article.get_text(" ", strip=True)
    # Markup that did not render, template or editing leftovers.
    for leftover in ("**", "##", "](", "{{", "{%", "TODO", "XXX", "Lorem", "None"):
        assert leftover not in text, leftover
    # Every link inside the site leads to a page.
    for link in article.find_all("a", href=True):
        href = link["href"]
        if href.startswith("/"):
            assert client.get(href).status_code == 200, href
        else:
            assert href.startswith(("https://", "mailto:")), href


def test_demo_imprint_marks_every_example_for_the_operator_to_replace(client):
    article = soup(client.get("/impressum/")).find("article")
    sections = {
        h2.get_text(strip=True): h2.find_next_sibling("p").get_text(" ", strip=True)
        for h2 in article.find_all("h2")
    }
    for heading in (
        "Anbieter dieses Portals",
        "Vertreten durch",
        "Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV",
    ):
        assert "(Beispiel)" in sections[heading], heading
    assert sections["Kontakt"].endswith(".example")  # a reserved, never-real domain
    text = article.get_text(" ", strip=True)
    assert "Alle Angaben unten sind Beispiele" in text and "ersetzt sie" in text
    # Prose is not broken into lines; only the address is.
    intro = article.find("strong", string=lambda s: s and "Demonstrations" in s).parent
    assert not intro.find("br")
    address = sections["Anbieter dieses Portals"]
    assert "Musterstraße 1" in address
    assert len(article.find("h2").find_next_sibling("p").find_all("br")) == 2


def test_default_imprint_asks_the_operator_for_each_detail():
    body = DEFAULT_PAGES["imprint"]["body"]
    page = BeautifulSoup(str(markup.render(body)), "lxml")
    for heading in ("Anbieter dieses Portals", "Vertreten durch", "Kontakt"):
        section = page.find("h2", string=heading).find_next_sibling("p")
        assert section.find("strong").get_text() == "Bitte ergänzen:", heading
    assert "§ 5" in body and "§ 18 Abs. 2 MStV" in body


def test_easy_language_page_explains_start_page_search_and_accessibility(client):
    text = soup(client.get("/leichte-sprache/")).find("main").get_text(" ")
    for phrase in ("Bildungs-Atlas", "Post-Leit-Zahl", "Barriere-Freiheit", "Anbieter"):
        assert phrase in text
    assert "z. B." not in text and "usw." not in text


def test_accessibility_statement_names_limits_and_the_arbitration_body(client):
    text = soup(client.get("/barrierefreiheit/")).find("main").get_text(" ")
    assert "Was noch nicht barrierefrei ist" in text
    assert "§ 16" in text and "Schlichtungsstelle" in text


def test_only_one_page_per_purpose_form_and_database():
    form_class = modelform_factory(InfoPage, fields=["title", "slug", "purpose", "body"])
    form = form_class(
        data={
            "title": "Zweites Impressum",
            "slug": "impressum-2",
            "purpose": "imprint",
            "body": "x",
        }
    )
    assert not form.is_valid()
    assert "Für diese Pflichtseite gibt es schon eine Seite." in str(form.errors)
    with pytest.raises(IntegrityError), transaction.atomic():
        InfoPage.objects.create(title="Zwei", slug="impressum-2", purpose="imprint", body="x")


def test_legal_pages_cannot_be_unpublished_form_and_database():
    page = InfoPage.objects.get(purpose="imprint")
    page.is_published = False
    with pytest.raises(ValidationError):
        page.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        InfoPage.objects.filter(pk=page.pk).update(is_published=False)


# The feedback form ------------------------------------------------------------------------------


def test_feedback_is_stored_and_confirmed(client):
    response = client.post(
        "/barrierefreiheit/",
        {"message": "Die Karte kann ich mit dem Screenreader nicht lesen.", "page": "/regionen/"},
        follow=True,
    )
    assert response.redirect_chain == [("/barrierefreiheit/", 302)]
    status = soup(response).find(attrs={"role": "status"})
    assert status and "Vielen Dank" in status.get_text()
    feedback = AccessibilityFeedback.objects.get()
    assert feedback.page == "/regionen/" and feedback.email == "" and not feedback.is_resolved
    field_names = {field.name for field in AccessibilityFeedback._meta.get_fields()}
    assert not field_names & {"ip", "ip_address", "user_agent", "user"}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"message": ""}, "message"),
        ({"message": "kurz"}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "Eine ausführliche Nachricht.", "email": "keine-adresse"}, "email"),
    ],
)
def test_bad_feedback_is_rejected_with_a_message_and_not_stored(client, data, field):
    response = client.post("/barrierefreiheit/", data)
    assert response.status_code == 400
    page = soup(response)
    alert = page.find(attrs={"role": "alert"})
    assert alert and alert.find("a", href=f"#id_{field}")
    assert page.find(id=f"id_{field}").get("aria-invalid") == "true"
    assert AccessibilityFeedback.objects.count() == 0


def test_bots_filling_the_hidden_field_are_thanked_but_not_stored(client):
    response = client.post(
        "/barrierefreiheit/",
        {"message": "Kaufen Sie jetzt billige Uhren!", "website": "https://spam.example"},
    )
    assert response.status_code == 302
    assert AccessibilityFeedback.objects.count() == 0


def test_an_empty_post_is_rejected_with_a_message(client):
    response = client.post("/barrierefreiheit/", {})
    assert response.status_code == 400
    assert soup(response).find(attrs={"role": "alert"}).find("a", href="#id_message")
    assert AccessibilityFeedback.objects.count() == 0


FEEDBACK = {"message": "Der Kontrast der Filterknöpfe ist zu schwach."}


def test_feedback_is_limited_per_client_with_a_clear_message(client, settings):
    settings.FEEDBACK_PER_CLIENT = 2
    for _ in range(2):
        assert client.post("/barrierefreiheit/", FEEDBACK).status_code == 302
    data = {**FEEDBACK, "message": "Noch eine dritte Rückmeldung zur Karte.", "name": "Ada"}
    response = client.post("/barrierefreiheit/", data)
    assert response.status_code == 429
    page = soup(response)
    alert = page.find(attrs={"role": "alert"}).get_text(" ", strip=True)
    assert "schon 2 Rückmeldungen" in alert and "60 Minuten" in alert
    # What was typed is kept for the next try.
    assert page.find(id="id_message").get_text().strip() == data["message"]
    assert page.find(id="id_name")["value"] == "Ada"
    assert AccessibilityFeedback.objects.count() == 2
    # Another client is not held up.
    other = client.post("/barrierefreiheit/", data, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302
    assert AccessibilityFeedback.objects.count() == 3


def test_feedback_limit_counts_no_rejected_input_or_bots_and_ends(client, settings):
    settings.FEEDBACK_PER_CLIENT = 1
    settings.FEEDBACK_WINDOW_SECONDS = 1
    assert client.post("/barrierefreiheit/", {"message": "kurz"}).status_code == 400
    spam = {**FEEDBACK, "website": "https://spam.example"}
    assert client.post("/barrierefreiheit/", spam).status_code == 302
    assert client.post("/barrierefreiheit/", FEEDBACK).status_code == 302
    assert client.post("/barrierefreiheit/", FEEDBACK).status_code == 429
    time.sleep(1.2)  # the window is over
    assert client.post("/barrierefreiheit/", FEEDBACK).status_code == 302
    assert AccessibilityFeedback.objects.count() == 2


def test_feedback_limit_keeps_no_address():
    from django.test import RequestFactory

    from atlas.models import RateCount
    from core import ratelimit

    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.44")
    assert ratelimit.attempt_client("feedback", request, limit=1, window=60)
    assert not ratelimit.attempt_client("feedback", request, limit=1, window=60)
    assert "192.0.2.44" not in ratelimit.client_key("feedback", request)
    [count] = RateCount.objects.all()
    assert "192.0.2.44" not in count.key and count.count == 2


def test_form_fields_have_labels_and_described_help(client):
    page = soup(client.get("/barrierefreiheit/"))
    form = page.find("form", action=lambda action: action and "barrierefreiheit" in action)
    for name in ("message", "page", "name", "email"):
        field = form.find(attrs={"name": name})
        assert form.find("label", attrs={"for": field["id"]})
    assert "id_message_helptext" in form.find(attrs={"name": "message"})["aria-describedby"]


def test_old_and_resolved_feedback_is_deleted():
    old = AccessibilityFeedback.objects.create(message="Eine alte Rückmeldung.")
    AccessibilityFeedback.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    AccessibilityFeedback.objects.create(message="Erledigte Rückmeldung.", is_resolved=True)
    fresh = AccessibilityFeedback.objects.create(message="Eine neue Rückmeldung.")
    assert feedback_delete_old() == 2
    assert list(AccessibilityFeedback.objects.all()) == [fresh]


def test_delete_old_feedback_command_deletes_and_reports(capsys):
    old = AccessibilityFeedback.objects.create(message="Eine alte Rückmeldung.")
    AccessibilityFeedback.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    AccessibilityFeedback.objects.create(message="Erledigte Rückmeldung.", is_resolved=True)
    fresh = AccessibilityFeedback.objects.create(message="Eine neue Rückmeldung.")
    call_command("delete_old_feedback", "--days", "30")
    assert "2 Rückmeldungen gelöscht." in capsys.readouterr().out
    assert list(AccessibilityFeedback.objects.all()) == [fresh]
    call_command("delete_old_feedback", verbosity=0)  # nothing left to delete: no error
    assert AccessibilityFeedback.objects.count() == 1


# sitemap.xml and robots.txt ---------------------------------------------------------------------


def sitemap_locations(client, path) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200 and "xml" in response["Content-Type"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    root = ElementTree.fromstring(content)  # noqa: S314 - our own response
    return [element.text for element in root.iter(f"{SITEMAP}loc")]


def test_sitemap_lists_every_kind_of_public_page(client):
    sections = sitemap_locations(client, "/sitemap.xml")
    assert len(sections) == 6
    locations = set()
    for section in sections:
        locations.update(sitemap_locations(client, section.removeprefix("http://testserver")))
    paths = {location.removeprefix("http://testserver") for location in locations}
    course = Course.objects.public().first()
    provider = Organisation.objects.filter(is_provider=True).first()
    network = Network.objects.first()
    group = WorkingGroup.objects.first()
    project = Project.objects.first()
    event = Event.objects.first()
    info = InfoPage.objects.filter(purpose="").first()
    for path in (
        "/netzwerk/",
        "/datenschutz/",
        "/leichte-sprache/",
        project.get_absolute_url(),
        event.get_absolute_url(),
        f"/netzwerk/{network.slug}/vorhaben/",
        f"/netzwerk/{network.slug}/veranstaltungen/",
        "/",
        "/kurse/",
        "/anbieter/",
        "/partner/",
        "/regionen/",
        "/impressum/",
        "/barrierefreiheit/",
        course.get_absolute_url(),
        provider.get_absolute_url(),
        network.get_absolute_url(),
        group.get_absolute_url(),
        info.get_absolute_url(),
        "/regionen/07/",
        "/regionen/07315/",
    ):
        assert path in paths, path
    assert (
        len([p for p in paths if p.startswith("/regionen/")]) > Region.objects.districts().count()
    )
    # An organisation known only through a hidden membership is not advertised.
    hidden_only = (
        Organisation.objects.filter(is_provider=False, memberships__is_public=False)
        .exclude(memberships__is_public=True)
        .first()
    )
    assert hidden_only.get_absolute_url() not in paths
    assert all(p.startswith("/") for p in paths)
    # Every advertised page is there (a sample of each section).
    for section_paths in (
        [p for p in paths if p.startswith(prefix)][:3]
        for prefix in ("/kurse/", "/anbieter/", "/netzwerk/", "/regionen/", "/info/")
    ):
        for path in section_paths:
            assert client.get(path).status_code == 200, path
    # Drafts and unpublished information pages are not advertised.
    draft = Course.objects.exclude(status="published").first()
    assert draft.get_absolute_url() not in paths


def test_unknown_sitemap_section_is_404(client):
    assert client.get("/sitemap-gibtsnicht.xml").status_code == 404


def test_sitemap_files_split_a_section_and_each_address_is_in_one(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 7)
    public = Course.objects.public().count()
    files = [
        location.removeprefix("http://testserver")
        for location in sitemap_locations(client, "/sitemap.xml")
        if "/sitemap-kurse.xml" in location
    ]
    assert len(files) == -(-public // 7) > 2
    assert files[:2] == ["/sitemap-kurse.xml", "/sitemap-kurse.xml?p=2"]
    listed = [location for path in files for location in sitemap_locations(client, path)]
    assert len(listed) == len(set(listed)) == public
    assert {location.removeprefix("http://testserver") for location in listed} == {
        course.get_absolute_url() for course in Course.objects.public()
    }
    for beyond in (len(files) + 1, 0, "zwei", "1.5", "٣"):
        assert client.get("/sitemap-kurse.xml", {"p": beyond}).status_code == 404, beyond


def test_sitemap_index_dates_its_sections_by_their_latest_change(client):
    course = Course.objects.public().order_by("pk").first()
    Course.objects.filter(pk=course.pk).update(updated_at=timezone.now() + timedelta(days=3))
    index = client.get("/sitemap.xml").content.decode()
    day = f"{timezone.now() + timedelta(days=3):%Y-%m-%d}"
    assert f"/sitemap-kurse.xml</loc><lastmod>{day}</lastmod>" in index
    response = client.get("/sitemap-kurse.xml")
    assert response.streaming and response["X-Robots-Tag"].startswith("noindex")
    assert (
        f"{course.get_absolute_url()}</loc><lastmod>{day}</lastmod>"
        in b"".join(response.streaming_content).decode()
    )


def test_robots_txt_names_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text
    assert f"Sitemap: http://testserver{reverse('atlas:sitemap')}" in text


def test_hidden_membership_is_not_public(client):
    network = Network.objects.create(name="Netz", slug="netz-hidden")
    organisation = Organisation.objects.create(name="Verborgen", slug="verborgen-x", kind="company")
    Membership.objects.create(
        network=network, organisation=organisation, role="cooperation", is_public=False
    )
    assert client.get(organisation.get_absolute_url()).status_code == 404


# Admin --------------------------------------------------------------------------------------------


def test_coordinators_edit_pages_in_admin_but_cannot_delete_legal_pages(admin_client):
    imprint = InfoPage.objects.get(purpose="imprint")
    assert admin_client.get(reverse("admin:pages_infopage_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:pages_infopage_add")).status_code == 200
    change = reverse("admin:pages_infopage_change", args=[imprint.pk])
    assert admin_client.get(change).status_code == 200
    assert (
        admin_client.get(reverse("admin:pages_infopage_delete", args=[imprint.pk])).status_code
        == 403
    )
    page = make_page()
    assert (
        admin_client.get(reverse("admin:pages_infopage_delete", args=[page.pk])).status_code == 200
    )


def test_feedback_is_listed_in_admin_and_cannot_be_invented(admin_client):
    feedback = AccessibilityFeedback.objects.create(message="Der Kontrast ist zu schwach.")
    listing = admin_client.get(reverse("admin:pages_accessibilityfeedback_changelist"))
    assert "Der Kontrast ist zu schwach." in listing.content.decode()
    change = reverse("admin:pages_accessibilityfeedback_change", args=[feedback.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.get(reverse("admin:pages_accessibilityfeedback_add")).status_code == 403
