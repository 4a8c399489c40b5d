"""The course search: validate (django-filter) → full text (PostgreSQL) → filter, count the
facets and order (the in-memory index, ``measures.search_index``) → read the page (PostgreSQL).

``course_search(params=request.GET)`` returns everything the search page shows. The number of
SQL queries does not depend on the number of results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np
from django import forms
from django.contrib.postgres.search import SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import listing
from core.listing import MAX_PAGE, RADIUS_CHOICES
from measures import search, search_index
from measures.filters import CourseFilter, VocabularyField
from measures.models import Course, CourseDate, SearchDocument, Subject
from measures.selectors import public_courses
from measures.vocabulary import vocabulary
from network.places import PlaceLookup, resolve_place

PAGE_SIZE = 20
RANK_WEIGHTS = [0.1, 0.3, 0.6, 1.0]  # D, C, B, A: title above keywords above summary
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

    index = search_index.current_index()
    # With other filters, only the courses that meet them all are ranked (a broad term in a
    # region: thousands of matches, a few hundred of them there).
    filtered = place_lookup.place is not None or search_index.filters_active(cleaned)
    text, ranks = _text_matches(index, query, ranked=sort == "relevance" and not filtered)
    found = index.search(
        cleaned, place=place_lookup.place, radius_km=filterset.radius_km, text=text
    )
    matching = found.courses()
    if sort == "relevance" and ranks is None and text is not None:
        ranks = _ranks(index, query, np.flatnonzero(matching))
    ordered = index.ordered(matching, sort, ranks=ranks, place=place_lookup.place)
    page = Paginator(ordered, PAGE_SIZE).get_page(listing.page_number(params.get("page")))
    page.object_list = _page_courses(index, page.object_list, query, place_lookup)

    result = CourseSearch(
        params=params,
        filterset=filterset,
        query=query,
        place_lookup=place_lookup,
        sort=sort,
        page=page,
        errors=errors,
    )
    facets = found.facets(
        chosen_subject=cleaned.get("subject"), chosen_region=cleaned.get("region")
    )
    result.facets = _facet_list(facets, cleaned)
    if result.count < FEW_RESULTS:
        _help_with_few_results(result, found, text)
    return result


def _text_matches(index, query: search.ParsedQuery, *, ranked: bool):
    """The index positions of the public courses the full text matches (-1 for the others),
    and (for the relevance order) each course's rank; (None, None) without a search term."""
    search_query = query.search_query()
    if search_query is None:
        return None, None
    # Every course the text matches: the index holds only the public ones and drops the rest
    # (cheaper than reading each matching course's status and dates).
    matches = SearchDocument.objects.filter(vector=search_query).order_by()
    if ranked:
        rank = SearchRank(F("vector"), search_query, weights=RANK_WEIGHTS)
        matches = matches.annotate(rank=rank).values_list("course_id", "rank")
        names, types = ["course_id", "rank"], [">i8", ">f4"]
    else:
        matches = matches.values_list("course_id")
        names, types = ["course_id"], [">i8"]
    # Read as arrays: tens of thousands of matches, no Python object per row.
    sql, sql_params = matches.query.sql_with_params()
    columns = search_index.read_columns(sql, sql_params, types, names)
    positions = index.positions(columns[0])
    if not ranked:
        return positions, None
    ranks = np.full(index.size, np.nan)
    known = positions >= 0
    ranks[positions[known]] = columns[1][known]
    return positions, ranks


_RANKS_SQL = (
    "SELECT course_id AS c0, ts_rank(%(weights)s::float4[], vector,"
    " to_tsquery(%(config)s::regconfig, %(tsquery)s)) AS c1"
    " FROM measures_searchdocument WHERE course_id = ANY(%(ids)s)"
)


def _ranks(index, query: search.ParsedQuery, positions: np.ndarray) -> np.ndarray:
    """The relevance of the courses at these positions (the same ``ts_rank`` as above)."""
    ranks = np.full(index.size, np.nan)
    if len(positions):
        params = {
            "weights": RANK_WEIGHTS,
            "config": search.CONFIG,
            "tsquery": query.tsquery(),
            "ids": index.ids[positions].tolist(),
        }
        ids, values = search_index.read_columns(_RANKS_SQL, params, [">i8", ">f4"])
        found = index.positions(ids)
        ranks[found[found >= 0]] = values[found >= 0]
    return ranks


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


@dataclass
class ResultDate:
    """What a result shows of one current date."""

    rolling_start: bool
    start_date: date | None
    mode: str
    city: str | None

    def get_mode_display(self) -> str:
        return str(CourseDate.Mode(self.mode).label)


@dataclass
class SearchResult:
    """One course on a result page: what ``_search_result.html`` shows, read as plain values
    (no model instances: a page is two queries and no ORM objects)."""

    pk: int
    slug: str
    title: str
    summary: str
    price: Decimal | None
    price_kind: str
    provider_name: str
    title_html: str
    snippet_html: str
    distance: float | None
    current_dates: list[ResultDate]

    def get_absolute_url(self) -> str:
        return reverse("measures:course_detail", kwargs={"slug": self.slug})


