"""Reads for the information pages and the menus."""

from functools import cache as memoize

from django.core.cache import caches

from core import generations, replicas
from pages.info_defaults import DEFAULT_PAGES
from pages.models import MENU_CACHE_KEY, InfoPage

MENU_CACHE_SECONDS = 300


def published_pages():
    return InfoPage.objects.filter(is_published=True)


def page_for_purpose(purpose: str) -> InfoPage:
    """The page for a legal purpose; its default text (unsaved) if it has been deleted."""
    page = InfoPage.objects.filter(purpose=purpose).first()
    if page is None:
        page = InfoPage(purpose=purpose, **DEFAULT_PAGES[purpose])
        page.body_html = _default_body_html(purpose)
    return page


@memoize
def _default_body_html(purpose: str) -> str:
    """The HTML of a default text, rendered once per process."""
    page = InfoPage(body=DEFAULT_PAGES[purpose]["body"])
    page.render_markup()
    return page.body_html


def menu_pages() -> dict[str, list[tuple[str, str]]]:
    """(title, URL) of the published pages in each menu; cached per reference generation (a
    saved page starts a new one)."""
    key = f"{MENU_CACHE_KEY}:{generations.reference()}"
    menus = caches["local"].get(key)
    if menus is None:
        menus = {InfoPage.Menu.MAIN: [], InfoPage.Menu.FOOTER: []}
        pages = (
            published_pages()
            .exclude(menu="")
            .filter(purpose="")
            .only("title", "slug", "purpose", "menu")
        )
        with replicas.primary():  # kept as the generation's: not from a lagging replica
            for page in pages.order_by("position", "title"):
                menus[page.menu].append((page.title, page.get_absolute_url()))
        menus = {str(key): value for key, value in menus.items()}
        caches["local"].set(key, menus, MENU_CACHE_SECONDS)
    return menus
