"""No public page reads the whole catalogue from PostgreSQL on a visit.

Every path of every public URL pattern (from ``atlas/url_catalogue.py``, as the page checks
and the page benchmark take them: a new page is checked without anyone adding it here) is
requested twice on the demo data, and again after 20,000 generated courses were added — a
catalogue large enough that the planner reads by index whatever an index serves. The second
request of each path must cost no more queries among 20,000 courses than among a hundred (but
two, where a page changes its way at size; streamed downloads aside), and
every one of its queries is explained (``EXPLAIN``, not run again): no plan may read a table
that grows with the catalogue from end to end (a sequential scan).
What a page needs over all courses comes from the search index or a cache keyed by the search
generation, which the first request fills: the home page's "newest courses" once aggregated
over every course's dates and never answered at 100,000 courses.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from atlas.url_catalogue import concrete_paths, page_patterns
from measures import search_index, text_matches
from measures.models import Course

pytestmark = [pytest.mark.django_db]

COURSES = 20_000  # the planner reads a handful of 20,000 rows by index, all of them in a scan


def catalogue_tables() -> set[str]:
    """The tables that grow with the courses: the courses, every table pointing at them, and
    their many-to-many links."""
    tables = {Course._meta.db_table, "taggit_taggeditem"}
    for relation in Course._meta.related_objects:
        tables.add(relation.related_model._meta.db_table)
    for field_ in Course._meta.many_to_many:
        tables.add(field_.remote_field.through._meta.db_table)
    return tables


def scans(plan: dict) -> list[tuple[str, float]]:
    """The sequential scans of a plan: (table, estimated rows)."""
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append((plan["Relation Name"], plan["Plan Rows"]))
    for child in plan.get("Plans", []):
        found.extend(scans(child))
    return found


def cursor_plan(cursor) -> dict:
    value = cursor.fetchone()[0]
    document = value if isinstance(value, list) else json.loads(value)
    return document[0]["Plan"]


def read(response) -> None:
    """Let a streamed answer run its queries."""
    if response.streaming:
        for _chunk in response.streaming_content:
            pass


def generate_large_catalogue() -> None:
    with connection.cursor() as cursor:  # the web's 10 s would end it on a busy machine
        cursor.execute("SET LOCAL statement_timeout = '300s'")
    call_command("generate_synthetic", courses=COURSES, dates_per_course=2, stdout=StringIO())
    with connection.cursor() as cursor:
        for table in sorted(catalogue_tables() | {"network_organisation", "network_venue"}):
            cursor.execute(f'ANALYZE "{table}"')
    # As a worker that starts on this catalogue: a full build of the search index (a patched
    # one matches the courses changed since its build again, one small query more).
    search_index.forget()
    text_matches.forget()


def large_tables(tables: set[str], rows: int = 5_000) -> set[str]:
    """Those of the tables that hold more than ``rows`` rows now (a table the generator does
    not fill, such as the modules, is read whole at no cost)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples > %s",
            [sorted(tables), rows],
        )
        return {name for (name,) in cursor.fetchall()}


def second_visits(client: Client, paths: list[str]) -> dict[str, list[str]]:
    """Each path visited twice; the SQL of the second visit's queries."""
    queries = {}
    for path in paths:
        read(client.get(path))  # the first visit fills what is kept per generation
        with CaptureQueriesContext(connection) as second:
            response = client.get(path)
            read(response)
        assert response.status_code < 500, path
        queries[path] = [query["sql"] for query in second.captured_queries]
    return queries


def test_every_public_page_costs_the_same_queries_at_any_size_and_scans_nothing_whole():
    client = Client(raise_request_exception=False)
    paths = [path for pattern in page_patterns() for path in concrete_paths(pattern)]
    assert len(paths) > 60
    small = second_visits(client, paths)  # the demo networks: about a hundred courses

    generate_large_catalogue()
    tables = large_tables(catalogue_tables())
    assert {"measures_course", "measures_coursedate", "measures_course_subjects"} <= tables
    large = second_visits(client, paths)  # the same paths among 20,000 more courses

    # At most two more where a page changes its way at size: a feed reads the newest courses
    # in chunks once a search finds over 10,000, a patched index matches the courses changed
    # since its build again. Downloads that stream their rows (exports: up to 10,000 rows, in
    # batches) are judged by their first byte and memory instead (the page benchmark).
    grown = {
        path: (len(small[path]), len(large[path]))
        for path in paths
        if len(large[path]) > len(small[path]) + 2 and "/export." not in path
    }
    assert not grown, json.dumps({p: [small[p], large[p]] for p in grown}, indent=1)[:20000]
    offending: dict[str, list] = {}
    for path, queries in large.items():
        for sql in queries:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(SELECT")):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                plan = cursor_plan(cursor)
            bad = [(table, rows) for table, rows in scans(plan) if table in tables]
            if bad:
                offending.setdefault(path, []).append((bad, sql[:600]))
    assert not offending, json.dumps(offending, indent=1, default=str)
