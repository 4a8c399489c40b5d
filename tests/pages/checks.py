"""The checks every public page goes through; tests/pages/test_pages.py applies them.

Each function returns a list of problems (strings, empty when all is well) so that a test can
report all of them at once, grouped by page.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import lxml.html
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.signals import got_request_exception
from django.db import transaction
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from tests.pages.urls import REDIRECTS, UrlPattern

# Fetching through the Django test client --------------------------------------------------------


@dataclass
class Fetched:
    path: str
    status: int
    content_type: str
    location: str  # the Location header of a redirect
    content: bytes
    error: str  # the traceback of an exception the view raised, else ""
    seconds: float

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip() == "text/html"


PROJECT_DIR = Path(__file__).resolve().parents[2]


def _describe_exception(error: BaseException | None) -> str:
    """The exception with its cause and the project's own frames (not the libraries')."""
    if error is None:
        return ""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(str(PROJECT_DIR)) and "/.venv/" not in frame.filename
    ]
    lines = [
        f"    {Path(f.filename).relative_to(PROJECT_DIR)}:{f.lineno} in {f.name}: {f.line}"
        for f in frames[-6:]
    ]
    lines.append(f"    {type(error).__name__}: {error}".rstrip())
    cause = error.__cause__ or error.__context__
    if cause is not None and str(cause) != str(error):
        lines.append(f"    (caused by {type(cause).__name__}: {str(cause).strip()})")
    return "\n".join(lines)


def fetch(client, path: str) -> Fetched:
    """GET a path with a client made with ``raise_request_exception=False``.

    Whatever the view writes to the database is rolled back. An exception in the view becomes
    the 500 it would be in production; its traceback is kept for the report.
    """
    errors: list[str] = []

    def remember(sender, **kwargs):
        errors.append(_describe_exception(sys.exc_info()[1]))

    got_request_exception.connect(remember, dispatch_uid="tests.pages.fetch")
    # The report carries what matters; Django's log of every 404 and 500 would only be noise.
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            response = client.get(path)
            transaction.set_rollback(True)
    finally:
        request_logger.setLevel(level)
        got_request_exception.disconnect(dispatch_uid="tests.pages.fetch")
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return Fetched(
        path=path,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""),
        content=content,
        error="\n".join(errors),
        seconds=time.perf_counter() - started,
    )


def response_problems(pattern: UrlPattern, fetched: Fetched) -> list[str]:
    """Status 200 and the content type the pattern should serve (or a declared redirect)."""
    problems = []
    if pattern.key in REDIRECTS and fetched.status in (301, 302, 303, 307, 308):
        location = fetched.location
        if not location.startswith("/") or location.startswith("//"):
            return [f"redirects to {location!r}, expected a path on this site"]
        return []
    if fetched.status != 200:
        problems.append(f"status {fetched.status}, expected 200")
        if fetched.error:
            problems.append(fetched.error.rstrip())
    media_type = fetched.content_type.split(";")[0].strip().lower()
    expected = pattern.expected_content_types
    if media_type not in expected:
        problems.append(
            f"content type {fetched.content_type!r}, expected {' or '.join(expected)}"
            + (
                " (declare non-HTML responses in CONTENT_TYPES in atlas/url_catalogue.py)"
                if expected == ("text/html",)
                else ""
            )
        )
    return problems


# Robustness: malformed query strings and unknown URL arguments ----------------------------------

MALFORMED_QUERIES = [
    "page=abc",
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "page=1.5",
    "q=%00",
    "q=" + "x" * 5000,
    "q=%27%22%3C%3E%5C",
    "sort=%3Bdrop%20table",
    "sort=-",
    "order=__class__",
    "radius=abc",
    "radius=-5",
    "radius=1e308",
    "plz=abcde",
    "postal_code=%00",
    "lat=nan&lon=inf",
    "date_from=2026-13-45",
    "date_to=0000-00-00",
    "time=25:61",
    "weekday=9&weekday=x",
    "price_max=-1",
    "region=%ff",
    "subject=does-not-exist",
    "subject=99999999999999999999",
    "page=1&page=2&page=abc",
    "q=a&q=b&sort=x&sort=y",
    "%=",
    "per_page=1000000",
    "format=xml",
]
BAD_ARGUMENTS = ["does-not-exist", "x" * 300, "%00", "..", "99999", "%ff", "-1"]
UNKNOWN_OBJECT_STATUSES = (400, 404, 410)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def robustness_problems(
    client, pattern: UrlPattern, sample_path: str | None, *, allow_405: bool = False
) -> list[str]:
    """Malformed query strings must not cause a 500; unknown URL arguments must be 400/404/410.

    ``sample_path`` is a real path of the pattern (None when none could be found: then only the
    unknown-argument checks run).
    """
    problems = []
    if sample_path is not None:
        for query in MALFORMED_QUERIES:
            fetched = fetch(client, f"{sample_path}?{query}")
            if fetched.status >= 500:
                problems.append(
                    f"GET {_shorten(fetched.path)} → {fetched.status}\n{fetched.error.rstrip()}"
                )
    if pattern.arguments:
        real = pattern.raw_arguments(sample_path) if sample_path else {}
        allowed = UNKNOWN_OBJECT_STATUSES + ((405,) if allow_405 else ())
        variants = []
        for bad in BAD_ARGUMENTS:
            variants.append(dict.fromkeys(pattern.arguments, bad))
            if len(pattern.arguments) > 1 and len(real) == len(pattern.arguments):
                for argument in pattern.arguments:
                    variants.append({**real, argument: bad})
        for values in variants:
            path = pattern.path(**values)
            fetched = fetch(client, path)
            if fetched.status not in allowed:
                problems.append(
                    f"GET {_shorten(path)} (unknown {', '.join(pattern.arguments)}) → "
                    f"{fetched.status}, expected {' or '.join(map(str, allowed))}"
                    + (f"\n{fetched.error.rstrip()}" if fetched.error else "")
                )
    return problems


# Links: every internal link of a page answers ------------------------------------------------

# The test client's host: absolute links to it are internal.
TEST_HOST = "testserver"
# Not followed: the admin (tests/workspace/test_links.py checks its links, logged in) and
# schemes that are not web pages.
LINK_EXCLUDED_PREFIXES = ("/admin/",)
LINK_SKIPPED_SCHEMES = ("mailto", "tel", "javascript", "data", "sms")
LINK_EXCLUDED_VIEWS = ("logout",)  # POST-only
# Per page, at most this many new links of one kind (one route with the same query parameter
# names: the course pages a list links to, the values of one filter) are requested; every kind
# is requested at least once, and no link twice in a test run.
LINKS_PER_KIND = 5
REDIRECT_STATUSES = (301, 302)
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class PageLinks:
    pages: list[str]  # internal path + query of each link, in document order, deduplicated
    static: list[str]  # static files the page links to (their path below STATIC_URL)


def links_on(
    page_path: str, html: bytes, *, excluded: tuple[str, ...] = LINK_EXCLUDED_PREFIXES
) -> PageLinks:
    """The internal links of a page: a[href], link[href], the actions of GET forms, and the
    static files it loads (link[href], script[src], img[src] below STATIC_URL); links below
    the ``excluded`` path prefixes are left out."""
    document = lxml.html.fromstring(html)
    base = f"http://{TEST_HOST}{page_path}"
    hrefs = document.xpath("//a/@href | //link/@href | //script/@src | //img/@src")
    hrefs += [
        action
        for form in document.xpath("//form[@action]")
        if (form.get("method") or "get").lower() == "get"
        for action in [form.get("action")]
        if action  # an empty action submits to the page itself
    ]
    pages, static = {}, {}
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        parts = urlsplit(urljoin(base, href))
        if parts.scheme in LINK_SKIPPED_SCHEMES or parts.scheme not in ("http", "https"):
            continue
        if parts.netloc != TEST_HOST:
            continue  # another site's
        if parts.path.startswith(settings.STATIC_URL):
            static[unquote(parts.path.removeprefix(settings.STATIC_URL))] = None
            continue
        if excluded and parts.path.startswith(excluded):
            continue
        pages[parts.path + (f"?{parts.query}" if parts.query else "")] = None
    return PageLinks(list(pages), list(static))


def link_kind(target: str, *, ignored: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """What links of one kind share: the route, and the names of the query parameters (but
    the ``ignored`` ones)."""
    path, _, query = target.partition("?")
    try:
        route = resolve(unquote(path)).route
    except Resolver404:
        route = path
    pairs = parse_qsl(query, keep_blank_values=True)
    names = tuple(sorted({name for name, _ in pairs if name not in ignored}))
    return route, names


def _is_excluded_view(target: str) -> bool:
    try:
        match = resolve(unquote(target.partition("?")[0]))
    except Resolver404:
        return False
    return match.url_name in LINK_EXCLUDED_VIEWS


class LinkChecker:
    """Requests links once per run (through ``fetch``) and says what is wrong with each."""

    def __init__(
        self,
        client,
        known: dict[str, Fetched] | None = None,
        *,
        excluded: tuple[str, ...] = LINK_EXCLUDED_PREFIXES,
        per_kind: int = LINKS_PER_KIND,
        per_kind_in_run: int | None = None,
        uncapped: Callable[[str], bool] | None = None,
        kind_ignores: tuple[str, ...] = (),
    ):
        """``per_kind``: new links of one kind requested per page; ``per_kind_in_run``: and
        over all pages (None: no limit); ``uncapped``: links requested whatever the limits;
        ``kind_ignores``: query parameters that do not make a link another kind."""
        self.kind_ignores = kind_ignores
        self.client = client
        self.excluded = excluded
        self.per_kind = per_kind
        self.per_kind_in_run = per_kind_in_run
        self.uncapped = uncapped or (lambda target: False)
        self.taken_in_run: Counter = Counter()
        self.responses: dict[str, Fetched] = dict(known or {})
        self.verdicts: dict[str, str] = {}  # target -> problem, "" when it answers

    def response(self, target: str) -> Fetched:
        if target not in self.responses:
            self.responses[target] = fetch(self.client, target)
        return self.responses[target]

    def verdict(self, target: str) -> str:
        """What is wrong with a link: "" when it answers 200 or redirects (301/302) to an
        internal page that does."""
        if target not in self.verdicts:
            self.verdicts[target] = self._follow(target)
        return self.verdicts[target]

    def _follow(self, target: str) -> str:
        seen = [target]
        fetched = self.response(target)
        while fetched.status in REDIRECT_STATUSES and len(seen) <= MAX_REDIRECTS:
            parts = urlsplit(urljoin(f"http://{TEST_HOST}{seen[-1]}", fetched.location))
            if parts.netloc != TEST_HOST:
                return f"{fetched.status} to {fetched.location!r}, not a page of this site"
            seen.append(parts.path + (f"?{parts.query}" if parts.query else ""))
            fetched = self.response(seen[-1])
        chain = " → ".join(_shorten(step) for step in seen)
        if fetched.status in REDIRECT_STATUSES:
            return f"{chain}: more than {MAX_REDIRECTS} redirects"
        if fetched.status != 200:
            where = f" (redirected: {chain})" if len(seen) > 1 else ""
            error = f"\n{fetched.error.rstrip()}" if fetched.error else ""
            return f"status {fetched.status}{where}{error}"
        return ""

    def check_page(self, page_path: str, html: bytes) -> list[str]:
        """Problems with the page's links: a link that does not answer, a missing static file."""
        links = links_on(page_path, html, excluded=self.excluded)
        problems = [
            f"static file {name!r} does not exist"
            for name in links.static
            if not finders.find(name)
        ]
        taken: Counter = Counter()
        for target in links.pages:
            if target == page_path or _is_excluded_view(target):
                continue
            if target not in self.responses and not self.uncapped(target):
                kind = link_kind(target, ignored=self.kind_ignores)
                if taken[kind] >= self.per_kind or (
                    self.per_kind_in_run is not None
                    and self.taken_in_run[kind] >= self.per_kind_in_run
                ):
                    continue
                taken[kind] += 1
                self.taken_in_run[kind] += 1
            problem = self.verdict(target)
            if problem:
                problems.append(f"link {_shorten(target)} → {problem}")
        return problems


