"""The course search: the listing pipeline of ``core.listing`` with the in-memory index
(``measures.search_index``) as its engine. Validate (django-filter) → filter (the index) → full
text (PostgreSQL) → order and count the facets (the index) → read the page (PostgreSQL).

``course_search(params=request.GET)`` returns everything the search page shows. The number of
SQL queries does not depend on the number of results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import listing, replicas
from core.listing import MAX_PAGE, RADIUS_CHOICES, escape_html
from measures import cards, search, search_help, search_index, text_matches
from measures.filters import SORT_CHOICES, CourseFilter
from measures.models import Course, CourseDate, Subject
from measures.vocabulary import vocabulary
from network.places import resolve_place

PAGE_SIZE = 20
RANK_WEIGHTS = [0.1, 0.3, 0.6, 1.0]  # D, C, B, A: title above keywords above summary
FEW_RESULTS = 3

# Highlight markers that cannot occur in course text; replaced by <mark> after escaping.
MARK_START, MARK_STOP = "\u2063[[", "]]\u2063"
_MARK_START_ESCAPED, _MARK_STOP_ESCAPED = escape_html(MARK_START), escape_html(MARK_STOP)


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
class SubjectLink:
    """A subject offered as a way on, with what searching it would find."""

    subject: Subject
    count: int
    url: str


@dataclass
class CounsellingHelp:
    """Counselling offers nearby (a few, as search results) and the link to all of them."""

    offers: list[SearchResult]
    count: int
    url: str


@dataclass
class CourseSearch(listing.Result):
    """What the search page shows; ``facets`` is a list of :class:`Facet`."""

    suggestions: list[str] = field(default_factory=list)
    partial: bool = False  # no course has every word: those with the most come first
    corrected_from: str = ""  # what was typed, when the search is for its "Meinten Sie"
    relaxations: list[Relaxation] = field(default_factory=list)
    nearby_subjects: list[Subject] = field(default_factory=list)
    # With a search term that finds little: the subjects closest to it by name or synonym,
    # else (nothing found, nothing close) the subject areas.
    closest_subjects: list[SubjectLink] = field(default_factory=list)
    subject_areas: list[SubjectLink] = field(default_factory=list)
    counselling: CounsellingHelp | None = None

    def result_cards(self):
        """The page's results as the cards of the result list (``measures.cards``)."""
        return cards.result_cards(self.page.object_list)


