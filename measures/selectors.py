"""Reads for the course pages: querysets for a purpose."""

from django.db.models import Count, Min, Prefetch, Q
from django.db.models.functions import Coalesce

from measures.models import Course, CourseDate, Subject
from network.models import OrganisationCertification


def public_courses():
    """Published courses with a current or future date or a rolling start."""
    return Course.objects.public()


def current_dates():
    return (
        CourseDate.objects.current()
        .select_related("venue")
        .order_by("rolling_start", "start_date", "start_time")
    )


def with_card_data(queryset):
    """What a course card shows: provider, next date, the current dates with their venues."""
    return (
        queryset.select_related("provider")
        .annotate(
            next_start=Min(
                "dates__start_date",
                filter=Q(dates__in=CourseDate.objects.current()),
            )
        )
        .prefetch_related(Prefetch("dates", queryset=current_dates(), to_attr="current_dates"))
    )


def latest_courses(*, limit: int):
    return list(with_card_data(public_courses()).order_by("-published_at", "-created_at")[:limit])


def subject_areas_with_counts():
    """Top-level subjects with the number of public courses filed under them or a child."""
    through = Course.subjects.through
    counts = dict(
        through.objects.filter(course__in=public_courses().values("pk"))
        .annotate(area=Coalesce("subject__parent_id", "subject_id"))
        .values("area")
        .annotate(n=Count("course_id", distinct=True))
        .values_list("area", "n")
    )
    areas = list(Subject.objects.filter(parent__isnull=True).order_by("position", "name"))
    for area in areas:
        area.course_count = counts.get(area.pk, 0)
    return areas


def search_text(queryset, query: str):
    """Plain containment search over title, summary and provider (replaced by full text later)."""
    return queryset.filter(
        Q(title__icontains=query) | Q(summary__icontains=query) | Q(provider__name__icontains=query)
    )


def course_for_page():
    """Published courses (current or not) with everything the course page shows."""
    return (
        Course.objects.published()
        .select_related("provider", "provider__region", "certificate_kind", "contact")
        .prefetch_related(
            "subjects",
            "target_groups",
            "funding",
            "modules",
            "keywords",
            Prefetch(
                "provider__certificates",
                queryset=OrganisationCertification.objects.valid_on().select_related(
                    "certification"
                ),
                to_attr="valid_certificates",
            ),
            Prefetch(
                "dates",
                queryset=current_dates().select_related("venue", "venue__region"),
                to_attr="current_dates",
            ),
        )
    )


def similar_courses(course, *, limit: int):
    """Current courses sharing the most subjects with the given one, nearest region first."""
    subject_ids = [subject.pk for subject in course.subjects.all()]
    if not subject_ids:
        return []
    shared = Count("subjects", filter=Q(subjects__in=subject_ids), distinct=True)
    return list(
        with_card_data(public_courses().exclude(pk=course.pk).filter(subjects__in=subject_ids))
        .annotate(shared=shared)
        .order_by("-shared", "next_start", "title")
        .distinct()[:limit]
    )
