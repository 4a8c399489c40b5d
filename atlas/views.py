from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from atlas import selectors
from atlas.forms import AccessibilityFeedbackForm
from atlas.models import InfoPage
from atlas.services import feedback_submit
from measures import selectors as course_selectors
from network import selectors as network_selectors


@require_GET
def home(request):
    return render(
        request,
        "atlas/home.html",
        {
            "subject_areas": course_selectors.subject_areas_with_counts(),
            "latest_courses": course_selectors.latest_courses(limit=6),
            "regions": network_selectors.covered_regions(),
            "networks": network_selectors.networks_in_brief(),
            "course_count": course_selectors.public_courses().count(),
        },
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


@require_http_methods(["GET", "POST"])
def accessibility(request):
    """The accessibility statement with its feedback form (stores the message, confirms it)."""
    status = 200
    if request.method == "POST":
        form = AccessibilityFeedbackForm(request.POST)
        if form.is_valid():
            if not form.is_spam():
                data = form.cleaned_data
                feedback_submit(
                    message=data["message"],
                    page=data["page"],
                    name=data["name"],
                    email=data["email"],
                )
            messages.success(
                request,
                _(
                    "Vielen Dank! Ihre Rückmeldung ist bei uns angekommen. Wenn Sie eine "
                    "E-Mail-Adresse angegeben haben, antworten wir Ihnen."
                ),
            )
            return redirect("atlas:accessibility")
        status = 400
    else:
        form = AccessibilityFeedbackForm()
    page = selectors.page_for_purpose(InfoPage.Purpose.ACCESSIBILITY)
    if page is None:
        raise Http404("No accessibility statement")
    return render(
        request,
        "atlas/info_page.html",
        {"page": page, "purpose": "accessibility", "form": form},
        status=status,
    )
