from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from measures import search
from measures import selectors as course_selectors
from measures.structured_data import json_ld_script
from network import listing, regions, selectors
from network.calendar import calendar_for
from network.filters import PARTNER_SORT_CHOICES, RADIUS_CHOICES
from network.models import Network
from network.partner_directory import filter_groups as partner_filter_groups
from network.partner_directory import partner_directory
from network.provider_search import filter_groups as provider_filter_groups
from network.provider_search import provider_search
from network.structured_data import organisation_json_ld

PROFILE_COURSES_PER_PAGE = 10
PAST_EVENTS_PER_PAGE = 20


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


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


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def event_calendar(request, network, slug):
    network = _network(network)
    event = get_object_or_404(selectors.event_for_page(network), slug=slug)
    content = calendar_for([event], name=event.title, host=request.get_host())
    return _ics_response(content, f"{event.slug}.ics")


@require_GET
def network_calendar(request, network):
    """The network's upcoming events as one calendar to subscribe to."""
    network = get_object_or_404(Network, slug=network)
    events = selectors.upcoming_events(network)
    for event in events:
        event.network = network
    content = calendar_for(events, name=network.name, host=request.get_host())
    return _ics_response(content, f"{network.slug}-veranstaltungen.ics")


# Partners and providers ---------------------------------------------------------------------


@require_GET
def partner_list(request):
    result = partner_directory(params=request.GET)
    return render(
        request,
        "network/partner_list.html",
        {
            "search": result,
            "page": result.page,
            "filter_groups": partner_filter_groups(result),
            "sort_choices": PARTNER_SORT_CHOICES,
        },
    )


@require_GET
def provider_list(request):
    result = provider_search(params=request.GET)
    return render(
        request,
        "network/provider_list.html",
        {
            "search": result,
            "page": result.page,
            "radius_choices": RADIUS_CHOICES,
            "filter_groups": provider_filter_groups(result),
        },
    )


@require_GET
def provider_detail(request, slug):
    organisation = get_object_or_404(selectors.organisation_for_profile(), slug=slug)
    params = listing.bounded(request.GET)
    query = search.parse(params.get("q", ""))
    courses = course_selectors.public_courses().filter(provider=organisation)
    total = None
    page = None
    if organisation.is_provider:
        total = courses.count()
        search_query = query.search_query()
        if search_query is not None:
            courses = courses.filter(search_document__vector=search_query)
        paginator = Paginator(
            course_selectors.with_card_data(courses).order_by("next_start", "title", "pk"),
            PROFILE_COURSES_PER_PAGE,
        )
        paginator.count = courses.order_by().count() if query else total
        page = paginator.get_page(listing.page_number(params.get("page")))
    return render(
        request,
        "network/provider_detail.html",
        {
            "provider": organisation,
            "memberships": selectors.working_groups_of(organisation),
            "query": query,
            "course_total": total,
            "page": page,
            "json_ld": json_ld_script(
                organisation_json_ld(organisation, base_url=_base_url(request))
            ),
        },
    )


# Regions ------------------------------------------------------------------------------------


@require_GET
def region_list(request):
    return render(request, "network/region_list.html", regions.overview())


@require_GET
def region_detail(request, key):
    if not regions.REGION_KEY.match(key):
        raise Http404("Not a region key")
    if key == regions.COUNTRY:
        return redirect("network:region_list", permanent=True)
    context = regions.region_page(key)
    if context is None:
        raise Http404("No such region")
    return render(request, "network/region_detail.html", context)
