from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from measures import selectors
from measures.calendar import calendar_for
from measures.course_search import course_search, filter_groups
from measures.filters import RADIUS_CHOICES, SORT_CHOICES
from measures.structured_data import course_json_ld, json_ld_script


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
            "filter_groups": filter_groups(result),
            "sort_choices": SORT_CHOICES,
        },
    )


def _course_page_context(request, slug):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    is_current = bool(course.current_dates)
    base_url = f"{request.scheme}://{request.get_host()}"
    return {
        "course": course,
        "is_current": is_current,
        "similar_courses": [] if is_current else selectors.similar_courses(course, limit=5),
        "json_ld": json_ld_script(course_json_ld(course, course.current_dates, base_url=base_url)),
    }


@require_GET
def course_detail(request, slug):
    return render(request, "measures/course_detail.html", _course_page_context(request, slug))


@require_GET
def course_print(request, slug):
    return render(request, "measures/course_print.html", _course_page_context(request, slug))


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def course_calendar(request, slug):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    dated = [date for date in course.current_dates if not date.rolling_start]
    if not dated:
        raise Http404("No dated current dates")
    content = calendar_for(course, dated, host=request.get_host())
    return _ics_response(content, f"{course.slug}.ics")


@require_GET
def date_calendar(request, slug, date_id):
    course = get_object_or_404(selectors.course_for_page(), slug=slug)
    date = next((d for d in course.current_dates if d.pk == date_id), None)
    if date is None or date.rolling_start:
        raise Http404("No such current date")
    content = calendar_for(course, [date], host=request.get_host())
    return _ics_response(content, f"{course.slug}-{date.pk}.ics")
