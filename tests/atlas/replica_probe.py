"""Run inside ``manage.py shell`` by ``tests/atlas/test_replicas.py``, against a real primary
and its streaming replica: requests through Django's whole handler (``django.test.Client``),
each statement recorded with the database it ran on.

The scenario and its arguments come as JSON in ``REPLICA_PROBE``; the result is printed as one
JSON line after ``PROBE:``. The module is also the URL configuration of the requests: the
site's own URLs and two views that write and then read in one request.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, connections
from django.http import JsonResponse
from django.test import Client, override_settings
from django.urls import include, path

from core import generations
from pages.models import AccessibilityFeedback

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "PROBE:"
# Code whose reads must come from the primary (file, function; None: every function there):
# the generations, the search index and everything kept per generation.
MUST_READ_PRIMARY = {
    ("core/generations.py", None),
    ("measures/search_index.py", None),
    ("measures/text_matches.py", None),
    ("measures/vocabulary.py", "vocabulary"),
    ("measures/search.py", "active_synonyms"),
    ("measures/provider_search.py", "facets"),
    ("network/partner_directory.py", "facet_regions"),
    ("network/selectors.py", "site_networks"),
    ("pages/selectors.py", "menu_pages"),
}


# --- the probe's own views ----------------------------------------------------------------


def write_then_read(request, how):
    """Write a feedback row (with the ORM or raw SQL), then read it back with the ORM."""
    message = f"probe {how} {time.monotonic_ns()}"
    if how == "orm":
        AccessibilityFeedback.objects.create(message=message)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO pages_accessibilityfeedback"
                " (message, page, name, email, created_at, is_resolved, notes)"
                " VALUES (%s, '', '', '', now(), false, '')",
                [message],
            )
    return JsonResponse({"found": AccessibilityFeedback.objects.filter(message=message).exists()})


def generation(request):
    """The search generation as a public request reads it (the memo dropped first)."""
    generations.forget()
    return JsonResponse({"generation": generations.search()})


urlpatterns = [
    path("probe/write-then-read/<str:how>/", write_then_read),
    path("probe/generation/", generation),
    path("", include("atlas.urls")),
]


# --- recording ----------------------------------------------------------------------------


def _must_read_primary() -> bool:
    """Whether the statement being run comes from code that must read the primary."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        try:
            where = Path(code.co_filename).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            where = ""
        if (where, None) in MUST_READ_PRIMARY or (where, code.co_name) in MUST_READ_PRIMARY:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def recording(statements: list):
    def record(alias):
        def wrapper(execute, sql, params, many, context):
            statement = {"alias": alias, "sql": sql[:160], "stamped": _must_read_primary()}
            statements.append(statement)
            try:
                return execute(sql, params, many, context)
            except Exception:
                statement["failed"] = True
                raise

        return wrapper

    with contextlib.ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(record(alias)))
        yield


def request(client: Client, method: str, url: str, *, text: bool = False, **kwargs) -> dict:
    """One request; its status, duration and statements (and its text when asked)."""
    statements: list = []
    with recording(statements):
        started = time.monotonic()
        response = getattr(client, method)(url, **kwargs)
        seconds = time.monotonic() - started
    answer = {
        "url": url,
        "method": method,
        "status": response.status_code,
        "seconds": round(seconds, 3),
        "statements": statements,
        # where statements ran (one that failed, on a replica that went away, not counted)
        "aliases": sorted({s["alias"] for s in statements if not s.get("failed")}),
        "failed": sorted({s["alias"] for s in statements if s.get("failed")}),
    }
    if text:
        answer["text"] = response.content.decode()
    return answer


def forget_memos() -> None:
    """Start as a new worker would: no generation, index, vocabulary or cached parts yet."""
    from atlas.templatetags import site_parts
    from measures import search, search_help, search_index, text_matches, vocabulary

    generations.forget()
    search_index.forget()
    text_matches.forget()
    search._synonyms = None
    search_help._labels = None
    vocabulary._vocabulary = None
    site_parts.forget()
    cache.clear()


