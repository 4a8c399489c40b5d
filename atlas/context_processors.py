from django.conf import settings


def site(request):
    """Site-wide template context: the networks and the information pages in the menus."""
    from atlas.selectors import menu_pages
    from network.models import Network

    networks = list(Network.objects.order_by("name").only("name", "short_name", "slug"))
    return {
        "site_networks": networks,
        "site_network": networks[0] if len(networks) == 1 else None,
        "site_menus": menu_pages(),
        "debug": settings.DEBUG,
    }