# The courses of a page with their current dates, in one statement (parameters: the index's,
# ``ids``, and with a search term ``tsquery`` and the headline options).
_PAGE_SQL = f"""
SELECT c.id, c.slug, c.title, c.summary, c.price, c.price_kind, o.name, {{headlines}},
    (SELECT json_agg(json_build_array(d.rolling_start, d.start_date, d.mode, v.city)
                     ORDER BY d.rolling_start, d.start_date, d.start_time)
     FROM measures_coursedate d LEFT JOIN network_venue v ON v.id = d.venue_id
     WHERE d.course_id = c.id AND {search_index.CURRENT_DATE_SQL})
FROM measures_course c JOIN network_organisation o ON o.id = c.provider_id
WHERE c.id = ANY(%(ids)s) AND {search_index.PUBLIC_COURSE_SQL}
"""  # noqa: S608 - constant SQL, values are parameters
_HEADLINES_SQL = (
    "ts_headline(%(config)s::regconfig, c.title, to_tsquery(%(config)s::regconfig, %(tsquery)s),"
    " %(title_options)s),"
    " ts_headline(%(config)s::regconfig, c.summary, to_tsquery(%(config)s::regconfig,"
    " %(tsquery)s), %(snippet_options)s)"
)


def _page_courses(index, positions: np.ndarray, query, place_lookup) -> list[SearchResult]:
    """The courses at these index positions, in this order, with their current dates,
    distance and highlighted title and summary. Only courses public now: the index may lag a
    change by one build (see measures.search_index)."""
    ids = index.ids[positions].tolist()
    params = {**index.params(index.day), "ids": ids}
    headlines = "NULL, NULL"
    tsquery = query.tsquery()
    if tsquery is not None:
        headlines = _HEADLINES_SQL
        marks = f"StartSel={_literal(MARK_START)}, StopSel={_literal(MARK_STOP)}"
        params |= {
            "config": search.CONFIG,
            "tsquery": tsquery,
            "title_options": f"{marks}, HighlightAll=true",
            "snippet_options": f"{marks}, MaxFragments=2",
        }
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL.format(headlines=headlines), params)
        rows = {row[0]: row for row in cursor.fetchall()}
    distances = [None] * len(ids)
    if place_lookup.place is not None:
        nearest = index.course_distance(place_lookup.place)[positions]
        distances = [None if math.isinf(km) else float(km) for km in nearest]
    results = []
    for pk, distance in zip(ids, distances, strict=True):
        if pk not in rows:
            continue
        _pk, slug, title, summary, price, price_kind, provider, title_marked, snippet, dates = rows[
            pk
        ]
        results.append(
            SearchResult(
                pk=pk,
                slug=slug,
                title=title,
                summary=summary,
                price=price,
                price_kind=price_kind,
                provider_name=provider,
                title_html=_marked(title_marked or title),
                snippet_html=_marked(snippet or summary),
                distance=distance,
                current_dates=[
                    ResultDate(rolling, date.fromisoformat(start) if start else None, mode, city)
                    for rolling, start, mode, city in dates or []
                ],
            )
        )
    return results


def _literal(text: str) -> str:
    """A value in ts_headline's options: double-quoted, inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _marked(text: str):
    """Escape course text, then turn the highlight markers into <mark>."""
    html = escape(text).replace(escape(MARK_START), "<mark>").replace(escape(MARK_STOP), "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped above; only our own <mark> tags remain


# Facets -------------------------------------------------------------------------------------


FACETS = ("subject", "region", "mode", "funding", "target_group", "kind", "certificate")


def _facet_list(grouped, cleaned) -> list[Facet]:
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
                label=str(CourseFilter.base_filters[name].label),
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


def _help_with_few_results(result: CourseSearch, found, text) -> None:
    """Similar spellings, which filter to drop (with what it would find), a wider radius, and
    the subjects nearby."""
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
        variants.append((label, relaxed, found.count({name})))
    others = [name for name in active if name != "q"]
    if query and len(others) > 1:
        only_text = QueryDict(mutable=True)
        only_text["q"] = query.text
        count = found.count(set(others) | {"place"})
        variants.append((_("nur mit dem Suchbegriff, ohne Filter"), only_text, count))
    wider = [radius for radius in RADIUS_CHOICES if radius > filterset.radius_km]
    place = result.place_lookup.place
    if place is not None and wider:
        radius = wider[min(1, len(wider) - 1)]
        widened = _without_params(params, "page")
        widened["radius"] = str(radius)
        cleaned = filterset.form.cleaned_data
        count = found.index.search(cleaned, place=place, radius_km=radius, text=text).count()
        variants.append((_("im Umkreis von %(radius)s km") % {"radius": radius}, widened, count))
    for label, relaxed, count in variants:
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


__all__ = ["MAX_PAGE", "course_search"]


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