class CourseListing(listing.Listing):
    """The shared pipeline with the index as its engine: the index filters (all filters at
    once, each kept apart so that facets and help can leave any out), PostgreSQL matches the
    text, the index orders and counts, PostgreSQL reads the page."""

    filterset_class = CourseFilter
    sorts = SORT_CHOICES
    default_sort = "date"
    page_size = PAGE_SIZE
    result_class = CourseSearch
    parse_query = staticmethod(search.parse)
    resolve_place = staticmethod(resolve_place)
    partial = None  # with partial matches: which courses each group of the query matches
    corrected_from = ""  # what was typed, when the search is for its slip-free spelling
    suggestions = None  # "Meinten Sie", once asked for

    def scope(self):
        return search_index.current_index()

    def filter(self, index, *, exclude=frozenset()):
        # The index's Search leaves out filters when asked (``courses(exclude)``), so one
        # search serves the results, the facets and the help.
        return index.search(self.cleaned, place=self.place, radius_km=self.filterset.radius_km)

    def search(self, found):
        # With other filters, only the courses that meet them all are ranked (a broad term in
        # a region: thousands of matches, a few hundred of them there).
        filtered = self.place is not None or search_index.filters_active(self.cleaned)
        ranked = self.sort == "relevance" and not filtered
        self.text, self.ranks = _text_matches(found.index, self.query, ranked=ranked)
        if self.text is None:
            return found
        matching = _mask(found.index.size, self.text)
        if not matching.any():  # the words find nothing at all: a slip of the keyboard?
            slip_free = self._search_slip_free(found.index, ranked)
            matching = matching if slip_free is None else slip_free
        self.partial = None
        if len(self.query.groups) > 1 and not (matching & found.courses()).any():
            # No course has every word: the courses with the most of them, ranked.
            self.partial = _group_matches(found.index, self.query)
            matching = np.logical_or.reduce(self.partial)
            self.query = self.query.partial()
            self.text = np.where(matching, np.arange(found.index.size), -1)
            self.ranks = None
        found.on_courses("q", matching)
        return found

    def order(self, found):
        matching = found.courses()
        if self.sort == "relevance" and self.ranks is None and self.text is not None:
            if self.partial is None:
                self.ranks = _ranks(found.index, self.query, np.flatnonzero(matching))
            else:
                self.ranks = self._partial_ranks(found.index, matching)
        return found.index.ordered(matching, self.sort, ranks=self.ranks, place=self.place)

    def _partial_ranks(self, index, matching: np.ndarray) -> np.ndarray:
        """Partial matches: the rarer the words a course has, the higher; the text's rank
        (below 1) orders among equals. Only the courses that can reach the requested page are
        ranked by PostgreSQL: a course whose words weigh 1 less than the page's last one cannot
        ("Englisch Abend Xylophon": the few English courses, not every evening course)."""
        rarity = [math.log((mask.size + 1) / (mask.sum() + 1)) for mask in self.partial]
        weight = np.dot(rarity, self.partial)
        positions = np.flatnonzero(matching)
        needed = listing.page_number(self.params.get("page")) * self.page_size
        if len(positions) > needed:
            last = np.partition(weight[positions], -needed)[-needed]
            positions = positions[weight[positions] > last - 1]
        ranks = np.nan_to_num(_ranks(index, self.query, positions))
        return weight + ranks / (ranks + 1)

    def ordered_ids(self, limit: int | None) -> tuple[list[int], int]:
        """The ids of the courses this search finds, in its order (the first ``limit``; None:
        all), and how many it finds: the pipeline of ``run`` up to the order, without the
        page, the facets and the help (exports and feeds of a search)."""
        found = self._found()
        ordered = self.order(found)
        return found.index.ids[ordered[:limit]].tolist(), len(ordered)

    def found_ids(self) -> np.ndarray:
        """The ids of the courses this search finds, in no order: the pipeline of ``run`` up
        to the matches (a feed picks the newest of them, a count needs no order; ordering a
        million found courses costs more than finding them)."""
        found = self._found()
        return found.index.ids[found.courses()]

    def _found(self):
        """The pipeline of ``run`` up to the matches (no page, facets or help)."""
        self.cleaned, _errors = self.validate()
        self.sort = self.choose_sort(self.cleaned.get("sort"))
        return self.matching()

    def paginate(self, found, ordered) -> Page:
        page = Paginator(ordered, self.page_size).get_page(
            listing.page_number(self.params.get("page"))
        )
        positions = page.object_list
        page.object_list = _page_courses(found.index, positions, self.query, self.place)
        if self.partial is not None:  # each result says which words it does not have
            at = dict(zip(found.index.ids[positions].tolist(), positions, strict=True))
            for course in page.object_list:
                course.missing = [
                    group.spelling
                    for group, matched in zip(self.query.groups, self.partial, strict=True)
                    if not matched[at[course.pk]]
                ]
        return page

    def facets(self, found) -> list[Facet]:
        chosen_subject, chosen_region = self.cleaned.get("subject"), self.cleaned.get("region")
        grouped = found.facets(chosen_subject=chosen_subject, chosen_region=chosen_region)
        return _facet_list(grouped, self.cleaned)

    def _search_slip_free(self, index, ranked: bool):
        """When "Meinten Sie" spells the words with nothing but slips of the keyboard
        ("Exel" → Excel) and that spelling finds courses: search for it instead (the page
        says so). Returns the matches, or None."""
        self.suggestions = search.suggestions(self.query.text)
        if not self.suggestions or not _slip(self.query.text, self.suggestions[0]):
            return None
        spelt = search.parse(self.suggestions[0])
        text, ranks = _text_matches(index, spelt, ranked=ranked)
        matching = _mask(index.size, text)
        if not matching.any():
            return None
        self.corrected_from, self.query, self.text, self.ranks = self.query.text, spelt, text, ranks
        self.suggestions = None  # the spelling's own, if it finds little
        return matching

    def finish(self, result: CourseSearch, found) -> None:
        result.partial = self.partial is not None
        result.corrected_from = self.corrected_from
        if result.count < FEW_RESULTS:
            _help_with_few_results(
                result, found, self.text, self.filter_names(), suggestions=self.suggestions
            )

    def filter_groups(self, result: CourseSearch) -> list[listing.FilterGroup]:
        """The filter form: each option with its facet count where there is one."""
        facets = {facet.name: facet.options for facet in result.facets}
        groups = [self.radio_group(name, facets[name]) for name in ("subject", "region")]
        for name in ("mode", "funding", "target_group", "certificate", "kind"):
            if name in FACETED_MODEL_GROUPS:
                groups.append(self.facet_group(name, facets[name]))
            else:
                counts = {option.value: option.count for option in facets[name]}
                groups.append(self.checkbox_group(name, counts=counts))
        groups += [self.checkbox_group(name) for name in ("weekday", "time", "language", "access")]
        params = self.params
        groups.append(
            listing.FilterGroup(
                "period",
                _("Zeitraum"),
                [self._yes_option("rolling")],
                fields=[
                    listing.FilterField(name, self.label(name), params.get(name, ""), "date")
                    for name in ("date_from", "date_to")
                ],
            )
        )
        price_attrs = {"min": "0", "step": "1", "inputmode": "numeric"}
        groups.append(
            listing.FilterGroup(
                "price",
                _("Preis"),
                [self._yes_option("free")],
                fields=[
                    listing.FilterField(
                        "max_price",
                        _("höchstens (Euro)"),
                        params.get("max_price", ""),
                        "number",
                        price_attrs,
                    )
                ],
            )
        )
        return groups

    def _yes_option(self, name: str) -> listing.FilterOption:
        """A yes/no filter as one checkbox in a group of its own name."""
        checked = self.params.get(name) == "true"
        return listing.FilterOption("true", self.label(name), checked, name=name)


