"""A throwaway URLconf for tests/pages/test_harness.py: pages with planted faults, one for each
check, plus a clean page that must pass them all. Not part of the site.
"""

from django.contrib import admin
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, re_path
from django.views.static import serve

# A 1×1 transparent GIF; data: images are allowed by the site's Content-Security-Policy.
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def page(title: str, body: str, head: str = "", viewport: bool = True) -> str:
    meta = (
        '<meta name="viewport" content="width=device-width, initial-scale=1">' if viewport else ""
    )
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
{meta}
<title>{title} – Prüfstand</title>
{head}
</head>
<body>
<header><p>Prüfstand</p></header>
<main>
<h1>{title}</h1>
{body}
</main>
<footer><p>Nur für Tests.</p></footer>
</body>
</html>
"""


def html(content: str, **headers) -> HttpResponse:
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def good(request):
    return html(page("Alles in Ordnung", "<p>Diese Seite besteht jede Prüfung.</p>"))


def duplicate_id(request):
    return html(page("Doppelte ID", '<p id="eins">Erster</p><p id="eins">Zweiter</p>'))


def image_without_alt(request):
    return html(
        page("Bild ohne Alternativtext", f'<p><img src="{PIXEL}" width="1" height="1"></p>')
    )


def external_stylesheet(request):
    # Its own, permissive policy, so that the browser really asks the other host (the
    # site's policy would block the request and only the console would tell).
    return html(
        page(
            "Fremdes Stylesheet",
            "<p>Lädt CSS von einem anderen Host.</p>",
            head='<link rel="stylesheet" href="http://cdn.example.invalid/site.css">',
        ),
        Content_Security_Policy="default-src *",
    )


def missing_file(request):
    return html(
        page(
            "Fehlende Datei",
            "<p>Verweist auf ein Stylesheet, das es nicht gibt.</p>",
            head='<link rel="stylesheet" href="/static/gibt-es-nicht.css">',
        )
    )


def too_wide(request):
    word = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen" * 3
    return html(page("Zu breit", f"<p>{word}</p>"))


def without_viewport(request):
    return html(
        page("Ohne Viewport", "<p>Ein Telefon zeigt diese Seite 980 px breit.</p>", viewport=False)
    )


def inline_script(request):
    return html(page("Inline-Skript", '<p>Gesperrt.</p><script>document.title = "x";</script>'))


def script_error(request):
    return html(page("Skriptfehler", '<p>Das Skript wirft.</p><script src="/fehler.js"></script>'))


def failing_script(request):
    return HttpResponse('throw new Error("kaputt");', content_type="text/javascript")


def fragile(request):
    page_number = int(request.GET.get("page", "1"))  # a 500 on ?page=abc
    return html(page("Zerbrechlich", f"<p>Seite {page_number}</p>"))


THINGS = {"eins": "Eins"}


def thing(request, slug):
    return html(page(THINGS[slug], "<p>Ein Ding.</p>"))  # a 500 for an unknown slug


def robots(request):
    return HttpResponse("User-agent: *\n", content_type="text/plain; charset=utf-8")


def calendar_as_html(request):
    return html(page("Kalender", "<p>Eigentlich text/calendar.</p>"))


def links(request):
    """Links of every sort: good ones, broken ones, and those the link check leaves alone."""
    return html(
        page(
            "Verweise",
            """<ul>
<li><a href="/gut/">gut</a> <a href="gut/#abschnitt">relativ, mit Anker</a></li>
<li><a href="http://testserver/auch-gut/">absolut, dieser Host</a></li>
<li><a href="/umleitung/">Umleitung auf eine gute Seite</a></li>
<li><a href="/umleitung/?nach=kaputt">Umleitung auf eine fehlende Seite</a></li>
<li><a href="/umleitung/?nach=fremd">Umleitung auf einen anderen Host</a></li>
<li><a href="/gibt-es-nicht/">fehlt</a></li>
<li><a href="/zerbrechlich/?page=x">Serverfehler</a></li>
<li><a href="/dinge/eins/">Ding</a> <a href="/dinge/zwei/">fehlendes Ding</a></li>
<li><a href="https://example.org/">anderer Host</a> <a href="mailto:a@example.org">Post</a>
<a href="tel:+49">Telefon</a> <a href="#oben">Anker</a> <a href="/admin/">Verwaltung</a></li>
</ul>
<form action="/suche-fehlt/"><p><button>Suchen</button></p></form>
<form action="/post-fehlt/" method="post"><p><button>Senden</button></p></form>""",
            head='<link rel="stylesheet" href="/static/css/site.css">'
            '<link rel="stylesheet" href="/static/gibt-es-nicht.css">'
            '<link rel="alternate" type="text/calendar" href="/kalender.ics">',
        )
    )


def many_links(request):
    items = "".join(f'<li><a href="/zerbrechlich/?page={n}">{n}</a></li>' for n in range(1, 11))
    return html(page("Viele Verweise", f'<ul>{items}<li><a href="/gut/">gut</a></li></ul>'))


def redirect(request):
    target = {"kaputt": "/gibt-es-nicht/", "fremd": "https://example.org/"}
    return HttpResponseRedirect(target.get(request.GET.get("nach", ""), "/gut/"))


urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": "/nonexistent"}),
    path("gut/", good, name="good"),
    re_path(r"^auch-gut/$", good),  # unnamed, as a regular expression
    path("doppelte-id/", duplicate_id, name="duplicate_id"),
    path("bild-ohne-alt/", image_without_alt, name="image_without_alt"),
    path("fremdes-css/", external_stylesheet, name="external_stylesheet"),
    path("fehlende-datei/", missing_file, name="missing_file"),
    path("zu-breit/", too_wide, name="too_wide"),
    path("ohne-viewport/", without_viewport, name="without_viewport"),
    path("inline-skript/", inline_script, name="inline_script"),
    path("skriptfehler/", script_error, name="script_error"),
    path("fehler.js", failing_script, name="failing_script"),
    path("zerbrechlich/", fragile, name="fragile"),
    path("dinge/<slug:slug>/", thing, name="thing"),
    path("robots.txt", robots, name="robots"),
    path("kalender.ics", calendar_as_html, name="calendar"),
    path("verweise/", links, name="links"),
    path("viele-verweise/", many_links, name="many_links"),
    path("umleitung/", redirect, name="redirect"),
]
