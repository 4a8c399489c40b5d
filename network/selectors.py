"""Reads for the network pages: querysets for a purpose.

What the public may see of an organisation: a provider is public (its courses are); any other
organisation only through a membership marked public. An organisation whose only memberships
are hidden has no profile. Whether an organisation is a member of a network, a working group
or a project, and how many members they have, is shown only through public memberships
(``Membership.objects.public()``, ``Organisation.objects.public_members_of(network)``), for
providers too.
"""

from django.core.cache import caches
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import generations, replicas
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
    networks = caches["local"].get(key)
    if networks is None:
        with replicas.primary():  # kept as the generation's: not from a lagging replica
            networks = list(Network.objects.order_by("name").only("name", "short_name", "slug"))
        caches["local"].set(key, networks, SITE_NETWORKS_CACHE_SECONDS)
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
    partners = (
        Membership.objects.public()
        .filter(network=OuterRef("pk"))
        .order_by()
        .values("network")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return list(
        Network.objects.select_related("lead_partner")
        .annotate(
            partner_count=Coalesce(Subquery(partners), 0),
            working_group_count=Count("working_groups", distinct=True),
        )
        .order_by("name")
    )


def public_memberships(network):
    return (
        Membership.objects.public()
        .filter(network=network)
        .select_related("organisation")
        .annotate(rank=role_rank())
        .order_by("rank", "organisation__name")
    )


def organisation_for_profile():
    """Public organisations with what their profile shows (courses are read separately)."""
    return (
        Organisation.objects.public()
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
                queryset=Membership.objects.public()
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
    """The network's top-level groups, each with ``children`` (its subgroups) and
    ``member_count`` (its public members)."""
    groups = list(network.working_groups.select_related("lead", "network").order_by("name"))
    member_counts = dict(
        WorkingGroup.members.through.objects.filter(
            workinggroup__network=network,
            organisation__in=Organisation.objects.public_members_of(network),
        )
        .values("workinggroup")
        .annotate(count=Count("organisation", distinct=True))
        .values_list("workinggroup", "count")
    )
    children: dict[int, list[WorkingGroup]] = {}
    for group in groups:
        group.member_count = member_counts.get(group.pk, 0)
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
    """The members of a working group or the participants of a project (``relation``) that
    the network's pages show and count: the network's public members."""
    return relation.public_members_of(network).order_by("name")


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
    return Membership.objects.public().filter(organisation=organisation, network=network).exists()
