from django.conf import settings


def site(request):
    """Site-wide template context: the networks and the information pages in the menus."""
    from atlas.selectors import menu_pages, site_networks

    networks = site_networks()
    return {
        "site_networks": networks,
        "site_network": networks[0] if len(networks) == 1 else None,
        "site_menus": menu_pages(),
        "debug": settings.DEBUG,
    }
