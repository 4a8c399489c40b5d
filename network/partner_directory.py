"""The partner directory (``/partner/``): who is in the network, in which role, since when and
in which working groups. Only memberships marked public are listed, and only their
organisations appear anywhere in it (counts and filter options included).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    CharField,
    F,
    Func,
    Prefetch,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict

from core import generations, listing, replicas
from core.text import folded
from network.filters import PARTNER_SORT_CHOICES, PartnerFilter
from network.models import Membership, Network, Organisation, Region, WorkingGroup
from network.models.regions import FACET_KINDS, facet_option_of, facet_options
from network.selectors import role_rank

PAGE_SIZE = 30


def public_memberships():
    return Membership.objects.public()


@dataclass
class PartnerDirectory(listing.Result):
    several_networks: bool = False


class PartnerListing(listing.Listing):
    filterset_class = PartnerFilter
    sorts = PARTNER_SORT_CHOICES
    default_sort = "name"
    page_size = PAGE_SIZE
    result_class = PartnerDirectory

    def scope(self):
        return public_memberships()

    def order(self, found):
        if self.sort == "role":
            return found.annotate(rank=role_rank()).order_by("rank", _by_name(), "pk")
        if self.sort == "since":
            return found.order_by(F("since").asc(nulls_last=True), _by_name(), "pk")
        return found.order_by(_by_name(), "network__name", "pk")

    def page_data(self, ordered):
        return ordered.select_related(
            "organisation", "organisation__region", "network"
        ).prefetch_related(
            Prefetch(
                "organisation__working_groups",
                queryset=WorkingGroup.objects.select_related("network").order_by("name"),
                to_attr="all_working_groups",
            )
        )

    def decorate(self, objects):
        """Each membership's working groups: those of its own network."""
        for membership in objects:
            membership.groups = [
                group
                for group in membership.organisation.all_working_groups
                if group.network_id == membership.network_id
            ]
        return objects

    def facets(self, found) -> listing.Facets:
        return facets(self)

    def finish(self, result: PartnerDirectory, found) -> None:
        result.several_networks = Network.objects.count() > 1

    def filter_groups(self, result: PartnerDirectory) -> list[listing.FilterGroup]:
        facets_ = result.facets
        groups = [
            self.checkbox_group(name, counts=facets_.counts(name), found_only=True)
            for name in ("role", "kind")
        ]
        names = ["network", "working_group", "region"]
        if not result.several_networks:
            names.remove("network")
        groups += [self.radio_group(name, facets_.get(name)) for name in names]
        return groups


def partner_directory(*, params: QueryDict) -> PartnerDirectory:
    return PartnerListing(params).run()


def _by_name():
    return folded("organisation__name")


def facets(directory: PartnerListing) -> listing.Facets:
    """Counts per option, each with every other active filter applied."""
    cleaned = directory.cleaned
    rows = []

    def base(name):
        return directory.matching({name})

    rows.append(listing.grouped(base("role"), "role", F("role"), F("role"), "pk"))
    rows.append(
        listing.grouped(
            base("kind"), "kind", F("organisation__kind"), F("organisation__kind"), "pk"
        )
    )
    network_label = Coalesce(
        Func(F("network__short_name"), Value(""), function="nullif"), F("network__name")
    )
    rows.append(
        listing.grouped(base("network"), "network", F("network__slug"), network_label, "pk")
    )

    memberships = base("working_group")
    links = WorkingGroup.members.through.objects.filter(
        organisation__memberships__in=memberships.values("pk"),
        workinggroup__network=F("organisation__memberships__network"),
    )
    chosen_network = cleaned.get("network")
    if chosen_network is not None:
        links = links.filter(workinggroup__network=chosen_network)
    rows.append(
        listing.grouped(
            links,
            "working_group",
            Cast("workinggroup_id", output_field=CharField()),
            F("workinggroup__name"),
            "organisation_id",
        )
    )

    # Per region of the organisations (one each, so the options' counts are sums).
    memberships = base("region").filter(organisation__region__isnull=False)
    region = F("organisation__region__key"), F("organisation__region__country")
    rows.append(listing.grouped(memberships, "region", *region, "pk"))

    counted = listing.count_facets(rows)
    return _facet_options(counted, cleaned.get("region"))


def _facet_options(counted, chosen_region) -> listing.Facets:
    labels = {
        "role": dict(Membership.Role.choices),
        "kind": dict(Organisation.Kind.choices),
    }
    if counted.get("region"):
        counted["region"] = _region_options(counted["region"], chosen_region)
    result = listing.Facets()
    for name, rows in counted.items():
        options = []
        for value, label, count in rows:
            if name in labels:
                label = str(labels[name].get(value, value))
            options.append(listing.FacetOption(value=value, label=label, count=count))
        if name == "role":
            order = [value for value, _label in Membership.Role.choices]
            options.sort(key=lambda option: order.index(option.value))
        else:
            options.sort(key=lambda option: (-option.count, option.label))
        result.options[name] = options
    return result


_facet_regions: tuple[int, list[Region]] | None = None  # (reference generation, regions)


def facet_regions() -> list[Region]:
    """The countries, states and districts a region facet chooses from, read once per process
    and reference generation (630 rows: 16 ms of every directory page)."""
    global _facet_regions  # noqa: PLW0603 - a per-process memo
    generation = generations.reference()
    if _facet_regions is None or _facet_regions[0] != generation:
        regions = Region.objects.filter(kind__in=FACET_KINDS).only("key", "name", "kind", "country")
        with replicas.primary():  # kept as the generation's: not from a lagging replica
            _facet_regions = (generation, list(regions))
    return _facet_regions[1]


def _region_options(rows, chosen) -> list[tuple[str, str, int]]:
    """Counts per region (key, country, count) summed per option of the region facet."""
    options = facet_options(facet_regions(), chosen)
    counts: dict[str, int] = {}
    for key, country, count in rows:
        option = facet_option_of(options, key, country)
        if option is not None:
            counts[option.key] = counts.get(option.key, 0) + count
    return [
        (option.key, option.name, counts[option.key]) for option in options if option.key in counts
    ]
