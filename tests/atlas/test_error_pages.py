import pytest
from django.template import loader

from atlas.views import not_found

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.atlas.slow_urls")
def test_a_query_past_the_statement_timeout_answers_503_with_a_page_that_says_so(client):
    response = client.get("/langsam/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Die Seite braucht zu lange" in page
    assert 'href="/kurse/"' in page
    # The connection is usable again at once.
    assert client.get("/").status_code == 200


def test_an_unknown_address_answers_404_with_the_site_around_it(client, settings):
    settings.DEBUG = False
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Seite nicht gefunden" in page
    assert 'action="/kurse/"' in page  # a way on: the course search
    assert 'href="/impressum/"' in page  # the site's footer


def test_a_server_error_page_stands_without_the_database(client, settings):
    page = loader.get_template("500.html").render({})
    assert "Ein Fehler ist aufgetreten" in page
    assert '<html lang="de">' in page


@pytest.mark.urls("tests.pages.harness_urls")
def test_the_404_page_falls_back_to_text_when_the_site_around_it_is_missing(client, settings):
    settings.DEBUG = False
    response = not_found(client.get("/").wsgi_request)
    assert response.status_code == 404
    assert response.content.decode() == "Seite nicht gefunden."
