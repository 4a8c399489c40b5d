"""The provider search's subject facet, counted in the search index, equals the count in SQL
over the current published courses (the query it replaced), for the areas and for the
subjects below each area, on the demo catalogue."""

import pytest
from django.db.models import Count

from measures import search_index
from measures.models import Course, Subject
from measures.provider_search import _providers_per_subject
from network.models import Organisation

pytestmark = pytest.mark.django_db


def sql_counts(providers, within=None):
    links = Course.subjects.through.objects.filter(
        course__in=Course.objects.public().filter(provider__in=providers)
    )
    if within is None:  # each subject counts for its area (a top-level subject: itself)
        per_area: dict[str, set] = {}
        for parent, slug, provider in links.values_list(
            "subject__parent__slug", "subject__slug", "course__provider"
        ):
            per_area.setdefault(parent or slug, set()).add(provider)
        return {slug: len(found) for slug, found in per_area.items()}
    grouped = (
        links.filter(subject__parent=within)
        .values("subject__slug")
        .annotate(n=Count("course__provider", distinct=True))
    )
    return {row["subject__slug"]: row["n"] for row in grouped}


def index_counts(providers, chosen=None):
    return {slug: n for slug, _name, n in _providers_per_subject(providers, chosen)}


def test_areas_and_subjects_below_them_are_counted_as_in_sql():
    search_index.forget()
    providers = Organisation.objects.filter(is_provider=True)
    expected = sql_counts(providers)
    assert expected and index_counts(providers) == expected
    some = providers.order_by("pk")[: max(1, providers.count() // 2)]
    assert index_counts(providers.filter(pk__in=some)) == sql_counts(providers.filter(pk__in=some))
    for area in Subject.objects.filter(parent__isnull=True):
        assert index_counts(providers, area) == sql_counts(providers, area), area.slug
