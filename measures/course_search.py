"""The course search: scope → filter (django-filter) → full text → order → paginate → facets.

``course_search(params=request.GET)`` returns everything the search page shows. The number of
SQL queries does not depend on the number of results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Min,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.http import QueryDict
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from measures import search
from measures.filters import DEFAULT_RADIUS, RADIUS_CHOICES, CourseFilter
from measures.models import Course, CourseDate, Subject
from measures.search_geo import distance_km_expression
from measures.selectors import current_dates, public_courses
from network.models import Region
from network.places import PlaceLookup, resolve_place

PAGE_SIZE = 20
MAX_PAGE = 500  # deeper pages are refused: nobody reads them, crawlers should not
FEW_RESULTS = 3

# Highlight markers that cannot occur in course text; replaced by <mark> after escaping.
MARK_START, MARK_STOP = "\u2063[[", "]]\u2063"


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]
    multiple: bool = True


@dataclass
class Relaxation:
    """A way out of an empty result: drop a filter, widen the radius, check the spelling."""

    label: str
    url: str
    count: int


@dataclass
class CourseSearch:
    params: QueryDict
    filterset: CourseFilter
    query: search.ParsedQuery
    place_lookup: PlaceLookup
    sort: str
    page: Page
    facets: list[Facet] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    relaxations: list[Relaxation] = field(default_factory=list)
    nearby_subjects: list[Subject] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def filter_count(self) -> int:
        """Active filters besides the search term, for the folded filter panel's label."""
        return sum(1 for label, _url, name in self._chips if name != "q")

    @property
    def chips(self) -> list[tuple[str, str]]:
        return [(label, url) for label, url, _name in self._chips]

    @cached_property
    def _chips(self) -> list[tuple[str, str, str]]:
        """Active filters as (label, URL without it)."""
        return active_filter_chips(self.params, self.filterset)


def course_search(*, params: QueryDict) -> CourseSearch:
    params = _bounded(params)
    filterset = CourseFilter(params, queryset=public_courses())
    form = filterset.form
    form.is_valid()
    errors = [
        f"{form.fields[name].label}: {' '.join(messages)}" for name, messages in form.errors.items()
    ]
    cleaned = form.cleaned_data

    place_lookup = resolve_place(cleaned.get("place") or "")
    if place_lookup.error:
        errors.append(place_lookup.error)
    filterset.place = place_lookup.place

    query = search.parse(cleaned.get("q") or "")
    sort = _sort(cleaned.get("sort"), query, place_lookup)

    courses = _text_filtered(filterset.qs, query)
    ordered = _ordered(courses, sort, query, place_lookup)
    paginator = Paginator(_with_page_data(ordered, query, place_lookup), PAGE_SIZE)
    paginator.count = ordered.order_by().count()  # the count without the page's annotations
    page = paginator.get_page(_page_number(params.get("page")))
    page.object_list = _decorate(list(page.object_list))

    result = CourseSearch(
        params=params,
        filterset=filterset,
        query=query,
        place_lookup=place_lookup,
        sort=sort,
        page=page,
        errors=errors,
    )
    result.facets = facets(filterset, query)
    if result.count < FEW_RESULTS:
        _help_with_few_results(result)
    return result


def _bounded(params: QueryDict) -> QueryDict:
    """At most 20 values per key and 200 characters per value: nothing oversized reaches SQL."""
    bounded = QueryDict(mutable=True)
    for key, values in list(params.lists())[:40]:
        bounded.setlist(key[:40], [value[:200] for value in values[:20]])
    return bounded


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _sort(requested: str | None, query, place_lookup) -> str:
    if requested == "relevance" and query:
        return "relevance"
    if requested == "distance" and place_lookup.place:
        return "distance"
    if requested in ("date", "price"):
        return requested
    if query:
        return "relevance"
    if place_lookup.place:
        return "distance"
    return "date"


def _text_filtered(courses, query: search.ParsedQuery):
    search_query = query.search_query()
    if search_query is None:
        return courses
    return courses.filter(search_vector=search_query)


def _next_start():
    return Min("dates__start_date", filter=Q(dates__in=CourseDate.objects.current()))


def _ordered(courses, sort: str, query, place_lookup):
    if sort == "relevance":
        rank = SearchRank(F("search_vector"), query.search_query(), weights=[0.1, 0.3, 0.6, 1.0])
        return courses.annotate(rank=rank).order_by("-rank", "title", "pk")
    if sort == "distance":
        return courses.annotate(distance=distance_km_expression(place_lookup.place)).order_by(
            F("distance").asc(nulls_last=True), "title", "pk"
        )
    if sort == "price":
        price = Case(
            When(price_kind=Course.PriceKind.FREE, then=Value(Decimal(0))),
            default=F("price"),
            output_field=DecimalField(),
        )
        return courses.annotate(sort_price=price).order_by(
            F("sort_price").asc(nulls_last=True), "title", "pk"
        )
    return courses.annotate(next_start=_next_start()).order_by(
        F("next_start").asc(nulls_first=True), "title", "pk"
    )


