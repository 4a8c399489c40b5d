import re

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from measures import selectors as course_selectors
from network import selectors
from network.models import Network, Organisation, OrganisationCertification, Region

REGION_KEY = re.compile(r"^[0-9A-Z]{1,12}$")


@require_GET
def network_list(request):
    networks = selectors.networks_in_brief()
    if len(networks) == 1:
        return redirect(networks[0])
    return render(request, "network/network_list.html", {"networks": networks})


@require_GET
def network_detail(request, slug):
    network = get_object_or_404(
        Network.objects.select_related("lead_partner").prefetch_related(
            "regions", "phases", "working_groups__lead"
        ),
        slug=slug,
    )
    return render(
        request,
        "network/network_detail.html",
        {
            "network": network,
            "memberships": selectors.public_memberships(network),
            "upcoming_events": network.events.filter(starts_at__gte=timezone.now())[:5],
            "projects": network.projects.select_related("working_group")[:20],
        },
    )


@require_GET
def provider_detail(request, slug):
    provider = get_object_or_404(
        Organisation.objects.select_related("region").prefetch_related(
            Prefetch(
                "certificates",
                queryset=OrganisationCertification.objects.valid_on().select_related(
                    "certification"
                ),
                to_attr="valid_certificates",
            ),
            "memberships__network",
        ),
        slug=slug,
    )
    courses = course_selectors.with_card_data(
        course_selectors.public_courses().filter(provider=provider)
    ).order_by("next_start", "title")
    return render(
        request, "network/provider_detail.html", {"provider": provider, "courses": courses}
    )


@require_GET
def region_detail(request, key):
    if not REGION_KEY.match(key):
        raise Http404("Not a region key")
    region = get_object_or_404(Region.objects.select_related("parent"), key=key)
    within = Region.objects.within(region)
    courses = course_selectors.public_courses().filter(dates__venue__region__in=within).distinct()
    return render(
        request,
        "network/region_detail.html",
        {
            "region": region,
            "children": region.children.order_by("name"),
            "course_count": courses.count(),
            "networks": Network.objects.filter(regions__in=within).distinct(),
        },
    )