# HTML validity: the Nu Html Checker, once for all pages ----------------------------------------


def validate_html(
    documents: dict[str, bytes], vnu_command: list[str], workdir: Path
) -> dict[str, list[str]]:
    """Validate all documents with one run of vnu; return path -> errors for every path."""
    files: dict[str, str] = {}
    for index, (path, html) in enumerate(documents.items()):
        name = f"page-{index:04d}.html"
        (workdir / name).write_bytes(html)
        files[name] = path
    found: dict[str, list[str]] = {path: [] for path in documents}
    if not files:
        return found
    result = subprocess.run(
        [*vnu_command, "--errors-only", "--format", "json", *(str(workdir / f) for f in files)],
        capture_output=True,
        timeout=900,
        check=False,
    )
    try:
        report = json.loads(result.stderr or result.stdout)
    except ValueError as error:
        raise RuntimeError(
            f"vnu exited with {result.returncode} without a JSON report:\n"
            f"{result.stdout.decode(errors='replace')}\n{result.stderr.decode(errors='replace')}"
        ) from error
    for message in report.get("messages", []):
        path = files.get(message.get("url", "").rsplit("/", 1)[-1])
        if path is None:
            raise RuntimeError(f"vnu reported a problem outside the pages: {message}")
        line = message.get("lastLine") or message.get("firstLine") or "?"
        text = f"line {line}: {message.get('message', '').strip()}"
        extract = " ".join((message.get("extract") or "").split())
        if extract:
            text += f"  [{_shorten(extract, 160)}]"
        found[path].append(text)
    return found


