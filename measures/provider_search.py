"""The provider search: the listing pipeline of ``core.listing`` over SQL — scope → validate →
filter (django-filter) → full text → order → paginate → facets.

``provider_search(params=request.GET)`` returns everything ``/anbieter/`` shows, in a number of
SQL queries that does not depend on the number of providers or results.

Free text searches the provider's name, short name and place (weight A), its core competencies
(B) and its description (D), folded and stemmed like the course search (``measures.search``),
synonyms included.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property

from django.contrib.postgres.search import SearchRank
from django.core.exceptions import EmptyResultSet
from django.db.models import (
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Prefetch,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core import generations, listing, memo, replicas
from core.sql import AnyOf
from core.text import folded
from measures import search, search_index
from measures.provider_filters import (
    PREMISES,
    PROVIDER_SORT_CHOICES,
    ProviderFilter,
    public_courses_of_provider,
    with_premises,
)
from measures.vocabulary import vocabulary
from network.models import (
    Membership,
    Network,
    Organisation,
    OrganisationCertification,
    Region,
)
from network.places import resolve_place

PAGE_SIZE = 20
MAX_TEXT_MATCHES = 50_000
# Facets and a region's providers are kept under the search generation and the day (a change
# of courses, venues, providers, memberships or certificates starts a new generation; what is
# current or valid changes with the day); the time only bounds what is kept.
FACET_CACHE_SECONDS = 3600


def providers():
    """The scope: organisations that offer courses."""
    return Organisation.objects.filter(is_provider=True)


def document() -> F:
    """The provider's search document, kept by the database (``Organisation.search_document``)."""
    return F("search_document")


def current_course_count() -> Coalesce:
    """Each provider's number of public courses, counted in the search index and handed to
    the query as one JSON object (a subquery per provider visited every provider's courses:
    200 ms for the order by courses at 100,000 courses)."""
    counts = json.dumps(search_index.current_index().provider_counts)
    looked_up = RawSQL(  # noqa: S611 - constant SQL, the counts a parameter
        "(%s::jsonb ->> network_organisation.id::text)::integer", [counts]
    )
    return Coalesce(looked_up, 0, output_field=IntegerField())


_NEAREST = """
SELECT least(
    (SELECT earth_distance(ll_to_earth(%s, %s), ll_to_earth(o.latitude, o.longitude))
     FROM network_organisation o
     WHERE o.id = network_organisation.id AND o.latitude IS NOT NULL AND o.longitude IS NOT NULL),
    (SELECT min(earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude)))
     FROM network_venue v
     WHERE v.organisation_id = network_organisation.id AND v.latitude IS NOT NULL
       AND v.longitude IS NOT NULL)
) / 1000
"""


def distance_km(place) -> RawSQL:
    """The distance from the place to the provider's address or nearest venue, in km."""
    params = (place.latitude, place.longitude) * 2
    return RawSQL(_NEAREST, params, output_field=FloatField())  # noqa: S611 - constant SQL


