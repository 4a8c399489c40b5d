from django.conf import settings

from network.selectors import site_networks
from pages.selectors import menu_pages


def site(request):
    """Site-wide template context: the networks and the information pages in the menus."""
    networks = site_networks()
    return {
        "site_networks": networks,
        "site_network": networks[0] if len(networks) == 1 else None,
        "site_menus": menu_pages(),
        "debug": settings.DEBUG,
    }
