"""Reads for the site-wide pages."""

from django.core.cache import cache

from atlas.info_defaults import DEFAULT_PAGES
from atlas.models import MENU_CACHE_KEY, InfoPage
from measures import search

MENU_CACHE_SECONDS = 300


def published_pages():
    return InfoPage.objects.filter(is_published=True)


def page_for_purpose(purpose: str) -> InfoPage:
    """The page for a legal purpose; its default text (unsaved) if it has been deleted."""
    page = InfoPage.objects.filter(purpose=purpose).first()
    if page is None:
        page = InfoPage(purpose=purpose, **DEFAULT_PAGES[purpose])
    return page


def menu_pages() -> dict[str, list[tuple[str, str]]]:
    """(title, URL) of the published pages in each menu; cached, cleared when a page is saved."""
    key = f"{MENU_CACHE_KEY}:{search.reference_generation()}"  # a saved page starts a new one
    menus = cache.get(key)
    if menus is None:
        menus = {InfoPage.Menu.MAIN: [], InfoPage.Menu.FOOTER: []}
        pages = (
            published_pages()
            .exclude(menu="")
            .filter(purpose="")
            .only("title", "slug", "purpose", "menu")
        )
        for page in pages.order_by("position", "title"):
            menus[page.menu].append((page.title, page.get_absolute_url()))
        menus = {str(key): value for key, value in menus.items()}
        cache.set(key, menus, MENU_CACHE_SECONDS)
    return menus


def site_networks() -> list:
    """The networks, for the site's header and footer; cached per reference generation."""
    from network.models import Network

    key = f"atlas:site-networks:{search.reference_generation()}"
    networks = cache.get(key)
    if networks is None:
        networks = list(Network.objects.order_by("name").only("name", "short_name", "slug"))
        cache.set(key, networks, MENU_CACHE_SECONDS)
    return networks
