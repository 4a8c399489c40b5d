"""Reads for the course pages: querysets for a purpose."""

import numpy as np
from django.db.models import F, Prefetch, Q

from measures import search_index
from measures.models import Course, CourseDate, Subject
from measures.vocabulary import vocabulary
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
    """What a course card shows: provider, the current dates with their venues; and
    ``next_start``, the date order of the search (the course's date summary: a rolling start
    first), read from the course's row, not aggregated over every date."""
    return (
        queryset.select_related("provider")
        .annotate(next_start=F("summary_next_start"))
        .prefetch_related(Prefetch("dates", queryset=current_dates(), to_attr="current_dates"))
    )


# The search's date order (``Course.Meta``'s index ``course_next_start_idx``).
NEXT_START = F("next_start").asc(nulls_first=True)


def latest_courses(*, limit: int):
    return list(with_card_data(public_courses()).order_by("-published_at", "-created_at")[:limit])


def public_course_count() -> int:
    """How many courses are public: the search index holds exactly these."""
    return search_index.current_index().size


def subject_areas_with_counts():
    """Top-level subjects with the number of public courses filed under them or a child,
    counted in the search index (every public course is there)."""
    index = search_index.current_index()
    counts = index.areas.counts(index.live)
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
    """Published courses (current or not) with everything the course page shows but their
    subjects, target groups and funding (``course_vocabularies``: no query for those)."""
    return (
        Course.objects.published()
        .select_related("provider", "certificate_kind", "contact")
        .prefetch_related(
            "modules",
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


# A course's links to each vocabulary: the related manager and the id array the database keeps
# on the course's row (``Course.facet_*``, triggers of migration measures.0006).
COURSE_VOCABULARIES = {
    "subjects": ("subjects", "facet_subjects"),
    "target_groups": ("target_groups", "facet_target_groups"),
    "funding": ("funding", "facet_funding"),
}


def course_vocabularies(course) -> dict[str, list]:
    """The course's subjects, target groups and funding, each in its vocabulary's order: from
    the id arrays on the course's row and the vocabularies in memory (``measures.vocabulary``),
    without a query; from the link table only for an entry newer than the memory."""
    known = vocabulary()
    found = {}
    for name, (manager, ids) in COURSE_VOCABULARIES.items():
        entries = known.by_ids(name, getattr(course, ids))
        found[name] = list(getattr(course, manager).all()) if entries is None else entries
    return found


def similar_courses(course, *, limit: int, subjects=None):
    """Current courses sharing the most subjects with the given one (``subjects``: the
    course's, if read already), the next to start first: counted in the search index (a query
    grouping every course of a big subject took 40 ms at 100,000 courses)."""
    subjects = course.subjects.all() if subjects is None else subjects
    subject_ids = [subject.pk for subject in subjects]
    if not subject_ids:
        return []
    index = search_index.current_index()
    shared = np.zeros(index.size, dtype=np.int16)
    for subject in subject_ids:
        shared += index.links["subject"].having([subject], index.size)
    own = index.positions(np.array([course.pk]))[0]
    if own >= 0:
        shared[own] = 0
    # In date order (next start, title); a stable sort keeps it among equals.
    candidates = index.ordered((shared > 0) & index.live, "date")
    chosen = candidates[np.argsort(-shared[candidates], kind="stable")][:limit]
    ids = index.ids[chosen].tolist()
    found = {found.pk: found for found in with_card_data(public_courses().filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]
