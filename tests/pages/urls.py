"""The page checks' patterns and paths come from atlas/url_catalogue.py, which the page
benchmark (``manage.py benchmark_pages``) reads too: a pattern with arguments needs an entry in
its REGISTRY (the HOW-TO is in that module's docstring), a POST-only action one in NOT_PAGES, a
data-dependent redirect one in REDIRECTS, a non-HTML response without a telling suffix one in
CONTENT_TYPES.
"""

from atlas.url_catalogue import (
    CONTENT_TYPES,
    NOT_PAGES,
    REDIRECTS,
    REGISTRY,
    SUFFIX_TYPES,
    NoPaths,
    UrlPattern,
    collect_patterns,
    concrete_paths,
    each,
    page_patterns,
)

__all__ = [
    "CONTENT_TYPES",
    "NOT_PAGES",
    "REDIRECTS",
    "REGISTRY",
    "SUFFIX_TYPES",
    "NoPaths",
    "UrlPattern",
    "collect_patterns",
    "concrete_paths",
    "each",
    "page_patterns",
]
