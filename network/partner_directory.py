"""The partner directory (``/partner/``): who is in the network, in which role, since when and
in which working groups. Only memberships marked public are listed, and only their
organisations appear anywhere in it (counts and filter options included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    F,
    Func,
    Prefetch,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Substr
from django.http import QueryDict

from core import listing
from core.text import folded
from network.filters import PartnerFilter
from network.models import Membership, Network, Organisation, Region, WorkingGroup
from network.selectors import role_rank

PAGE_SIZE = 30
FILTER_NAMES = ("q", "network", "role", "kind", "working_group", "region")


def public_memberships():
    return Membership.objects.filter(is_public=True)


@dataclass
class PartnerDirectory:
    params: QueryDict
    filterset: PartnerFilter
    sort: str
    page: Page
    facets: listing.Facets = field(default_factory=listing.Facets)
    errors: list[str] = field(default_factory=list)
    several_networks: bool = False

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @cached_property
    def chips(self) -> list[tuple[str, str]]:
        return listing.chips(self.params, self.filterset.form, FILTER_NAMES)


def partner_directory(*, params: QueryDict) -> PartnerDirectory:
    params = listing.bounded(params)
    filterset = PartnerFilter(params, queryset=public_memberships())
    form = filterset.form
    form.is_valid()
    errors = listing.form_errors(form)
    sort = form.cleaned_data.get("sort") or "name"
    if sort not in ("name", "role", "since"):
        sort = "name"

    memberships = filterset.qs
    ordered = _ordered(memberships, sort)
    paginator = Paginator(_with_page_data(ordered), PAGE_SIZE)
    paginator.count = memberships.order_by().count()
    page = paginator.get_page(listing.page_number(params.get("page")))
    page.object_list = _decorate(list(page.object_list))
    result = PartnerDirectory(
        params=params,
        filterset=filterset,
        sort=sort,
        page=page,
        errors=errors,
        several_networks=Network.objects.count() > 1,
    )
    result.facets = facets(filterset)
    return result


def _by_name():
    return folded("organisation__name")


def _ordered(memberships, sort: str):
    if sort == "role":
        return memberships.annotate(rank=role_rank()).order_by("rank", _by_name(), "pk")
    if sort == "since":
        return memberships.order_by(F("since").asc(nulls_last=True), _by_name(), "pk")
    return memberships.order_by(_by_name(), "network__name", "pk")


def _with_page_data(memberships):
    return memberships.select_related(
        "organisation", "organisation__region", "network"
    ).prefetch_related(
        Prefetch(
            "organisation__working_groups",
            queryset=WorkingGroup.objects.select_related("network").order_by("name"),
            to_attr="all_working_groups",
        )
    )


def _decorate(memberships):
    """Each membership's working groups: those of its own network."""
    for membership in memberships:
        membership.groups = [
            group
            for group in membership.organisation.all_working_groups
            if group.network_id == membership.network_id
        ]
    return memberships


def facets(filterset: PartnerFilter) -> listing.Facets:
    cleaned = filterset.form.cleaned_data
    rows = []

    def base(name):
        return filterset.apply(public_memberships(), exclude=frozenset([name]))

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

    memberships = base("region").filter(organisation__region__isnull=False)
    chosen_region = cleaned.get("region")
    if chosen_region is not None and chosen_region.kind != Region.Kind.COUNTRY:
        memberships = memberships.filter(
            organisation__region__key__startswith=chosen_region.key[:2]
        )
        key = F("organisation__region__key")
    else:
        key = Substr("organisation__region__key", 1, 2)
    rows.append(listing.grouped(memberships, "region", key, key, "pk"))

    counted = listing.count_facets(rows)
    return _facet_options(counted)


def _facet_options(counted) -> listing.Facets:
    labels = {
        "role": dict(Membership.Role.choices),
        "kind": dict(Organisation.Kind.choices),
    }
    region_keys = [value for value, _label, _count in counted.get("region", [])]
    region_names = (
        dict(Region.objects.filter(key__in=region_keys).values_list("key", "name"))
        if region_keys
        else {}
    )
    result = listing.Facets()
    for name, rows in counted.items():
        options = []
        for value, label, count in rows:
            if name in labels:
                label = str(labels[name].get(value, value))
            elif name == "region":
                label = region_names.get(value, value)
            options.append(listing.FacetOption(value=value, label=label, count=count))
        if name == "role":
            order = [value for value, _label in Membership.Role.choices]
            options.sort(key=lambda option: order.index(option.value))
        else:
            options.sort(key=lambda option: (-option.count, option.label))
        result.options[name] = options
    return result


def filter_groups(result: PartnerDirectory) -> list[listing.FilterGroup]:
    params, form, facets_ = result.params, result.filterset.form, result.facets
    groups = []
    radio_names = ["network", "working_group", "region"]
    if not result.several_networks:
        radio_names.remove("network")
    for name in ("role", "kind"):
        chosen = set(params.getlist(name)) if name not in form.errors else set()
        counts = facets_.counts(name)
        choices = [
            (value, str(label))
            for value, label in form.fields[name].choices
            if counts.get(value) or value in chosen
        ]
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
    for name in radio_names:
        chosen = params.get(name, "") if name not in form.errors else ""
        options = [
            listing.FilterOption(option.value, option.label, option.value == chosen, option.count)
            for option in facets_.get(name)
        ]
        if chosen and not any(option.checked for option in options):
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
    return groups
