"""Reads for the network pages."""

from django.db.models import Count, Prefetch, Q

from network.models import Membership, Network, Region


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
        .order_by("role", "organisation__name")
    )
