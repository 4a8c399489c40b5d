"""Every public URL pattern of the site, and real paths for the ones that take arguments.

Collected from the URLconf itself, so a page added later is found without anyone remembering
it. Two readers: the page checks (tests/pages/test_pages.py: status, links, HTML, axe, robustness)
and the page benchmark (``manage.py benchmark_pages``). Patterns under admin/, static files and
Django's own views are left out; so are the probes ``/health/live`` and ``/health/ready``,
deliberately: they are no URL patterns but answered by ``atlas.health.HealthMiddleware`` before
the URLconf (probes, not pages: tests/atlas/test_health.py checks them, and a benchmark of them
would measure nothing). A pattern without arguments is requested at its own path. A
pattern with arguments needs an entry in REGISTRY below that returns a few real paths from the
data — without one the page checks fail, naming the pattern, and the benchmark lists it as
having no paths.

The entries must find rows in the demo data (the tests) and in the synthetic catalogue
(``generate_synthetic``: providers and courses with ``syn-`` slugs, no modules, no rolling
dates), so each queries for a kind of row, not for a known slug.

HOW TO ADD AN ENTRY: key = the URL name with its namespace (as in ``{% url %}``); value = a
function that takes that name and returns 1–3 paths per kind of row. ``each()`` builds one from
querysets: it reverses the name once per row, taking each URL argument from the given field
lookup::

    "measures:course_detail": each(lambda: Course.objects.public(), slug="slug"),
    "network:project_detail": each(lambda: Project.objects.all(), network="network__slug",
                                   slug="slug"),

``limit`` rows are taken from each queryset, spread over the table (first, middle and last by
primary key), so that on a big catalogue the old demo rows and the generated ones are both
requested; a queryset with an explicit ``order_by()`` gives its first rows instead. Pass several
querysets to cover distinct states of a page (e.g. a current and an out-of-date course).
Anything else works too, e.g. ``lambda name: [reverse(name, kwargs={"key": "07"})]``.

A pattern without arguments may have an entry too: its paths (with query strings, say) are
requested besides the pattern's own path, for states of a page a plain GET does not show (a
search that finds nothing).

Below the registry:
- NOT_PAGES: patterns that are not pages to GET (POST-only actions); the page checks only give
  them the robustness checks and the benchmark leaves them out.
- REDIRECTS: patterns that may answer with a redirect to another page of the site, depending on
  the data (a 200 is still checked as a page).
- CONTENT_TYPES: what a pattern serves when its route has no telling suffix (.ics, .xml, .txt,
  .json, .csv, .svg, .xlsx, .rss, .atom are known); everything else must be text/html.
NOT_PAGES and REDIRECTS entries say why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.db.models import Case, Count, QuerySet, Value, When
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.regex_helper import normalize

from atlas.sitemaps import SITEMAPS
from measures.export_jobs import sample_job
from measures.models import Course, CourseDate
from network.models import Event, Network, Organisation, Project, Region, WorkingGroup
from pages.models import InfoPage

PathsFor = Callable[[str], Iterable[str]]


def each(*querysets: Callable, limit: int = 3, **url_kwargs: str) -> PathsFor:
    """Reverse the URL name for ``limit`` rows of each queryset.

    ``url_kwargs`` maps each URL argument to the field lookup that gives it
    (``network="network__slug"``). The rows are spread over the primary keys (first, middle,
    last for 3) unless the queryset has an explicit ``order_by()``. Querysets are passed as
    functions so they are built when the paths are needed, not at import.
    """

    def paths(name: str) -> list[str]:
        found = []
        for make_queryset in querysets:
            for row in spread_rows(make_queryset(), limit, list(url_kwargs.values())):
                kwargs = {arg: row[lookup] for arg, lookup in url_kwargs.items()}
                found.append(reverse(name, kwargs=kwargs))
        return list(dict.fromkeys(found))

    return paths


def spread_rows(queryset: QuerySet, limit: int, fields: list[str]) -> list[dict]:
    """Up to ``limit`` rows (as ``values(*fields)``) spread evenly over the primary keys, or
    the first ``limit`` in the queryset's own order when it has an explicit one.

    Each row costs one indexed query (``pk >= k ORDER BY pk LIMIT 1``), whatever the table's
    size; a count or an offset would read every row.
    """
    if queryset.query.order_by:
        return list(queryset.values(*fields)[:limit])
    by_pk = queryset.order_by("pk").values("pk", *fields)
    first = by_pk.first()
    if first is None or limit < 2:
        return [first] if first else []
    last = by_pk.order_by("-pk").first()
    if not isinstance(first["pk"], int) or first["pk"] == last["pk"]:
        return list(by_pk[:limit])
    rows = {first["pk"]: first, last["pk"]: last}
    step = (last["pk"] - first["pk"]) / (limit - 1)
    for index in range(1, limit - 1):
        row = by_pk.filter(pk__gte=first["pk"] + round(step * index)).first()
        if row is not None:
            rows.setdefault(row["pk"], row)
    return [rows[pk] for pk in sorted(rows)]


def joined(*entries: PathsFor) -> PathsFor:
    """The paths of several entries, in order, each once."""
    return lambda name: list(dict.fromkeys(path for entry in entries for path in entry(name)))


def biggest_provider() -> QuerySet:
    """The providers with the most public courses, most first: the longest provider pages.
    Counted in one pass over the public courses (a count per provider over a subquery of the
    public courses ran for more than 18 minutes at 1,000,000 courses)."""
    counted = (
        Course.objects.public()
        .order_by()
        .values("provider")
        .annotate(n=Count("pk"))
        .order_by("-n", "provider")
        .values_list("provider", flat=True)[:3]
    )
    ids = list(counted)
    rank = Case(*[When(pk=pk, then=Value(n)) for n, pk in enumerate(ids)], default=Value(99))
    return Organisation.objects.filter(pk__in=ids).order_by(rank, "pk")


def sitemap_sections(name: str) -> list[str]:
    """Every section of the sitemap; the last file as well where a section has several."""
    paths = []
    for section, sitemap in SITEMAPS.items():
        path = reverse(name, kwargs={"section": section})
        paths.append(path)
        pages = sitemap().pages()
        if pages > 1:
            paths.append(f"{path}?p={pages}")
    return paths


# ---------------------------------------------------------------------------------------------
# THE REGISTRY: URL name -> function(name) returning real paths for patterns with arguments.
# ---------------------------------------------------------------------------------------------
REGISTRY: dict[str, PathsFor] = {
    # The search's help when it finds nothing: closest subjects, counselling, with and without
    # a place; a search with a typo ("Meinten Sie"); partial matches of several words.
    "measures:course_list": lambda name: [
        reverse(name) + query
        for query in (
            "?q=xyzzyqwerty",
            "?q=Erste+Hilfe&place=55116&radius=10",
            "?q=Buchhaltnug",
            "?q=Englisch+Abend+Xylophon",
        )
    ],
    "measures:course_detail": joined(
        each(lambda: Course.objects.public(), slug="slug"),
        each(
            # A curriculum of modules adds a table.
            lambda: Course.objects.public().filter(modules__isnull=False).distinct(),
            # A published course without current dates keeps its page, marked as out of date.
            lambda: Course.objects.published().out_of_date(),
            # Only rolling dates ("Einstieg jederzeit"): its calendar is a weekly event.
            lambda: Course.objects.public().exclude(dates__rolling_start=False),
            limit=1,
            slug="slug",
        ),
    ),
    "measures:course_print": each(
        lambda: Course.objects.public().filter(modules__isnull=False).distinct(),
        lambda: Course.objects.public(),
        limit=2,
        slug="slug",
    ),
    "measures:course_calendar": each(
        lambda: (
            Course.objects.public()
            .filter(dates__in=CourseDate.objects.current().filter(rolling_start=False))
            .distinct()
        ),
        slug="slug",
    ),
    "measures:date_calendar": each(
        lambda: CourseDate.objects.current().filter(
            rolling_start=False, course__status=Course.Status.PUBLISHED
        ),
        slug="course__slug",
        date_id="pk",
    ),
    "measures:provider_detail": each(
        lambda: Organisation.objects.filter(is_provider=True),
        biggest_provider,
        # A partner that offers no courses has a profile through its public membership.
        lambda: Organisation.objects.filter(is_provider=False, memberships__is_public=True),
        limit=2,
        slug="slug",
    ),
    "network:network_detail": each(lambda: Network.objects.all(), slug="slug"),
    "network:working_group_detail": each(
        lambda: WorkingGroup.objects.filter(parent=None),
        lambda: WorkingGroup.objects.exclude(parent=None),
        limit=2,
        network="network__slug",
        slug="slug",
    ),
    "network:project_detail": each(
        lambda: Project.objects.all(), network="network__slug", slug="slug"
    ),
    "network:event_detail": each(
        # An upcoming and a past event.
        lambda: Event.objects.filter(starts_at__gte=timezone.now()),
        lambda: Event.objects.filter(starts_at__lt=timezone.now()),
        limit=2,
        network="network__slug",
        slug="slug",
    ),
    "network:event_calendar": each(
        lambda: Event.objects.all(), network="network__slug", slug="slug"
    ),
    "network:event_list": each(lambda: Network.objects.all(), network="slug"),
    "network:network_calendar": each(lambda: Network.objects.all(), network="slug"),
    "network:project_list": each(lambda: Network.objects.all(), network="slug"),
    "atlas:info_page": each(
        lambda: InfoPage.objects.filter(is_published=True, purpose=""), slug="slug"
    ),
    "atlas:sitemap_section": sitemap_sections,
    "measures:region_detail": each(
        # States and districts, those a network covers first.
        lambda: Region.objects.states().annotate(n=Count("networks")).order_by("-n", "key"),
        lambda: Region.objects.districts().annotate(n=Count("networks")).order_by("-n", "key"),
        limit=2,
        key="key",
    ),
    # The API (issue 14): a search with text, place and filters, page 2, and the objects.
    "api:course_list": lambda name: [
        reverse(name) + query
        for query in ("?q=Deutsch", "?place=55116&radius=50&sort=distance", "?page=2")
    ],
    "api:course_detail": joined(
        each(lambda: Course.objects.public(), pk="pk"),
        each(
            lambda: Course.objects.public().filter(modules__isnull=False).distinct(),
            pk="pk",
            limit=1,
        ),
    ),
    # Open data of a search (issue 14): exports and feeds with the search's parameters.
    "measures:export_csv": lambda name: [reverse(name) + "?q=Deutsch&sort=date"],
    "measures:export_json": lambda name: [reverse(name) + "?place=55116&radius=50"],
    "measures:feed_rss": lambda name: [reverse(name) + "?q=Pflege"],
    # An export prepared in the background: a finished job, made if none is kept (jobs are not
    # demo data; they expire after EXPORT_JOB_KEEP_HOURS). Only for the robustness checks: see
    # NOT_PAGES.
    "measures:export_job": lambda name: [reverse(name, args=[sample_job().token])],
    "measures:export_job_file": lambda name: [reverse(name, args=[sample_job().token])],
    "measures:provider_feed_rss": each(
        lambda: Organisation.objects.filter(is_provider=True),
        biggest_provider,
        limit=1,
        slug="slug",
    ),
    "measures:provider_feed_atom": each(biggest_provider, limit=1, slug="slug"),
    "api:provider_list": lambda name: [reverse(name) + "?q=Volkshochschule"],
    "api:provider_detail": each(
        lambda: Organisation.objects.filter(is_provider=True), biggest_provider, limit=2, pk="pk"
    ),
}

# URL name -> why it is not a page to GET (it still gets the robustness checks).
NOT_PAGES: dict[str, str] = {
    "measures:export_job": (
        "the status page of one visitor's export job: it exists only while that job is kept, and "
        "the sample job made for the checks is not visible to another process (the benchmark's "
        "server) from a test's transaction; tests/measures/test_export_jobs.py checks each of "
        "its states, HTML included"
    ),
    "measures:export_job_file": "the file of one visitor's export job (see measures:export_job)",
}

# URL name -> why it may answer with a redirect (to a page of this site) instead of a page, e.g.
# "with a single network it redirects to that network's page". A 200 is still checked as a page.
REDIRECTS: dict[str, str] = {}

# URL name -> content type, for non-HTML responses whose route has no suffix from SUFFIX_TYPES.
CONTENT_TYPES: dict[str, str] = {
    "api:course_list": "application/json",
    "api:course_detail": "application/json",
    "api:provider_list": "application/json",
    "api:provider_detail": "application/json",
    "api:vocabularies": "application/json",
    "api:schema": "application/vnd.oai.openapi+json",
}

SUFFIX_TYPES: dict[str, tuple[str, ...]] = {
    ".ics": ("text/calendar",),
    ".xml": ("application/xml", "text/xml"),
    ".txt": ("text/plain",),
    ".json": ("application/json", "application/ld+json"),
    ".csv": ("text/csv",),
    ".svg": ("image/svg+xml",),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    ".rss": ("application/rss+xml",),
    ".atom": ("application/atom+xml",),
}

# Views that are Django's machinery, not the site's pages.
INTERNAL_VIEW_MODULES = (
    "django.views.static",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.views.i18n",
    "debug_toolbar",
)
EXCLUDED_PREFIXES = ("admin/",)


# ---------------------------------------------------------------------------------------------
# Collecting the patterns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlPattern:
    route: str  # the full route as Django reports it in ResolverMatch.route
    name: str | None  # with namespaces: "measures:course_detail"
    format: str = field(repr=False)  # "kurse/%(slug)s/": the path without its leading slash
    arguments: tuple[str, ...] = field(repr=False)
    converters: tuple[tuple[str, object], ...] = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        return self.name or self.route

    def __str__(self) -> str:
        return f"{self.name} ({self.route})" if self.name else self.route

    @property
    def expected_content_types(self) -> tuple[str, ...]:
        if self.name in CONTENT_TYPES:
            return (CONTENT_TYPES[self.name],)
        tail = re.sub(r"(\\Z|\$)$", "", self.route).rstrip("/").rsplit("/", 1)[-1]
        for suffix, types in SUFFIX_TYPES.items():
            if tail.replace("\\.", ".").endswith(suffix):
                return types
        return ("text/html",)

    def path(self, **values: str) -> str:
        """The path with the given raw (already URL-encoded) argument values filled in."""
        return "/" + self.format % values

    def raw_arguments(self, path: str) -> dict[str, str]:
        """The URL arguments of a concrete path of this pattern, as they appear in the path."""
        match = resolve(unquote(path.split("?", 1)[0]))
        converters = dict(self.converters)
        raw = {}
        for index, value in enumerate(match.args):
            raw[f"_{index}"] = str(value)
        for name, value in match.kwargs.items():
            converter = converters.get(name)
            raw[name] = converter.to_url(value) if converter else str(value)
        return {name: raw[name] for name in self.arguments if name in raw}


def _join_route(first: str, second: str) -> str:
    # As django.urls.resolvers.URLResolver._join_route, which builds ResolverMatch.route.
    if not first:
        return second
    return first + second.removeprefix("^")


def collect_patterns(urlconf: str | None = None) -> list[UrlPattern]:
    """Every URL pattern of the URLconf, except admin, static files and Django internals."""
    found: dict[str, UrlPattern] = {}
    static_prefixes = tuple(
        prefix.lstrip("/")
        for prefix in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", ""))
        if prefix and prefix.lstrip("/")
    )

    def walk(patterns, route, fmt, arguments, converters, namespaces):
        for entry in patterns:
            part_route = _join_route(route, str(entry.pattern))
            possibilities = normalize(entry.pattern.regex.pattern)
            part_format, part_arguments = possibilities[0] if possibilities else ("", [])
            part_converters = tuple(getattr(entry.pattern, "converters", {}).items())
            here = (
                part_route,
                fmt + part_format,
                arguments + tuple(part_arguments),
                converters + part_converters,
            )
            plain = part_route.removeprefix("^")
            if plain.startswith(EXCLUDED_PREFIXES + static_prefixes):
                continue
            if isinstance(entry, URLResolver):
                space = namespaces + [entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, *here, space)
                continue
            callback = getattr(entry.callback, "view_class", entry.callback)
            if (getattr(callback, "__module__", "") or "").startswith(INTERNAL_VIEW_MODULES):
                continue
            name = ":".join([*namespaces, entry.name]) if entry.name else None
            pattern = UrlPattern(part_route, name, *here[1:])
            found.setdefault(pattern.route, pattern)

    walk(get_resolver(urlconf).url_patterns, "", "", (), (), [])
    return list(found.values())


def page_patterns(urlconf: str | None = None) -> list[UrlPattern]:
    """The patterns whose paths are pages to check: all but NOT_PAGES."""
    return [pattern for pattern in collect_patterns(urlconf) if pattern.key not in NOT_PAGES]


class NoPaths(Exception):
    """A pattern for which no concrete path can be found; the message says what to do."""


def concrete_paths(pattern: UrlPattern, registry: dict[str, PathsFor] | None = None) -> list[str]:
    """Real paths for a pattern: its own path, or what its registry entry returns.

    Raises NoPaths, naming the pattern, when a pattern with arguments has no entry, when the
    entry returns nothing or when a returned path belongs to another pattern.
    """
    registry = REGISTRY if registry is None else registry
    where = "REGISTRY in atlas/url_catalogue.py"
    if not pattern.arguments:
        extra = registry[pattern.name](pattern.name) if pattern.name in registry else []
        return list(dict.fromkeys([pattern.path(), *extra]))
    if pattern.name is None:
        raise NoPaths(
            f"URL pattern {pattern.route!r} takes arguments but has no name: give it a name and "
            f"add an entry to {where}."
        )
    if pattern.name not in registry:
        raise NoPaths(
            f"URL pattern {pattern} takes arguments {list(pattern.arguments)} but has no entry "
            f"in {where}: add one that returns a few real paths from the data."
        )
    try:
        paths = list(dict.fromkeys(registry[pattern.name](pattern.name)))
    except Exception as error:  # any failure is reported against the pattern
        raise NoPaths(
            f"The entry for URL pattern {pattern} in {where} failed: {error!r}"
        ) from error
    if not paths:
        raise NoPaths(
            f"The entry for URL pattern {pattern} in {where} returned no paths: the data "
            f"has no object for this page — add one to the demo data or widen the query."
        )
    for path in paths:
        try:
            route = resolve(unquote(path.split("?", 1)[0])).route
        except Exception as error:
            raise NoPaths(
                f"The entry for {pattern} returned {path!r}, which does not resolve: {error!r}"
            ) from error
        if route != pattern.route:
            raise NoPaths(
                f"The entry for {pattern} returned {path!r}, which belongs to the route "
                f"{route!r}, not to {pattern.route!r}."
            )
    return paths
