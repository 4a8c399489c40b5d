"""The course search: scope → filter (django-filter) → full text → order → paginate → facets.

The facet statement is assembled from Django-compiled SQL and fixed fragments of this module;
every value is a parameter (hence the per-file exception from ruff's S608 in pyproject.toml).

``course_search(params=request.GET)`` returns everything the search page shows. The number of
SQL queries does not depend on the number of results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    DecimalField,
    F,
    Prefetch,
    QuerySet,
    Value,
    When,
)
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from measures import search
from measures.filters import (
    DEFAULT_RADIUS,
    RADIUS_CHOICES,
    CourseFilter,
    VocabularyField,
    is_empty,
)
from measures.models import Course, CourseDate, Subject
from measures.search_geo import distance_km_expression
from measures.selectors import current_dates, public_courses
from measures.vocabulary import vocabulary
from network import listing
from network.listing import MAX_PAGE  # deeper pages are refused, as in every listing
from network.models import Region
from network.places import PlaceLookup, resolve_place

PAGE_SIZE = 20
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
    search.ensure_current_summaries()
    params = listing.bounded(params)
    filterset = CourseFilter(params, queryset=public_courses())
    form = filterset.form
    form.is_valid()
    errors = listing.form_errors(form)
    cleaned = form.cleaned_data

    place_lookup = resolve_place(cleaned.get("place") or "")
    if place_lookup.error:
        errors.append(place_lookup.error)
    filterset.place = place_lookup.place

    query = search.parse(cleaned.get("q") or "")
    sort = _sort(cleaned.get("sort"), query, place_lookup)

    facet_list, total = facets_and_total(filterset, query)
    courses = _text_filtered(filterset.qs, query)
    ordered = _ordered(courses, sort, query, place_lookup)
    paginator = Paginator(_with_page_data(ordered, query, place_lookup), PAGE_SIZE)
    paginator.count = total  # counted with the facets, in the same statement
    page = paginator.get_page(listing.page_number(params.get("page")))
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
    result.facets = facet_list
    if result.count < FEW_RESULTS:
        _help_with_few_results(result)
    return result


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


def _ordered(courses, sort: str, query, place_lookup):
    if sort == "relevance":
        rank = SearchRank(F("search_vector"), query.search_query(), weights=[0.1, 0.3, 0.6, 1.0])
        return courses.annotate(rank=rank).order_by("-rank", "title", "pk")
    if sort == "distance":
        distance = distance_km_expression(place_lookup.place)
        return courses.annotate(distance=distance).order_by(
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
    # ``summary_next_start`` is kept by the database (see Course); its index serves this order.
    return courses.order_by(F("summary_next_start").asc(nulls_first=True), "title", "pk")


def _with_page_data(courses, query, place_lookup):
    """What a result shows: provider, current dates, distance and highlighted snippets.

    Annotations in the select list are computed only for the rows of the page (PostgreSQL
    evaluates costly output expressions after the sort and limit).
    """
    courses = courses.select_related("provider").prefetch_related(
        Prefetch("dates", queryset=current_dates(), to_attr="current_dates")
    )
    if place_lookup.place is not None and "distance" not in courses.query.annotations:
        distance = distance_km_expression(place_lookup.place)
        courses = courses.annotate(distance=distance)
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


FACETS = ("subject", "region", "mode", "funding", "target_group", "kind", "certificate")


FACET_CACHE_SECONDS = 600


def facets_and_total(filterset: CourseFilter, query) -> tuple[list[Facet], int]:
    """Facets and total, from the cache when the same search ran before in this generation.

    Any change to a course starts a new search generation (``measures.search``): this process
    sees it at once, every other one within a second, so cached counts are never older.
    """
    key = _cache_key(filterset.form.cleaned_data, query)
    cached = cache.get(key)
    if cached is None:
        cached = _facets_and_total(filterset, query)
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return cached


def _cache_key(cleaned, query) -> str:
    def plain(value):
        if isinstance(value, QuerySet):
            return sorted(str(item.pk) for item in value)
        if hasattr(value, "pk"):
            return str(value.pk)
        if isinstance(value, list | tuple):
            return sorted(str(getattr(item, "pk", item)) for item in value)
        return str(value)

    state = sorted((name, plain(value)) for name, value in cleaned.items() if name != "sort")
    # With the effective text query (synonyms change it at once) and the day.
    raw = repr((state, query.tsquery(), str(timezone.localdate()), search.generation()))
    return "facets:" + hashlib.sha256(raw.encode()).hexdigest()


# What each base of the facet statement selects: the course's own columns and the id arrays
# the database keeps on it (see Course), so most facets need no join with the link tables.
BASE_COLUMNS = (
    "id",
    "kind",
    "certificate_kind_id",
    "facet_subjects",
    "facet_funding",
    "facet_target_groups",
    "facet_modes",
    "facet_regions",
)


def _facets_and_total(filterset: CourseFilter, query) -> tuple[list[Facet], int]:
    """The number of results and, per facet, the count per option with every *other* active
    filter applied — all in one statement.

    Each distinct set of filters is computed once, as a materialised CTE (``b0`` is the search
    itself; a facet whose own filter is active gets its own base without that filter), and the
    facets group over those bases. Mode and region count the course's date summary while no
    other filter concerns the dates; otherwise they count the dates meeting those filters, so
    that, as everywhere, the filters hold for one and the same date.
    """
    cleaned = filterset.form.cleaned_data
    bases: list[tuple[str, list]] = []  # (sql, params) of each base
    base_for: dict[str, int] = {}
    conditions_for: dict[str, list] = {}
    for name in ("", *FACETS):
        if name and is_empty(cleaned.get(name)):
            base_for[name] = 0
            conditions_for[name] = conditions_for[""]  # "" (the search itself) comes first
            continue
        courses, conditions = _without(filterset, query, *([name] if name else []))
        sql, params = courses.order_by().values(*BASE_COLUMNS).query.sql_with_params()
        base_for[name] = len(bases)
        bases.append((sql, list(params)))
        conditions_for[name] = conditions
    ctes, params = [], []
    for index, (sql, base_params) in enumerate(bases):
        ctes.append(f"b{index} AS MATERIALIZED ({sql})")
        params.extend(base_params)

    parts: list[str] = ["SELECT 'total', '', '', count(*) FROM b0"]
    # Subjects count per area (a top-level subject), or per child of the area chosen; a
    # course counts once per area however many of its subjects lie there.
    chosen_subject = cleaned.get("subject")
    if chosen_subject is not None and chosen_subject.parent_id is None:
        area, subject_where = "s.id", "WHERE s.parent_id = %s"
        params.append(chosen_subject.pk)
    else:
        area, subject_where = "coalesce(s.parent_id, s.id)", ""
    parts.append(
        "SELECT 'subject', a.slug, a.name, x.n FROM ("
        "SELECT area, count(*) AS n FROM ("
        f"SELECT DISTINCT b.id, {area} AS area FROM b{base_for['subject']} b "
        "CROSS JOIN LATERAL unnest(b.facet_subjects) AS l(id) "
        f"JOIN measures_subject s ON s.id = l.id {subject_where}"
        ") AS pairs GROUP BY area) AS x JOIN measures_subject a ON a.id = x.area"
    )
    for name, column, table in (
        ("funding", "facet_funding", "measures_fundingtype"),
        ("target_group", "facet_target_groups", "measures_targetgroup"),
    ):
        parts.append(
            f"SELECT '{name}', v.slug, v.name, count(*) "
            f"FROM b{base_for[name]} b CROSS JOIN LATERAL unnest(b.{column}) AS l(id) "
            f"JOIN {table} v ON v.id = l.id GROUP BY 2, 3"
        )
    parts.append(f"SELECT 'kind', b.kind, b.kind, count(*) FROM b{base_for['kind']} b GROUP BY 2")
    parts.append(
        "SELECT 'certificate', v.slug, v.name, count(*) "
        f"FROM b{base_for['certificate']} b JOIN measures_certificatekind v "
        "ON v.id = b.certificate_kind_id GROUP BY 2, 3"
    )

    mode_base = f"b{base_for['mode']}"
    if conditions_for["mode"]:
        mode_sql, mode_params = _dates_sql(conditions_for["mode"])
        parts.append(
            f"SELECT 'mode', d.mode, d.mode, count(DISTINCT d.course_id) FROM ({mode_sql}) d "
            f"JOIN {mode_base} b ON b.id = d.course_id GROUP BY 2"
        )
        params.extend(mode_params)
    else:
        parts.append(
            f"SELECT 'mode', m.mode, m.mode, count(*) "
            f"FROM {mode_base} b CROSS JOIN LATERAL unnest(b.facet_modes) AS m(mode) GROUP BY 2"
        )

    region_base = f"b{base_for['region']}"
    if conditions_for["region"]:
        region_sql, region_params = _dates_sql(conditions_for["region"])
        region_source = (
            f"({region_sql}) d JOIN {region_base} b ON b.id = d.course_id "
            "JOIN network_venue v ON v.id = d.venue_id JOIN network_region r ON r.id = v.region_id"
        )
        params.extend(region_params)
    else:
        region_source = (
            f"{region_base} b CROSS JOIN LATERAL unnest(b.facet_regions) AS k(key) "
            "JOIN network_region r ON r.key = k.key"
        )
    chosen_region = cleaned.get("region")
    if chosen_region is not None and chosen_region.kind != Region.Kind.COUNTRY:
        # The districts of the chosen region's state.
        parts.append(
            "SELECT 'region', r.key, r.name, x.n FROM ("
            f"SELECT key, count(*) AS n FROM (SELECT DISTINCT b.id, r.key FROM {region_source} "
            "WHERE r.key LIKE %s) AS pairs GROUP BY key"
            ") AS x JOIN network_region r ON r.key = x.key"
        )
        params.append(chosen_region.key[:2] + "%")
    else:
        # The states (the first two digits of a district's key).
        parts.append(
            "SELECT 'region', st.key, st.name, x.n FROM ("
            "SELECT state, country, count(*) AS n FROM ("
            f"SELECT DISTINCT b.id, left(r.key, 2) AS state, r.country FROM {region_source}"
            ") AS pairs GROUP BY state, country"
            ") AS x JOIN network_region st ON st.key = x.state AND st.country = x.country"
        )

    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total = 0
    grouped: dict[str, list[tuple[str, str, int]]] = {}
    for facet_name, value, label, count in rows:
        if facet_name == "total":
            total = count
        else:
            grouped.setdefault(facet_name, []).append((value, label, count))
    return _facet_list(grouped, cleaned), total


def _dates_sql(conditions) -> tuple[str, list]:
    """SQL of the current dates meeting the search's date conditions (course, mode, venue)."""
    dates = CourseDate.objects.current()
    for condition in conditions:
        dates = dates.filter(condition)
    sql, params = dates.order_by().values("course_id", "mode", "venue_id").query.sql_with_params()
    return sql, list(params)


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

    choice_labels = {
        "kind": dict(Course.Kind.choices),
        "mode": dict(CourseDate.Mode.choices),
    }
    result = []
    for name in FACETS:
        selected = selected_values(name)
        options = []
        for value, label, count in grouped.get(name, []):
            if name in choice_labels:
                label = str(choice_labels[name].get(value, value))
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
        if name == "q" and active == ["q"]:
            continue  # without its only term a search is the whole catalogue: no help
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
        result.nearby_subjects = vocabulary().related_subjects(subject)
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
        choices = _chosen_labels(field_, form.cleaned_data.get(name))
        for value in values:
            remaining = params.copy()
            remaining.setlist(name, [other for other in values if other != value])
            remaining.pop("page", None)
            if name == "place":
                remaining.pop("radius", None)
            shown = choices.get(value, value)
            chips.append((f"{field_.label}: {shown}", "?" + remaining.urlencode(), name))
    return chips