def _with_page_data(courses, query, place_lookup):
    """What a result shows: provider, current dates, distance and highlighted snippets.

    Annotations in the select list are computed only for the rows of the page (PostgreSQL
    evaluates costly output expressions after the sort and limit).
    """
    courses = courses.select_related("provider").prefetch_related(
        Prefetch("dates", queryset=current_dates(), to_attr="current_dates")
    )
    if place_lookup.place is not None and "distance" not in courses.query.annotations:
        courses = courses.annotate(distance=distance_km_expression(place_lookup.place))
    search_query = query.search_query()
    if search_query is not None:
        marks = {"start_sel": MARK_START, "stop_sel": MARK_STOP, "config": search.CONFIG}
        courses = courses.annotate(
            title_marked=SearchHeadline("title", search_query, highlight_all=True, **marks),
            snippet=SearchHeadline("summary", search_query, max_fragments=2, **marks),
        )
    return courses


def _decorate(courses) -> list[Course]:
    for course in courses:
        course.distance = getattr(course, "distance", None)
        course.title_html = _marked(getattr(course, "title_marked", None) or course.title)
        course.snippet_html = _marked(getattr(course, "snippet", None) or course.summary)
    return courses


def _marked(text: str):
    """Escape course text, then turn the highlight markers into <mark>."""
    html = escape(text).replace(escape(MARK_START), "<mark>").replace(escape(MARK_STOP), "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped above; only our own <mark> tags remain


# Facets -------------------------------------------------------------------------------------


def _without(filterset: CourseFilter, query, *names: str):
    """Public courses matching the search except the named filters, and their date conditions."""
    courses = filterset.apply(public_courses(), exclude=frozenset(names))
    return _text_filtered(courses, query), list(filterset.date_conditions)


def _dates_of(courses, conditions):
    """The current dates of the given courses that meet the search's date conditions."""
    dates = CourseDate.objects.current().filter(course__in=courses.values("pk"))
    for condition in conditions:
        dates = dates.filter(condition)
    return dates


def facets(filterset: CourseFilter, query) -> list[Facet]:
    """Counts per option, each with every other active filter applied; one query for all."""
    cleaned = filterset.form.cleaned_data
    rows: list = []

    # Subjects: the top level, or the children of the chosen subject (a two-level tree).
    base, _conditions = _without(filterset, query, "subject")
    chosen_subject = cleaned.get("subject")
    through = Course.subjects.through.objects.filter(course__in=base.values("pk"))
    if chosen_subject is not None and chosen_subject.parent_id is None:
        through = through.filter(subject__parent=chosen_subject)
        key, label = F("subject__slug"), F("subject__name")
    else:
        key = Case(
            When(subject__parent__isnull=True, then=F("subject__slug")),
            default=F("subject__parent__slug"),
            output_field=CharField(),
        )
        label = Case(
            When(subject__parent__isnull=True, then=F("subject__name")),
            default=F("subject__parent__name"),
            output_field=CharField(),
        )
    rows.append(_grouped(through, "subject", key, label, "course_id"))

    for name, relation, slug_path, name_path in (
        ("funding", Course.funding, "fundingtype__slug", "fundingtype__name"),
        ("target_group", Course.target_groups, "targetgroup__slug", "targetgroup__name"),
    ):
        base, _conditions = _without(filterset, query, name)
        links = relation.through.objects.filter(course__in=base.values("pk"))
        rows.append(_grouped(links, name, F(slug_path), F(name_path), "course_id"))

    base, _conditions = _without(filterset, query, "kind")
    rows.append(_grouped(base, "kind", F("kind"), F("kind"), "pk"))

    base, conditions = _without(filterset, query, "mode")
    rows.append(_grouped(_dates_of(base, conditions), "mode", F("mode"), F("mode"), "course_id"))

    base, conditions = _without(filterset, query, "region")
    dates = _dates_of(base, conditions).filter(venue__region__isnull=False)
    chosen_region = cleaned.get("region")
    if chosen_region is not None and chosen_region.kind != Region.Kind.COUNTRY:
        dates = dates.filter(venue__region__key__startswith=chosen_region.key[:2])
        region_key = F("venue__region__key")
    else:
        region_key = Substr("venue__region__key", 1, 2)
    rows.append(_grouped(dates, "region", region_key, region_key, "course_id"))

    union = rows[0].union(*rows[1:], all=True)
    grouped: dict[str, list[tuple[str, str, int]]] = {}
    for facet_name, value, label, count in union:
        grouped.setdefault(facet_name, []).append((value, label, count))
    return _facet_list(grouped, cleaned)


def _grouped(queryset, facet_name: str, key, label, counted: str):
    return (
        queryset.annotate(
            facet=Value(facet_name, output_field=CharField()),
            facet_value=key,
            facet_label=label,
        )
        .values("facet", "facet_value", "facet_label")
        .annotate(n=Count(counted, distinct=True))
        .values_list("facet", "facet_value", "facet_label", "n")
        .order_by()
    )


def _facet_list(grouped, cleaned) -> list[Facet]:
    from measures.filters import CourseFilter as Filters  # labels and choices

    def selected_values(name):
        value = cleaned.get(name)
        if value is None:
            return set()
        if hasattr(value, "slug"):
            return {value.slug}
        if hasattr(value, "key"):
            return {value.key}
        if isinstance(value, str):
            return {value}
        return {getattr(item, "slug", item) for item in value}

    region_names = (
        dict(
            Region.objects.filter(
                key__in=[v for v, _l, _c in grouped.get("region", [])]
            ).values_list("key", "name")
        )
        if grouped.get("region")
        else {}
    )
    choice_labels = {
        "kind": dict(Course.Kind.choices),
        "mode": dict(CourseDate.Mode.choices),
    }
    result = []
    for name in ("subject", "region", "mode", "funding", "target_group", "kind"):
        selected = selected_values(name)
        options = []
        for value, label, count in grouped.get(name, []):
            if name in choice_labels:
                label = str(choice_labels[name].get(value, value))
            elif name == "region":
                label = region_names.get(value, value)
            options.append(
                FacetOption(value=value, label=label, count=count, selected=value in selected)
            )
        options.sort(key=lambda option: (-option.count, option.label))
        result.append(
            Facet(
                name=name,
                label=str(Filters.base_filters[name].label),
                options=options,
                multiple=name not in ("subject", "region"),
            )
        )
    return result


# Help for empty and thin results ------------------------------------------------------------

RELAXABLE = (
    "q",
    "region",
    "place",
    "date_from",
    "date_to",
    "rolling",
    "weekday",
    "time",
    "mode",
    "max_price",
    "free",
    "funding",
    "certificate",
    "target_group",
    "subject",
    "language",
    "access",
    "provider",
    "kind",
)


def _help_with_few_results(result: CourseSearch) -> None:
    """Similar spellings, which filter to drop (with what it would find), a wider radius, and
    the subjects nearby. The counts are one query, whatever the number of filters."""
    params, filterset, query = result.params, result.filterset, result.query
    if query:
        result.suggestions = search.suggestions(query.text)
    active = [name for name in RELAXABLE if any(params.getlist(name))]
    variants = []  # (label, URL parameters, courses)
    for name in active:
        relaxed = _without_params(params, name, "page", *(["radius"] if name == "place" else []))
        label = _("ohne „%(filter)s“") % {"filter": CourseFilter.base_filters[name].label}
        if name == "q":
            courses = filterset.apply(public_courses())
        else:
            courses, _conditions = _without(filterset, query, name)
        variants.append((label, relaxed, courses))
    others = [name for name in active if name != "q"]
    if query and len(others) > 1:
        only_text = QueryDict(mutable=True)
        only_text["q"] = query.text
        courses, _conditions = _without(filterset, query, *others)
        variants.append((_("nur mit dem Suchbegriff, ohne Filter"), only_text, courses))
    wider = [radius for radius in RADIUS_CHOICES if radius > filterset.radius_km]
    if result.place_lookup.place is not None and wider:
        radius = wider[min(1, len(wider) - 1)]
        widened = _without_params(params, "page")
        widened["radius"] = str(radius)
        courses = _text_filtered(filterset.apply(public_courses(), radius_km=radius), query)
        variants.append((_("im Umkreis von %(radius)s km") % {"radius": radius}, widened, courses))
    if variants:
        counts = _count_all([courses.order_by().values("pk") for _l, _p, courses in variants])
        for (label, relaxed, _courses), count in zip(variants, counts, strict=True):
            if count:
                result.relaxations.append(
                    Relaxation(label=label, url="?" + relaxed.urlencode(), count=count)
                )
    subject = filterset.form.cleaned_data.get("subject")
    if subject is not None:
        parent = subject.parent or subject
        result.nearby_subjects = list(
            Subject.objects.filter(Q(parent=parent) | Q(pk=parent.pk)).exclude(pk=subject.pk)[:8]
        )
    elif query:
        result.nearby_subjects = list(Subject.objects.filter(name__trigram_similar=query.text)[:8])


def _without_params(params: QueryDict, *names: str) -> QueryDict:
    remaining = params.copy()
    for name in names:
        remaining.pop(name, None)
    return remaining


def _count_all(querysets) -> list[int]:
    """Count several querysets in one round trip."""
    parts, values = [], []
    for queryset in querysets:
        sql, query_params = queryset.query.sql_with_params()
        # The SQL is Django's own compilation; the values stay parameters.
        parts.append(f"(SELECT count(*) FROM ({sql}) AS matching)")  # noqa: S608
        values.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), values)
        return list(cursor.fetchone())