class ProviderListing(listing.Listing):
    filterset_class = ProviderFilter
    sorts = PROVIDER_SORT_CHOICES
    default_sort = "name"
    page_size = PAGE_SIZE
    parse_query = staticmethod(search.parse)
    resolve_place = staticmethod(resolve_place)

    def scope(self):
        return providers()

    def search(self, found):
        ids = self.text_matches
        return found if ids is None else found.filter(AnyOf("pk", ids))

    @cached_property
    def text_matches(self) -> list[int] | None:
        """Found once per search and reused by the facets (the document is computed on the
        fly, so matching again for each facet would cost as much)."""
        return _text_matches(self.query)

    def order(self, found):
        return _ordered(found, self.sort, self.query, self.place)

    def page_data(self, ordered):
        return _with_page_data(ordered, self.place)

    def decorate(self, objects: list) -> list:
        """Each provider's public course count, from the search index (only the order by
        courses needs it in SQL)."""
        counts = search_index.current_index().provider_counts
        for provider in objects:
            provider.course_count = counts.get(provider.pk, 0)
        return objects

    def facets(self, found) -> listing.Facets:
        """The facets of this search, kept for every worker per search generation and day:
        counting over all current courses is the costly part of the search."""
        relevant = sorted(
            (key, sorted(values))
            for key, values in self.params.lists()
            if key not in ("page", "sort")
        )
        digest = hashlib.sha256(repr(relevant).encode()).hexdigest()
        key = f"atlas:provider-facets:{generations.search()}:{timezone.localdate()}:{digest}"

        def count() -> listing.Facets:
            with replicas.primary():  # kept as the generation's: not from a lagging replica
                return facets(self)

        return memo.shared(key, count, FACET_CACHE_SECONDS)

    def filter_groups(self, result: listing.Result) -> list[listing.FilterGroup]:
        """The filter form's option groups, each option with its count."""
        names = ["subject", "region"]
        if Network.objects.count() > 1:
            names.append("network")
        groups = [self.radio_group(name, result.facets.get(name)) for name in names]
        groups.append(self.facet_group("certification", result.facets.get("certification")))
        groups.append(self.checkbox_group("access", counts=result.facets.counts("access")))
        groups.append(
            self.checkbox_group("kind", counts=result.facets.counts("kind"), found_only=True)
        )
        groups.append(
            self.checkbox_group(
                "current",
                [("true", self.label("current"))],
                result.facets.counts("current"),
                legend=_("Kurse"),
            )
        )
        return groups


def provider_search(*, params: QueryDict) -> listing.Result:
    return ProviderListing(params).run()


def _text_matches(query: search.ParsedQuery) -> list[int] | None:
    """The providers whose text matches, found once per search (the document is computed on
    the fly, so the facets reuse the ids instead of matching again); None without a query."""
    search_query = query.search_query()
    if search_query is None:
        return None
    return list(
        providers()
        .annotate(document=document())
        .filter(document=search_query)
        .values_list("pk", flat=True)[:MAX_TEXT_MATCHES]
    )


def _ordered(queryset, sort: str, query, place):
    by_name = (folded("name").asc(), "pk")
    if sort == "relevance":
        rank = SearchRank(document(), query.search_query(), weights=[0.1, 0.3, 0.6, 1.0])
        return queryset.annotate(rank=rank).order_by("-rank", *by_name)
    if sort == "distance":
        return queryset.annotate(distance=distance_km(place)).order_by(
            F("distance").asc(nulls_last=True), *by_name
        )
    if sort == "courses":
        return queryset.annotate(course_count=current_course_count()).order_by(
            "-course_count", *by_name
        )
    return queryset.order_by(*by_name)


def _with_page_data(queryset, place):
    """What a result shows: place, valid certificates, networks (the course count: see
    ``ProviderListing.decorate``)."""
    if place is not None and "distance" not in queryset.query.annotations:
        queryset = queryset.annotate(distance=distance_km(place))
    return queryset.select_related("region").prefetch_related(
        Prefetch(
            "certificates",
            queryset=OrganisationCertification.objects.valid_on().select_related("certification"),
            to_attr="valid_certificates",
        ),
        Prefetch(
            "memberships",
            queryset=Membership.objects.public()
            .select_related("network")
            .order_by("network__name"),
            to_attr="public_memberships",
        ),
    )


# Facets -------------------------------------------------------------------------------------


