"""A background export is a row in PostgreSQL: started by one process (the web server), it is
run by a real worker process (``manage.py db_worker``) started after the web process'
connection is gone, as after a restart of the web server, and its file is then downloaded.

The rows must be committed for another process to see them, so this test does not run in the
usual rolled-back transaction: it writes through ``django_db_blocker`` and removes what it
made (its job and task rows) at the end.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from measures.course_search import course_search_ids
from measures.models import Course, ExportJob
from tests.factories import make_course, make_provider
from tests.servers import database_url_of_the_tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_export_jobs_go_to_the_database_backend():
    """(Also: a test with the database mark, so that pytest-django sets up the test database
    when this module runs alone; the test below uses it without the rolled-back transaction.)"""
    from measures.tasks import run_export_job

    assert run_export_job.get_backend().__class__.__name__ == "DatabaseBackend"


@pytest.fixture
def committed(django_db_setup, django_db_blocker, settings, tmp_path):
    """Three published courses of a provider of their own, committed: the export's search is
    that provider's courses (the demo data is shared with tests that run before in this
    process; the search must not depend on what they left)."""
    settings.EXPORT_MAX_ROWS = 1
    settings.EXPORT_JOB_DIR = str(tmp_path)
    with django_db_blocker.unblock():
        provider = make_provider("Exportprobe Akademie")
        for number in range(3):
            make_course(provider, f"Exportprobe {number}")
        made = {"query": f"provider={provider.slug}"}
        try:
            yield made
        finally:
            DBTaskResult.objects.filter(task_path="measures.tasks.run_export_job").delete()
            ExportJob.objects.filter(pk__in=made.get("jobs", [])).delete()
            Course.objects.filter(provider=provider).delete()
            provider.delete()


def test_an_export_started_on_the_web_is_written_by_a_worker_process(committed, settings):
    query = committed["query"]
    client = Client()
    response = client.post(reverse("measures:export_csv") + "?" + query)
    found = course_search_ids(params=QueryDict(query), limit=0)[1]
    assert found == 3
    assert response.status_code == 303, response.status_code
    assert "/export/" in response["Location"], (response["Location"], found)
    job = ExportJob.objects.get(token=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    committed["jobs"] = [job.pk]
    assert DBTaskResult.objects.get(task_path="measures.tasks.run_export_job").status == "READY"
    connection.close()  # the web process goes away; the job stays in the database

    environment = {
        **os.environ,
        "DATABASE_URL": database_url_of_the_tests(),
        "DEBUG": "true",
        "STATEMENT_TIMEOUT_MS": "0",
        "EXPORT_JOB_DIR": settings.EXPORT_JOB_DIR,
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr

    task = DBTaskResult.objects.get(task_path="measures.tasks.run_export_job")
    assert task.status == "SUCCESSFUL", task.traceback
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error

    page = Client().get(response["Location"])  # another client, after the restart
    assert "Fertig" in page.content.decode()
    download = Client().get(reverse("measures:export_job_file", args=[job.token]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    ids, _count = course_search_ids(params=QueryDict(query), limit=None)
    assert [int(row[0]) for row in rows[1:]] == ids
    assert rows[1][18].startswith("http://testserver/kurse/")  # the address of the site
