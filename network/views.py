from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import listing
from core.ical import ics_response
from network import selectors
from network.calendar import calendar_for
from network.models import Network
from network.partner_directory import partner_directory

PAST_EVENTS_PER_PAGE = 20


# Networks -----------------------------------------------------------------------------------


@require_GET
def network_list(request):
    networks = selectors.networks_in_brief()
    if len(networks) == 1:
        return redirect(networks[0])
    return render(request, "network/network_list.html", {"networks": networks})


def _network(slug):
    return get_object_or_404(Network.objects.only("pk", "slug", "name", "short_name"), slug=slug)


@require_GET
def network_detail(request, slug):
    network = get_object_or_404(selectors.network_for_page(), slug=slug)
    memberships = list(selectors.public_memberships(network))
    return render(
        request,
        "network/network_detail.html",
        {
            "network": network,
            "lead_shown": selectors.shown(network.lead_partner, network),
            "memberships": memberships,
            "working_groups": selectors.working_groups_tree(network),
            "upcoming_events": selectors.upcoming_events(network, limit=5),
            "projects": selectors.projects_of(network),
        },
    )


@require_GET
def working_group_detail(request, network, slug):
    network = _network(network)
    group = get_object_or_404(selectors.working_group_for_page(network), slug=slug)
    return render(
        request,
        "network/working_group_detail.html",
        {
            "network": network,
            "group": group,
            "lead_shown": selectors.shown(group.lead, network),
            "members": list(selectors.visible_organisations(network, group.members)),
            "subgroups": list(group.subgroups.select_related("network").order_by("name")),
            "projects": list(group.projects.select_related("network").order_by("title")),
            "events": list(group.events.select_related("network").order_by("-starts_at")[:20]),
        },
    )


@require_GET
def project_detail(request, network, slug):
    network = _network(network)
    project = get_object_or_404(selectors.project_for_page(network), slug=slug)
    return render(
        request,
        "network/project_detail.html",
        {
            "network": network,
            "project": project,
            "lead_shown": selectors.shown(project.lead, network),
            "participants": list(selectors.visible_organisations(network, project.participants)),
            "events": list(project.events.select_related("network").order_by("starts_at")),
        },
    )


@require_GET
def project_list(request, network):
    network = _network(network)
    return render(
        request,
        "network/project_list.html",
        {"network": network, "projects": selectors.projects_of(network)},
    )


@require_GET
def event_list(request, network):
    network = _network(network)
    past = Paginator(selectors.past_events(network), PAST_EVENTS_PER_PAGE)
    return render(
        request,
        "network/event_list.html",
        {
            "network": network,
            "upcoming": selectors.upcoming_events(network),
            "page": past.get_page(listing.page_number(request.GET.get("page"))),
        },
    )


@require_GET
def event_detail(request, network, slug):
    network = _network(network)
    event = get_object_or_404(selectors.event_for_page(network), slug=slug)
    return render(
        request,
        "network/event_detail.html",
        {
            "network": network,
            "event": event,
            "organiser_shown": selectors.shown(event.organiser, network),
            "is_past": (event.ends_at or event.starts_at) < timezone.now(),
        },
    )


@require_GET
def event_calendar(request, network, slug):
    network = _network(network)
    event = get_object_or_404(selectors.event_for_page(network), slug=slug)
    content = calendar_for([event], name=event.title, host=request.get_host())
    return ics_response(content, f"{event.slug}.ics")


@require_GET
def network_calendar(request, network):
    """The network's upcoming events as one calendar to subscribe to."""
    network = get_object_or_404(Network, slug=network)
    events = selectors.upcoming_events(network)
    for event in events:
        event.network = network
    content = calendar_for(events, name=network.name, host=request.get_host())
    return ics_response(content, f"{network.slug}-veranstaltungen.ics")


# Partners and providers ---------------------------------------------------------------------


@require_GET
def partner_list(request):
    result = partner_directory(params=request.GET)
    return render(request, "network/partner_list.html", {"search": result, "page": result.page})