def active_filter_chips(params: QueryDict, filterset: CourseFilter) -> list[tuple[str, str, str]]:
    """Each active filter value as a chip: its label, the URL without it, the filter's name."""
    form = filterset.form
    chips = []
    for name in RELAXABLE:
        values = [value for value in params.getlist(name) if value]
        if not values or name not in form.fields or name in form.errors:
            continue
        field_ = form.fields[name]
        choices = dict((str(key), label) for key, label in getattr(field_, "choices", []) or [])
        for value in values:
            remaining = params.copy()
            remaining.setlist(name, [other for other in values if other != value])
            remaining.pop("page", None)
            if name == "place":
                remaining.pop("radius", None)
            shown = choices.get(value, value)
            chips.append((f"{field_.label}: {shown}", "?" + remaining.urlencode(), name))
    return chips


__all__ = ["DEFAULT_RADIUS", "course_search"]


@dataclass
class FilterOption:
    value: str
    label: str
    checked: bool
    count: int | None = None


@dataclass
class FilterGroup:
    """One fieldset of the filter form: a legend and its options (checkboxes or radios)."""

    name: str
    legend: str
    options: list[FilterOption]
    input_type: str = "checkbox"
    all_label: str = ""

    @property
    def nothing_checked(self) -> bool:
        return not any(option.checked for option in self.options)