FACETED_MODEL_GROUPS = ("funding", "target_group", "certificate")


def course_search(*, params: QueryDict) -> CourseSearch:
    return CourseListing(params).run()


def course_search_ids(*, params: QueryDict, limit: int | None) -> tuple[list[int], int]:
    """The ids of the courses ``course_search`` finds for these parameters, in its order (the
    first ``limit``), and their number."""
    return CourseListing(params).ordered_ids(limit)


def course_search_found(*, params: QueryDict) -> np.ndarray:
    """The ids of the courses ``course_search`` finds for these parameters, in no order."""
    return CourseListing(params).found_ids()


def _slip(typed: str, spelling: str) -> bool:
    """Whether ``spelling`` differs from ``typed`` only by slips of the keyboard: the same
    number of words, each within two edits (a swap of neighbours is one) and a third of its
    length ("Exel" → Excel, "Buchhaltnug" → Buchhaltung; not "Magiie" → MAG)."""
    typed_words, spelt_words = search.words(typed), search.words(spelling)
    if len(typed_words) != len(spelt_words):
        return False
    return all(
        _edits(old, new) <= min(2, max(1, len(old) // 3))
        for old, new in zip(typed_words, spelt_words, strict=True)
    )


def _edits(first: str, second: str) -> int:
    """The optimal string alignment distance (insert, delete, substitute, swap neighbours)."""
    previous, current = None, list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        before, previous, current = previous, current, [i] + [0] * len(second)
        for j, b in enumerate(second, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], before[j - 2] + 1)
    return current[-1]


def _mask(size: int, positions: np.ndarray) -> np.ndarray:
    """The positions (-1: none) as a mask over the index."""
    mask = np.zeros(size, dtype=bool)
    mask[positions[positions >= 0]] = True
    return mask


def _text_matches(index, query: search.ParsedQuery, *, ranked: bool):
    """The index positions of the public courses the full text matches, and (for the
    relevance order) each course's rank; (None, None) without a search term. Kept per term
    (``measures.text_matches``): a term costs PostgreSQL once per build of the index."""
    tsquery = query.tsquery()
    if tsquery is None:
        return None, None
    return text_matches.matches(
        index, tsquery, ranked=ranked, config=search.CONFIG, weights=RANK_WEIGHTS
    )


# After a full build of the index at a catalogue's size, the builder matches what learners
# most likely type for all workers (``text_matches.share``): the thesaurus' terms (gathered
# from the networks' reports: "Deutsch", "Pflege", "Erste Hilfe", …) and the vocabulary's most
# frequent words. Broad terms are the ones that cost PostgreSQL most on their first search
# ("Pflege" with its synonyms matches 129,000 of 1,000,000 courses: 0.6 s).
PREMATCH_WORDS = 40


def prematch_common_terms(index, words: int = PREMATCH_WORDS) -> int:
    """Share the matches of the thesaurus' terms and the ``words`` most frequent words of the
    vocabulary, each as its own search would ask (synonyms and compounds included); how many
    were matched (not shared before)."""
    terms = [*search.thesaurus_terms(), *search.frequent_words(words)]
    tsqueries = dict.fromkeys(filter(None, (search.parse(term).tsquery() for term in terms)))
    matched = 0
    for tsquery in tsqueries:
        if text_matches.share(index.base, tsquery, config=search.CONFIG, weights=RANK_WEIGHTS):
            matched += 1
    return matched


def _group_matches(index, query: search.ParsedQuery) -> list[np.ndarray]:
    """Which courses each group of the query matches, as masks over the index (only when no
    course matches them all)."""
    masks = []
    for group in query.groups:
        positions, _ = text_matches.matches(
            index, group.tsquery, ranked=False, config=search.CONFIG, weights=RANK_WEIGHTS
        )
        masks.append(_mask(index.size, positions))
    return masks


def _ranks(index, query: search.ParsedQuery, positions: np.ndarray) -> np.ndarray:
    """The relevance of the courses at these positions (matches of the query; the same
    ``ts_rank`` as the kept text matches)."""
    ranks = np.full(index.size, np.nan)
    if len(positions):
        params = {"weights": RANK_WEIGHTS, "config": search.CONFIG, "tsquery": query.tsquery()}
        ids, values = text_matches.read(params, True, index.ids[positions])
        found = index.positions(ids)
        ranks[found[found >= 0]] = values[found >= 0]
    return ranks


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
    """One course on a result page: what its card shows (``measures.cards``), read as plain values
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
    missing: list[str] = field(default_factory=list)  # the search words it does not have
    provider_id: int | None = None
    provider_slug: str = ""

    def get_absolute_url(self) -> str:
        return reverse("measures:course_detail", kwargs={"slug": self.slug})


# The courses of a page with their current dates, in one statement (parameters: the index's,
# ``ids``, and with a search term ``tsquery`` and the headline options).
_PAGE_SQL = f"""
SELECT c.id, c.slug, c.title, c.summary, c.price, c.price_kind, o.name, {{headlines}},
    o.id, o.slug,
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


def _page_courses(index, positions: np.ndarray, query, place) -> list[SearchResult]:
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
    with replicas.read_connection().cursor() as cursor:  # a replica in a public request
        cursor.execute(_PAGE_SQL.format(headlines=headlines), params)
        rows = {row[0]: row for row in cursor.fetchall()}
    distances = [None] * len(ids)
    if place is not None:
        nearest = index.course_distance(place)[positions]
        distances = [None if math.isinf(km) else float(km) for km in nearest]
    results = []
    for pk, distance in zip(ids, distances, strict=True):
        if pk not in rows:
            continue
        (_pk, slug, title, summary, price, price_kind, provider, title_marked, snippet) = rows[pk][
            :9
        ]
        provider_id, provider_slug, dates = rows[pk][9:]
        results.append(
            SearchResult(
                pk=pk,
                slug=slug,
                title=title,
                summary=summary,
                price=price,
                price_kind=price_kind,
                provider_name=provider,
                provider_id=provider_id,
                provider_slug=provider_slug,
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
    html = escape_html(text).replace(_MARK_START_ESCAPED, "<mark>")
    html = html.replace(_MARK_STOP_ESCAPED, "</mark>")
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

    choice_labels = {name: dict(CourseFilter.field_text(name).choices) for name in ("kind", "mode")}
    result = []
    for name in FACETS:
        selected = selected_values(name)
        options = []
        for value, label, count in grouped.get(name, []):
            if name in choice_labels:
                label = choice_labels[name].get(value, value)
            options.append(
                FacetOption(value=value, label=label, count=count, selected=value in selected)
            )
        options.sort(key=lambda option: (-option.count, option.label))
        result.append(
            Facet(
                name=name,
                label=CourseFilter.field_text(name).label,
                options=options,
                multiple=name not in ("subject", "region"),
            )
        )
    return result


# Help for empty and thin results ------------------------------------------------------------


def _help_with_few_results(result: CourseSearch, found, text, names, suggestions=None) -> None:
    """Similar spellings, which filter to drop (with what it would find), a wider radius, and
    the subjects nearby."""
    params, filterset, query = result.params, result.filterset, result.query
    if query:
        result.suggestions = search.suggestions(query.text) if suggestions is None else suggestions
    active = [name for name in names if any(params.getlist(name))]
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
    _subjects_and_counselling(result, found)


def _kept_params(result: CourseSearch) -> QueryDict:
    """The parameters the help's links keep: the place (when it was found) and the region."""
    kept = QueryDict(mutable=True)
    cleaned = result.filterset.form.cleaned_data
    if result.place_lookup.place is not None:
        kept["place"] = result.params.get("place", "")
        kept["radius"] = str(result.filterset.radius_km)
    if cleaned.get("region") is not None:
        kept["region"] = result.params.get("region", "")
    return kept


def _subjects_and_counselling(result: CourseSearch, found) -> None:
    """The subjects closest to the search term, or the subject areas, and the counselling
    offers nearby; each counted where the search looked (its place or region)."""
    index, query = found.index, result.query
    kept = _kept_params(result)
    where = found.courses(found.active - {"place", "region"})

    def link(subject: Subject, count: int) -> SubjectLink:
        params = kept.copy()
        params["subject"] = subject.slug
        return SubjectLink(subject=subject, count=count, url="?" + params.urlencode())

    if query:
        closest = search_help.closest_subjects(query.text, index, where)
        result.closest_subjects = [link(subject, count) for subject, count in closest]
    if not result.count and not result.closest_subjects:
        result.subject_areas = [
            link(area, count) for area, count in search_help.subject_areas(index, where)
        ]

    place = result.place_lookup.place
    region = "region" in found.active
    positions = search_help.nearest_counselling(
        index, place, radius_km=result.filterset.radius_km, area=where if region else None
    )
    if not len(positions):
        return
    offers = _page_courses(index, positions, search.ParsedQuery(text="", words=[]), place)
    counselling = search_help.counselling_mask(index)
    count = int(np.count_nonzero(counselling & where))
    params = kept if count else QueryDict(mutable=True)
    if not count:
        count = int(np.count_nonzero(counselling))
    params = params.copy()
    params["kind"] = Course.Kind.COUNSELLING
    result.counselling = CounsellingHelp(offers=offers, count=count, url="?" + params.urlencode())


def _without_params(params: QueryDict, *names: str) -> QueryDict:
    remaining = params.copy()
    for name in names:
        remaining.pop(name, None)
    return remaining


__all__ = ["MAX_PAGE", "course_search"]
