from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
    lines = ["User-agent: *", "Disallow: /admin/", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