CHOICE_GROUPS = ("mode", "weekday", "time", "kind", "language", "access")
FACETED_MODEL_GROUPS = ("funding", "target_group")


def filter_groups(result: CourseSearch) -> list[FilterGroup]:
    """The filter form's option groups, each option with its facet count where there is one."""
    params = result.params
    facets = {facet.name: facet for facet in result.facets}
    form = result.filterset.form
    groups = []

    for name in ("subject", "region"):
        chosen = params.get(name, "")
        options = [
            FilterOption(option.value, option.label, option.value == chosen, option.count)
            for option in facets[name].options
        ]
        if chosen and not any(option.checked for option in options) and name not in form.errors:
            value = form.cleaned_data.get(name)
            if value is not None:
                options.insert(0, FilterOption(chosen, str(value), True, 0))
        groups.append(
            FilterGroup(
                name,
                str(form.fields[name].label),
                options,
                input_type="radio",
                all_label=str(form.fields[name].empty_label),
            )
        )

    for name in ("mode", "funding", "target_group", "kind"):
        chosen = set(params.getlist(name))
        counts = {option.value: option.count for option in facets[name].options}
        if name in FACETED_MODEL_GROUPS:
            choices = [(option.value, option.label) for option in facets[name].options]
            known = {value for value, _label in choices}
            queryset = form.fields[name].queryset
            choices += [(obj.slug, obj.name) for obj in queryset.filter(slug__in=chosen - known)]
        else:
            choices = [(str(value), str(label)) for value, label in form.fields[name].choices]
        groups.append(
            FilterGroup(
                name,
                str(form.fields[name].label),
                [
                    FilterOption(value, label, value in chosen, counts.get(value, 0))
                    for value, label in choices
                ],
            )
        )

    for name in ("weekday", "time", "language", "access"):
        chosen = set(params.getlist(name))
        groups.append(
            FilterGroup(
                name,
                str(form.fields[name].label),
                [
                    FilterOption(str(value), str(label), str(value) in chosen)
                    for value, label in form.fields[name].choices
                ],
            )
        )
    certificates = form.fields["certificate"].queryset
    chosen = set(params.getlist("certificate"))
    groups.append(
        FilterGroup(
            "certificate",
            str(form.fields["certificate"].label),
            [FilterOption(obj.slug, obj.name, obj.slug in chosen) for obj in certificates],
        )
    )
    return groups
