from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from measures import selectors
from measures.models import Course, Subject

PAGE_SIZE = 20


@require_GET
def course_list(request):
    courses = selectors.with_card_data(selectors.public_courses())
    query = request.GET.get("q", "").strip()[:200]
    if query:
        courses = selectors.search_text(courses, query)
    subject = None
    subject_slug = request.GET.get("subject", "").strip()[:100]
    if subject_slug:
        subject = Subject.objects.filter(slug=subject_slug).first()
        if subject is not None:
            courses = courses.filter(subjects__in=subject.descendant_ids()).distinct()
    paginator = Paginator(courses.order_by("next_start", "title"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "measures/course_list.html",
        {
            "page": page,
            "query": query,
            "subject": subject,
            "unknown_subject": bool(subject_slug and subject is None),
        },
    )


@require_GET
def course_detail(request, slug):
    course = get_object_or_404(
        Course.objects.select_related("provider", "certificate_kind", "contact")
        .prefetch_related(
            "subjects",
            "target_groups",
            "funding",
            "modules",
            Prefetch("dates", queryset=selectors.current_dates(), to_attr="current_dates"),
        ),
        slug=slug,
        status=Course.Status.PUBLISHED,
    )
    return render(
        request,
        "measures/course_detail.html",
        {"course": course, "is_current": bool(course.current_dates)},
    )
