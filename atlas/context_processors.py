from django.conf import settings


def site(request):
    """Site-wide template context (the header and footer get their networks and menus
    themselves: ``atlas.templatetags.site_parts``)."""
    return {"debug": settings.DEBUG}