# In Chromium: axe-core, requests, width at phone size, console -----------------------------------

VIEWPORTS = {
    # A phone: the page must honour <meta name="viewport"> and fit 360 CSS pixels.
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
OVERFLOW_TOLERANCE = 1  # CSS pixels (rounding)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Rules switched off, each with the reason it does not apply. Keep this empty unless a rule
# clearly cannot apply to this site; best-practice rules such as "region" are part of our bar.
AXE_DISABLED_RULES: dict[str, str] = {}

# axe is injected with context.add_init_script (through the DevTools protocol), not with
# page.add_script_tag: the site's Content-Security-Policy rightly blocks the inline <script>
# that add_script_tag creates. "preload: false": axe would otherwise fetch the stylesheets
# again (only the experimental css-orientation-lock rule uses them), which is axe's traffic,
# not the page's.
AXE_RUN = """async ([tags, disabled]) => {
    const rules = Object.fromEntries(disabled.map((id) => [id, {enabled: false}]));
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, rules, resultTypes: ['violations'], preload: false,
    });
    const target = (node) => node.target.map((t) => Array.isArray(t) ? t.join(' >>> ') : t)
        .join(' ');
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(target),
    }));
}"""

OVERFLOW = """(limit) => {
    const root = document.documentElement;
    const width = Math.max(root.scrollWidth, document.body ? document.body.scrollWidth : 0);
    if (width <= limit) return null;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + [...el.classList].map((c) => '.' + c).join('');
    const describe = (el) => {
        const parent = el.parentElement;
        const grandparent = parent && parent.parentElement;
        return [grandparent, parent].filter((e) => e && e !== document.body)
            .map(name).concat(name(el)).join(' > ');
    };
    const wide = (el) => el.getBoundingClientRect().right > limit
        || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'
            && el.clientWidth > 0);
    const candidates = [...document.body.querySelectorAll('*')].filter(wide);
    const innermost = candidates.filter((el) => !candidates.some((o) => o !== el
        && el.contains(o)));
    return {width, culprits: innermost.slice(0, 5).map((el) => describe(el) + ' (right edge '
        + Math.round(el.getBoundingClientRect().right) + ' px'
        + (el.scrollWidth ? ', content ' + el.scrollWidth + ' px)' : ')'))};
}"""

CHECKS = ("axe", "requests", "overflow", "console")


@dataclass
class BrowserFindings:
    problems: dict[str, list[str]]  # check name (CHECKS) -> problems
    seconds: float  # for all viewports


def browse(browser, base_url: str, paths: list[str], axe_path: Path) -> dict[str, BrowserFindings]:
    """Visit every path at every viewport, one context per viewport, pages one after another."""
    origin = urlsplit(base_url)
    findings = {path: BrowserFindings({check: [] for check in CHECKS}, 0.0) for path in paths}
    for viewport, options in VIEWPORTS.items():
        context = browser.new_context(**options, locale="de-DE", service_workers="block")
        try:
            context.add_init_script(path=str(axe_path))
            page = context.new_page()
            events: list[tuple[str, str]] = []
            # Which visit each request belongs to: leaving a page aborts what it still loads
            # (e.g. the favicon, asked for after "load"), and that abort arrives during the
            # next visit; it is no fault of either page.
            visit = {"number": 0}
            request_visits: dict[object, int] = {}

            def on_request(request, events=events, visit=visit, request_visits=request_visits):
                request_visits[request] = visit["number"]
                parts = urlsplit(request.url)
                if parts.scheme in ("data", "blob", "about"):
                    return
                if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                    events.append(("requests", f"request to another host: {request.url}"))

            def on_response(response, events=events):
                if response.status >= 400:
                    events.append(("requests", f"{response.status} for {response.url}"))

            def on_failed(request, events=events, visit=visit, request_visits=request_visits):
                left_behind = request_visits.pop(request, visit["number"]) != visit["number"]
                if left_behind and request.failure == "net::ERR_ABORTED":
                    return
                events.append(("requests", f"failed ({request.failure}): {request.url}"))

            def on_console(message, events=events):
                if message.type == "error":
                    events.append(("console", message.text))

            def on_page_error(error, events=events):
                name = getattr(error, "name", "") or "exception"
                events.append(("console", f"uncaught {name}: {getattr(error, 'message', error)}"))

            page.on("request", on_request)
            page.on("response", on_response)
            page.on("requestfailed", on_failed)
            page.on(
                "requestfinished",
                lambda request, request_visits=request_visits: request_visits.pop(request, None),
            )
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            for path in paths:
                found = findings[path]
                started = time.perf_counter()
                events.clear()
                visit["number"] += 1
                try:
                    page.goto(base_url + path, wait_until="load")
                except PlaywrightError as error:
                    found.problems["requests"].append(f"[{viewport}] could not load: {error}")
                    continue
                # What the page itself did, before axe runs in it.
                for check, text in dict.fromkeys(events):
                    found.problems[check].append(f"[{viewport}] {text}")
                try:
                    violations = page.evaluate(AXE_RUN, [AXE_TAGS, list(AXE_DISABLED_RULES)])
                except PlaywrightError as error:
                    found.problems["axe"].append(f"[{viewport}] axe could not run: {error}")
                    violations = []
                for violation in violations:
                    targets = violation["targets"]
                    shown = ", ".join(targets[:8]) + (
                        f" … and {len(targets) - 8} more" if len(targets) > 8 else ""
                    )
                    found.problems["axe"].append(
                        f"[{viewport}] {violation['id']} ({violation['impact']}): "
                        f"{violation['help']} — {shown}"
                    )
                if viewport == "phone":
                    width = options["viewport"]["width"]
                    overflow = page.evaluate(OVERFLOW, width + OVERFLOW_TOLERANCE)
                    if overflow:
                        found.problems["overflow"].append(
                            f"[{viewport}] page is {overflow['width']} px wide at {width} px "
                            f"(horizontal scrolling); widest: "
                            + ("; ".join(overflow["culprits"]) or "no single element")
                        )
                found.seconds += time.perf_counter() - started
        finally:
            context.close()
    return findings
