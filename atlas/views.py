import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotFound, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from atlas import sitemaps
from core import ratelimit
from measures import selectors as course_selectors
from network import selectors as network_selectors
from pages import selectors
from pages.forms import AccessibilityFeedbackForm
from pages.models import InfoPage
from pages.services import feedback_submit

logger = logging.getLogger(__name__)

# The home page's examples of what to type: each a link to its search, and each tested to find
# courses in the demo catalogue (tests/atlas/test_home.py). Search terms in the catalogue's
# language: a translation must name terms that find courses in that language too.
HOME_EXAMPLES = (
    gettext_lazy("Englisch"),
    gettext_lazy("Pflege"),
    gettext_lazy("Computer für Ältere"),
    gettext_lazy("Mechatroniker"),
)


@require_GET
def home(request):
    return render(
        request,
        "atlas/home.html",
        {
            "examples": HOME_EXAMPLES,
            "subject_areas": course_selectors.subject_areas_with_counts(),
            "latest_courses": course_selectors.latest_courses(limit=6),
            "regions": network_selectors.covered_regions(),
            "networks": network_selectors.networks_in_brief(),
            "course_count": course_selectors.public_course_count(),
        },
    )


def not_found(request, exception=None):
    """The site's 404 page: the search and the site around it; a plain text when the page
    around it cannot be drawn (an error page must not fail)."""
    try:
        return render(request, "atlas/not_found.html", status=404)
    except Exception:  # noqa: BLE001 - the page needs the database and the URLs
        logger.exception("The 404 page could not be rendered")
        return HttpResponseNotFound(
            gettext("Seite nicht gefunden."), content_type="text/plain; charset=utf-8"
        )


SITEMAP_HEADERS = {"X-Robots-Tag": "noindex, noodp, noarchive"}


@require_GET
def sitemap_index(request):
    base = f"{request.scheme}://{request.get_host()}"
    return HttpResponse(
        "".join(sitemaps.index_lines(base)),
        content_type="application/xml; charset=utf-8",
        headers=SITEMAP_HEADERS,
    )


@require_GET
def sitemap_section(request, section):
    """One file of a section (``?p=N``), streamed; an unknown section or file is 404."""
    section_class = sitemaps.SITEMAPS.get(section)
    if section_class is None:
        raise Http404
    chosen = section_class()
    page = request.GET.get("p", "1")
    if not (page.isascii() and page.isdigit() and 1 <= int(page) <= chosen.pages()):
        raise Http404
    base = f"{request.scheme}://{request.get_host()}"
    # The rows are read before the response starts (a file is at most PAGE_SIZE addresses),
    # so no query runs after the view has returned.
    entries = chosen.entries(int(page))
    return StreamingHttpResponse(
        sitemaps.section_chunks(base, entries),
        content_type="application/xml; charset=utf-8",
        headers=SITEMAP_HEADERS,
    )


@require_GET
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("atlas:sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
def info_index(request):
    return render(request, "atlas/info_index.html", {"pages": selectors.published_pages()})


@require_GET
def info_page(request, slug):
    page = get_object_or_404(selectors.published_pages(), slug=slug)
    if page.purpose:
        return redirect(page.get_absolute_url(), permanent=True)
    return render(request, "atlas/info_page.html", {"page": page})


@require_GET
def legal_page(request, purpose):
    return render(
        request,
        "atlas/info_page.html",
        {"page": selectors.page_for_purpose(purpose), "purpose": purpose},
    )


FEEDBACK_RATE_SCOPE = "feedback"
FEEDBACK_THANKS = gettext_lazy(
    "Vielen Dank! Ihre Rückmeldung ist bei uns angekommen. Wenn Sie eine E-Mail-Adresse "
    "angegeben haben, antworten wir Ihnen."
)
FEEDBACK_LIMITED = gettext_lazy(
    "Von Ihrem Anschluss aus sind in der letzten Zeit schon %(count)s Rückmeldungen bei uns "
    "angekommen. Bitte senden Sie Ihre Nachricht in %(minutes)s Minuten noch einmal, oder "
    "schreiben Sie uns an die Adresse im Impressum."
)


@require_http_methods(["GET", "POST"])
def accessibility(request):
    """The accessibility statement with its feedback form (stores the message, confirms it).

    A client may send ``FEEDBACK_PER_CLIENT`` messages per ``FEEDBACK_WINDOW_SECONDS`` (one
    count for all workers, taken before the message is stored); past that the form keeps what
    was typed and says when to try again (429). Bots that fill the hidden field are thanked,
    and nothing is stored or counted."""
    status = 200
    form = AccessibilityFeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif form.is_spam():
            messages.success(request, FEEDBACK_THANKS)
            return redirect("atlas:accessibility")
        elif not ratelimit.attempt_client(
            FEEDBACK_RATE_SCOPE,
            request,
            limit=settings.FEEDBACK_PER_CLIENT,
            window=settings.FEEDBACK_WINDOW_SECONDS,
        ):
            minutes = max(1, round(settings.FEEDBACK_WINDOW_SECONDS / 60))
            form.add_error(
                None, FEEDBACK_LIMITED % {"count": settings.FEEDBACK_PER_CLIENT, "minutes": minutes}
            )
            status = 429
        else:
            data = form.cleaned_data
            feedback_submit(
                message=data["message"], page=data["page"], name=data["name"], email=data["email"]
            )
            messages.success(request, FEEDBACK_THANKS)
            return redirect("atlas:accessibility")
    page = selectors.page_for_purpose(InfoPage.Purpose.ACCESSIBILITY)
    if page is None:
        raise Http404("No accessibility statement")
    return render(
        request,
        "atlas/info_page.html",
        {"page": page, "purpose": "accessibility", "form": form},
        status=status,
    )
