"""The public pages of the catalogue: the course search and course pages, the provider search
and provider profiles (with their current courses), and the region pages."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from core import listing
from core.ical import ics_response
from core.listing import RADIUS_CHOICES
from measures import regions, search, selectors
from measures.calendar import calendar_dates, calendar_for
from measures.course_search import course_search
from measures.open_data import export_limit
from measures.provider_search import provider_search
from measures.structured_data import course_json_ld, json_ld_script
from network import selectors as network_selectors
from network.structured_data import organisation_json_ld

PROFILE_COURSES_PER_PAGE = 10


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_GET
def course_list(request):
    result = course_search(params=request.GET)
    return render(
        request,
        "measures/course_list.html",
        {
            "search": result,
            "page": result.page,
            "radius_choices": RADIUS_CHOICES,
            "export_limit": export_limit(),
            "calendar_export_limit": export_limit("ics"),
        },
    )


def _course_page_context(request, slug):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    is_current = bool(course.current_dates)
    base_url = _base_url(request)
    vocabularies = selectors.course_vocabularies(course)  # subjects, target groups, funding
    subjects = vocabularies["subjects"]
    return {
        "course": course,
        "is_current": is_current,
        # The dates the calendar links are offered for: exactly those the .ics files hold.
        "calendar_date_ids": {date.pk for date in calendar_dates(course.current_dates)},
        "similar_courses": (
            [] if is_current else selectors.similar_courses(course, limit=5, subjects=subjects)
        ),
        "json_ld": json_ld_script(
            course_json_ld(course, course.current_dates, base_url=base_url, subjects=subjects)
        ),
        **vocabularies,
    }


@require_GET
def course_detail(request, slug):
    return render(request, "measures/course_detail.html", _course_page_context(request, slug))


@require_GET
def course_print(request, slug):
    return render(request, "measures/course_print.html", _course_page_context(request, slug))


@require_GET
def course_calendar(request, slug):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    dates = calendar_dates(course.current_dates)
    if not dates:
        raise Http404("No current dates a calendar can hold")
    content = calendar_for(course, dates, host=request.get_host())
    return ics_response(content, f"{course.slug}.ics")


@require_GET
def date_calendar(request, slug, date_id):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    date = next((d for d in calendar_dates(course.current_dates) if d.pk == date_id), None)
    if date is None:
        raise Http404("No such current date, or none a calendar can hold")
    content = calendar_for(course, [date], host=request.get_host())
    return ics_response(content, f"{course.slug}-{date.pk}.ics")


# Providers ----------------------------------------------------------------------------------


@require_GET
def provider_list(request):
    result = provider_search(params=request.GET)
    return render(
        request,
        "measures/provider_list.html",
        {
            "search": result,
            "page": result.page,
            "radius_choices": RADIUS_CHOICES,
        },
    )


@require_GET
def provider_detail(request, slug):
    organisation = get_object_or_404(network_selectors.organisation_for_profile(), slug=slug)
    params = listing.bounded(request.GET)
    query = search.parse(params.get("q", ""))
    courses = selectors.public_courses().filter(provider=organisation)
    total = None
    page = None
    if organisation.is_provider:
        total = courses.count()
        search_query = query.search_query()
        if search_query is not None:
            courses = courses.filter(search_document__vector=search_query)
        paginator = Paginator(
            selectors.with_card_data(courses).order_by(selectors.NEXT_START, "title", "pk"),
            PROFILE_COURSES_PER_PAGE,
        )
        paginator.count = courses.order_by().count() if query else total
        page = paginator.get_page(listing.page_number(params.get("page")))
    return render(
        request,
        "measures/provider_detail.html",
        {
            "provider": organisation,
            "memberships": network_selectors.working_groups_of(organisation),
            "query": query,
            "course_total": total,
            "page": page,
            "json_ld": json_ld_script(
                organisation_json_ld(organisation, base_url=_base_url(request))
            ),
        },
    )


# Regions ------------------------------------------------------------------------------------


@require_GET
def region_list(request):
    return render(request, "measures/region_list.html", regions.overview())


@require_GET
def region_detail(request, key):
    if not regions.REGION_KEY.match(key):
        raise Http404("Not a region key")
    if key == regions.HOME_COUNTRY:
        return redirect("measures:region_list", permanent=True)
    context = regions.region_page(key)
    if context is None:
        raise Http404("No such region")
    return render(request, "measures/region_detail.html", context)
