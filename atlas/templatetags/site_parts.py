"""The site's header and footer, rendered once per reference generation, language and (for
the header) page marked as current, not for every request: each took ~15 URL reversals and
translations a page. They hold nothing of the user or the request but which navigation entry
is the current page; networks and menu pages, the only data in them, belong to the reference
generation (saving one starts a new one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language

from core import generations
from network.selectors import site_networks
from pages.selectors import menu_pages

register = template.Library()

# The site's own pages in the main navigation, by URL name: the current one is marked.
NAVIGATION_PAGES = frozenset({"course_list", "provider_list", "region_list"})


@dataclass
class _Parts:
    generation: int
    context: dict  # the networks and menus the templates show
    menu_urls: frozenset[str]
    rendered: dict[tuple, str] = field(default_factory=dict)


_parts: _Parts | None = None  # a per-process memo keyed by the reference generation


def forget() -> None:
    """Drop the rendered parts (tests: the data they showed was rolled back)."""
    global _parts  # noqa: PLW0603
    _parts = None


def _current() -> _Parts:
    global _parts  # noqa: PLW0603 - a per-process memo keyed by the generation
    generation = generations.reference()
    if _parts is None or _parts.generation != generation:
        networks, menus = site_networks(), menu_pages()
        context = {
            "site_networks": networks,
            "site_network": networks[0] if len(networks) == 1 else None,
            "site_menus": menus,
        }
        urls = frozenset(url for entries in menus.values() for _title, url in entries)
        _parts = _Parts(generation, context, urls)
    return _parts


def _render(name: str, **current) -> str:
    parts = _current()
    key = (name, get_language(), *current.values())
    html = parts.rendered.get(key)
    if html is None:
        html = render_to_string(f"partials/_site_{name}.html", {**parts.context, **current})
        parts.rendered[key] = html
    return html


@register.simple_tag(takes_context=True)
def site_header(context):
    """The header with the main navigation; the entry of the current page marked."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url_name = getattr(match, "url_name", None)
    path = getattr(request, "path", None)
    return _render(
        "header",
        current=url_name if url_name in NAVIGATION_PAGES else "",
        current_path=path if path in _current().menu_urls else "",
    )


@register.simple_tag
def site_footer():
    """The footer with the legal and service links."""
    return _render("footer")