def facets(search_: ProviderListing) -> listing.Facets:
    """Counts per option, each with every other active filter applied."""
    if search_.text_matches == []:
        return listing.Facets()  # the text matches nothing: every count is zero
    cleaned, matching = search_.cleaned, search_.matching
    rows = []

    # Subjects of current courses: the top level, or the children of a chosen top-level one
    # (counted in the search index, below).
    subject_base = matching({"subject"})

    base = matching({"certification"})
    certificates = OrganisationCertification.objects.valid_on().filter(
        organisation__in=base.values("pk")
    )
    rows.append(
        listing.grouped(
            certificates,
            "certification",
            F("certification__slug"),
            F("certification__name"),
            "organisation_id",
        )
    )

    base = matching({"access"})
    chosen_access = list(cleaned.get("access") or [])
    for value, label in PREMISES:
        features = list(dict.fromkeys([*chosen_access, value]))
        rows.append(
            listing.grouped(
                base.filter(with_premises(features)),
                "access",
                Value(value),
                Value(str(label)),
                "pk",
            )
        )

    base = matching({"network"})
    members = Membership.objects.public().filter(organisation__in=base.values("pk"))
    network_label = Coalesce(
        Func(F("network__short_name"), Value(""), function="nullif"), F("network__name")
    )
    rows.append(
        listing.grouped(members, "network", F("network__slug"), network_label, "organisation_id")
    )

    base = matching({"kind"})
    rows.append(listing.grouped(base, "kind", F("kind"), F("kind"), "pk"))

    base = matching({"current"})
    rows.append(
        listing.grouped(
            base.filter(Exists(public_courses_of_provider())),
            "current",
            Value("true"),
            Value(""),
            "pk",
        )
    )

    counted = listing.count_facets(rows)
    counted["subject"] = _providers_per_subject(subject_base, cleaned.get("subject"))
    counted["region"] = provider_counts_by_region(
        matching({"region", "place"}), cleaned.get("region")
    )
    return _facet_options(counted)


def _providers_per_subject(base, chosen) -> list[tuple[str, str, int]]:
    """Providers per option of the subject facet: the areas (top-level subjects), or the
    subjects right below a chosen area; from the search index's public courses."""
    try:
        provider_ids = list(base.order_by().values_list("pk", flat=True))
    except EmptyResultSet:  # a filter that matches nothing by construction
        return []
    by_id = {subject.pk: subject for subject in vocabulary().subjects.values()}
    within = None
    if chosen is not None and chosen.parent_id is None:
        within = [pk for pk, subject in by_id.items() if subject.parent_id == chosen.pk]
    counts = search_index.current_index().providers_per_subject(provider_ids, within=within)
    return [(by_id[pk].slug, by_id[pk].name, count) for pk, count in counts.items() if pk in by_id]


# The providers (by address or venue) per facet option: ``options`` pairs each region id with
# the option holding it (decided in Python by the one region rule), the database counts.
_REGION_PROVIDERS = """
SELECT m.option, count(DISTINCT x.organisation_id)
FROM (
    SELECT o.id AS organisation_id, o.region_id FROM network_organisation o
    WHERE o.id IN ({ids})
    UNION ALL
    SELECT v.organisation_id, v.region_id FROM network_venue v
    WHERE v.organisation_id IN ({ids})
) AS x
JOIN unnest(%s::bigint[], %s::text[]) AS m(region_id, option) ON m.region_id = x.region_id
GROUP BY m.option
"""


def provider_counts_by_region(base, chosen: Region | None) -> list[tuple[str, str, int]]:
    """Providers per option of the region facet (``network.models.regions.facet_options``:
    the states and the countries without states, or the districts of the chosen region's
    state), by address or venue; a provider counts once per option."""
    try:
        ids_sql, ids_params = base.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction (no text matches)
        return []
    options, option_of = vocabulary().region_facet(chosen)
    # The inner SQL is Django's own compilation of the base queryset; values stay parameters.
    with replicas.read_connection().cursor() as cursor:
        cursor.execute(
            _REGION_PROVIDERS.format(ids=ids_sql),
            [*ids_params, *ids_params, list(option_of), list(option_of.values())],
        )
        counts = dict(cursor.fetchall())
    return [
        (option.key, option.name, counts[option.key]) for option in options if option.key in counts
    ]


def _facet_options(counted) -> listing.Facets:
    kinds = dict(Organisation.Kind.choices)
    result = listing.Facets()
    for name, rows in counted.items():
        options = []
        for value, label, count in rows:
            if name == "kind":
                label = str(kinds.get(value, value))
            options.append(listing.FacetOption(value=value, label=label, count=count))
        if name != "access":
            options.sort(key=lambda option: (-option.count, option.label))
        result.options[name] = options
    return result