def logged_in_client() -> Client:
    user, _created = get_user_model().objects.get_or_create(
        username="replica-probe", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def course(slug: str) -> dict:
    from measures.models import Course

    found = Course.objects.get(slug=slug)
    return {"pk": found.pk, "title": found.title}


# --- scenarios ----------------------------------------------------------------------------


def scenario_routing(args: dict) -> dict:
    slug = args["slug"]
    forget_memos()
    anonymous = Client()
    public = [
        request(anonymous, "get", "/kurse/?q=Deutsch"),
        request(anonymous, "get", f"/kurse/{slug}/"),
        request(anonymous, "get", "/api/courses/"),
        request(anonymous, "get", "/anbieter/?q=a"),
        request(anonymous, "get", "/partner/"),
        request(anonymous, "head", "/api/courses/?page=2"),
    ]
    member = logged_in_client()
    primary = [
        request(anonymous, "get", "/admin/login/"),
        request(
            anonymous,
            "post",
            "/barrierefreiheit/",
            data={"message": "Die Karte ist ohne Maus nicht bedienbar."},
        ),
        request(member, "get", "/kurse/?q=Deutsch"),
        request(member, "get", f"/kurse/{slug}/"),
        request(member, "get", "/api/courses/"),
    ]
    written = [
        request(anonymous, "get", "/probe/write-then-read/orm/", text=True),
        request(anonymous, "get", "/probe/write-then-read/raw/", text=True),
    ]
    outside: list = []
    with recording(outside):  # a command, a job: no request
        course(slug)
    return {
        "public": public,
        "primary": primary,
        "written": written,
        "outside": sorted({statement["alias"] for statement in outside}),
        "settings": configured(),
    }


def _replica_sql(url: str, sql: str):
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as replica:
        return replica.execute(sql).fetchall()


def scenario_lag(args: dict) -> dict:
    """The replica's replay paused while a course changes on the primary."""
    from measures.models import Course

    slug, replica_url = args["slug"], args["replica_url"]
    anonymous, member = Client(), logged_in_client()
    before = course(slug)
    _replica_sql(replica_url, "SELECT pg_wal_replay_pause()")
    try:
        changed = f"{before['title']} (geändert)"
        Course.objects.filter(pk=before["pk"]).update(title=changed)
        generations.bump(courses=[before["pk"]])
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM measures_search_generation")
            primary_generation = cursor.fetchone()[0]
        during = {
            "anonymous": request(anonymous, "get", f"/kurse/{slug}/", text=True),
            "member": request(member, "get", f"/kurse/{slug}/", text=True),
            "search": request(anonymous, "get", "/kurse/?q=Deutsch"),
            "home": request(anonymous, "get", "/"),
            "generation": request(anonymous, "get", "/probe/generation/", text=True),
            "orm": request(anonymous, "get", "/probe/write-then-read/orm/", text=True),
            "raw": request(anonymous, "get", "/probe/write-then-read/raw/", text=True),
        }
    finally:
        _replica_sql(replica_url, "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        after = request(anonymous, "get", f"/kurse/{slug}/", text=True)
        if changed in after["text"]:
            break
        time.sleep(0.1)
    Course.objects.filter(pk=before["pk"]).update(title=before["title"])
    generations.bump(courses=[before["pk"]])
    return {
        "old_title": before["title"],
        "new_title": changed,
        "primary_generation": primary_generation,
        "during": during,
        "after": after,
    }


def scenario_outage(args: dict) -> dict:
    """The replica stops between two requests (its kept connection dies), then comes back."""
    from tests.replica_servers import Server

    replica = Server(Path(args["data"]), args["port"], args["password"])
    slug = args["slug"]
    anonymous = Client()
    urls = ["/kurse/?q=Deutsch", f"/kurse/{slug}/", "/api/courses/", "/", "/partner/"]
    before = request(anonymous, "get", "/kurse/?q=Deutsch")
    replica.stop("fast")
    try:
        started = time.monotonic()
        down = [request(anonymous, "get", url) for url in urls for _ in range(2)]
        down_seconds = time.monotonic() - started
    finally:
        replica.start()
    time.sleep(float(os.environ["DATABASE_REPLICA_RETRY_SECONDS"]) + 0.2)
    back = request(anonymous, "get", "/kurse/?q=Deutsch")
    return {"before": before, "down": down, "down_seconds": down_seconds, "back": back}


def scenario_unresponsive(args: dict) -> dict:
    """The first replica takes connections but never answers; the second one works."""
    anonymous = Client()
    return {"requests": [request(anonymous, "get", "/kurse/?q=Deutsch") for _ in range(8)]}


def configured() -> dict:
    """The databases, routers and middleware this process runs with."""
    from django.conf import settings

    return {
        "aliases": list(settings.DATABASES),
        "replicas": {
            alias: {
                "OPTIONS": database["OPTIONS"],
                "CONN_MAX_AGE": database["CONN_MAX_AGE"],
                "CONN_HEALTH_CHECKS": database["CONN_HEALTH_CHECKS"],
            }
            for alias, database in settings.DATABASES.items()
            if alias != "default"
        },
        "routers": list(settings.DATABASE_ROUTERS),
        "middleware": "atlas.db_router.ReplicaMiddleware" in settings.MIDDLEWARE,
    }


def scenario_unreplicated(args: dict) -> dict:
    """A process on the primary alone; and a course of the demo data that is public now."""
    from measures.selectors import public_courses

    return {
        **configured(),
        "request": request(Client(), "get", "/kurse/?q=Deutsch"),
        "slug": public_courses().order_by("pk").first().slug,
    }


def main() -> None:
    args = json.loads(os.environ["REPLICA_PROBE"])
    scenario = globals()[f"scenario_{args['scenario']}"]
    with override_settings(ROOT_URLCONF=__name__):
        result = scenario(args)
    print(PREFIX + json.dumps(result, default=str))