def _chosen_labels(field_, cleaned) -> dict[str, str]:
    """Value → label of a filter's options: for vocabularies and providers only the chosen
    entries (from the validated form, not a walk through every region or provider)."""
    if isinstance(field_, VocabularyField | forms.ModelChoiceField):
        chosen = cleaned if isinstance(cleaned, list) else [] if cleaned is None else [cleaned]
        return {_value_of(item): str(item) for item in chosen}
    return {str(key): str(label) for key, label in getattr(field_, "choices", []) or []}


def _value_of(entry) -> str:
    """The URL value of a vocabulary entry or provider: its slug, or a region's key."""
    return str(getattr(entry, "slug", None) or entry.key)


__all__ = ["DEFAULT_RADIUS", "MAX_PAGE", "course_search"]


CHOICE_GROUPS = ("mode", "weekday", "time", "kind", "language", "access")
FACETED_MODEL_GROUPS = ("funding", "target_group", "certificate")


def filter_groups(result: CourseSearch) -> list[listing.FilterGroup]:
    """The filter form's option groups, each option with its facet count where there is one."""
    params = result.params
    facets = {facet.name: facet for facet in result.facets}
    form = result.filterset.form
    groups = []

    for name in ("subject", "region"):
        chosen = params.get(name, "")
        options = [
            listing.FilterOption(option.value, option.label, option.value == chosen, option.count)
            for option in facets[name].options
        ]
        if chosen and not any(option.checked for option in options) and name not in form.errors:
            value = form.cleaned_data.get(name)
            if value is not None:
                options.insert(0, listing.FilterOption(chosen, str(value), True, 0))
        groups.append(
            listing.FilterGroup(
                name,
                str(form.fields[name].label),
                options,
                input_type="radio",
                all_label=str(form.fields[name].empty_label),
            )
        )

    for name in ("mode", "funding", "target_group", "certificate", "kind"):
        chosen = set(params.getlist(name))
        counts = {option.value: option.count for option in facets[name].options}
        if name in FACETED_MODEL_GROUPS:
            choices = [(option.value, option.label) for option in facets[name].options]
            known = {value for value, _label in choices}
            # Chosen options the facets do not list (none found): from the validated form.
            choices += [
                (obj.slug, obj.name)
                for obj in form.cleaned_data.get(name) or []
                if obj.slug in chosen - known
            ]
        else:
            choices = [(str(value), str(label)) for value, label in form.fields[name].choices]
        groups.append(
            listing.FilterGroup(
                name,
                str(form.fields[name].label),
                [
                    listing.FilterOption(value, label, value in chosen, counts.get(value, 0))
                    for value, label in choices
                ],
            )
        )

    for name in ("weekday", "time", "language", "access"):
        chosen = set(params.getlist(name))
        groups.append(
            listing.FilterGroup(
                name,
                str(form.fields[name].label),
                [
                    listing.FilterOption(str(value), str(label), str(value) in chosen)
                    for value, label in form.fields[name].choices
                ],
            )
        )
    return groups
