"""Reads for the network pages: querysets for a purpose.

What the public may see of an organisation: a provider is public (its courses are); any other
organisation only through a membership marked public. An organisation whose only memberships
are hidden has no profile, and network pages leave it out of their member lists.
"""

from django.core.cache import cache
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone

from core import generations
from network.models import (
    Event,
    Membership,
    Network,
    Organisation,
    OrganisationCertification,
    Project,
    Region,
    WorkingGroup,
)


def role_rank():
    """Lead partner first, then consortium, strategic and cooperation partners."""
    return Case(
        *[
            When(role=value, then=Value(rank))
            for rank, (value, _label) in enumerate(Membership.Role.choices)
        ],
        default=Value(len(Membership.Role.choices)),
        output_field=IntegerField(),
    )


SITE_NETWORKS_CACHE_SECONDS = 300


def site_networks() -> list[Network]:
    """The networks, for the site's header and footer; cached per reference generation."""
    key = f"atlas:site-networks:{generations.reference()}"
    networks = cache.get(key)
    if networks is None:
        networks = list(Network.objects.order_by("name").only("name", "short_name", "slug"))
        cache.set(key, networks, SITE_NETWORKS_CACHE_SECONDS)
    return networks


def covered_regions():
    """The regions the installation's networks cover, with their networks."""
    return list(
        Region.objects.filter(networks__isnull=False)
        .distinct()
        .order_by("kind", "name")
        .prefetch_related(Prefetch("networks", queryset=Network.objects.order_by("name")))
    )


def networks_in_brief():
    return list(
        Network.objects.select_related("lead_partner")
        .annotate(
            partner_count=Count(
                "memberships", filter=Q(memberships__is_public=True), distinct=True
            ),
            working_group_count=Count("working_groups", distinct=True),
        )
        .order_by("name")
    )


def public_memberships(network):
    return (
        Membership.objects.filter(network=network, is_public=True)
        .select_related("organisation")
        .annotate(rank=role_rank())
        .order_by("rank", "organisation__name")
    )


def is_public_organisation() -> Q:
    """A provider, or a public member of some network."""
    public_member = Membership.objects.filter(organisation=OuterRef("pk"), is_public=True)
    return Q(is_provider=True) | Q(Exists(public_member))


def listed_in(network) -> Q:
    """Organisations a network's pages show: providers and the network's public members."""
    member = Membership.objects.filter(organisation=OuterRef("pk"), network=network, is_public=True)
    return Q(is_provider=True) | Q(Exists(member))


def organisation_for_profile():
    """Public organisations with what their profile shows (courses are read separately)."""
    return (
        Organisation.objects.filter(is_public_organisation())
        .select_related("region", "region__parent")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=OrganisationCertification.objects.valid_on().select_related(
                    "certification"
                ),
                to_attr="valid_certificates",
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(is_public=True)
                .select_related("network")
                .order_by("network__name"),
                to_attr="public_memberships",
            ),
            Prefetch(
                "working_groups",
                queryset=WorkingGroup.objects.select_related("network").order_by("name"),
                to_attr="all_working_groups",
            ),
            Prefetch(
                "led_working_groups",
                queryset=WorkingGroup.objects.select_related("network").order_by("name"),
                to_attr="all_led_working_groups",
            ),
            "venues",
            "contacts",
        )
    )


def working_groups_of(organisation) -> list[tuple[Membership, list[WorkingGroup]]]:
    """The organisation's public memberships, each with its working groups in that network
    (those it leads or belongs to)."""
    by_network: dict[int, dict[int, WorkingGroup]] = {}
    for group in [*organisation.all_led_working_groups, *organisation.all_working_groups]:
        by_network.setdefault(group.network_id, {})[group.pk] = group
    return [
        (
            membership,
            sorted(
                by_network.get(membership.network_id, {}).values(), key=lambda group: group.name
            ),
        )
        for membership in organisation.public_memberships
    ]


def network_for_page():
    return Network.objects.select_related("lead_partner").prefetch_related(
        Prefetch("regions", queryset=Region.objects.select_related("parent").order_by("key")),
        "phases",
    )


def working_groups_tree(network) -> list[WorkingGroup]:
    """The network's top-level groups, each with ``children`` (its subgroups)."""
    groups = list(
        network.working_groups.select_related("lead", "network")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name")
    )
    children: dict[int, list[WorkingGroup]] = {}
    for group in groups:
        children.setdefault(group.parent_id, []).append(group)
    for group in groups:
        group.children = children.get(group.pk, [])
    return children.get(None, [])


def upcoming_events(network, *, limit=None):
    events = (
        network.events.filter(Q(starts_at__gte=timezone.now()) | Q(ends_at__gte=timezone.now()))
        .order_by("starts_at", "title")
        .select_related("network")
    )
    return list(events[:limit] if limit else events)


def past_events(network):
    return (
        network.events.filter(starts_at__lt=timezone.now())
        .filter(Q(ends_at__isnull=True) | Q(ends_at__lt=timezone.now()))
        .order_by("-starts_at", "title")
        .select_related("network")
    )


def projects_of(network):
    status_order = {"running": 0, "planned": 1, "completed": 2}
    projects = list(
        network.projects.select_related("network", "working_group", "lead").order_by("title")
    )
    projects.sort(key=lambda project: status_order.get(project.status, 3))
    return projects


def working_group_for_page(network):
    return WorkingGroup.objects.filter(network=network).select_related("network", "parent", "lead")


def visible_organisations(network, relation):
    """Organisations of a many-to-many relation that the network's pages may show."""
    return relation.filter(listed_in(network)).order_by("name")


def project_for_page(network):
    return (
        Project.objects.filter(network=network)
        .select_related("network", "working_group", "lead")
        .prefetch_related("target_groups")
    )


def event_for_page(network):
    return Event.objects.filter(network=network).select_related(
        "network", "project", "working_group", "organiser", "region"
    )


def shown(organisation, network) -> bool:
    """Whether a single organisation (a lead, an organiser) may be shown on a network page."""
    if organisation is None:
        return False
    if organisation.is_provider:
        return True
    return Membership.objects.filter(
        organisation=organisation, network=network, is_public=True
    ).exists()
