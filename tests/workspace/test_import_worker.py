"""A background import job is a row in PostgreSQL: enqueued by one process (the web server),
it is picked up and run by a real worker process (``manage.py db_worker``) started after the
web process' connection is gone, as after a restart of the web server.

The rows must be committed for another process to see them, so this test does not run in the
usual rolled-back transaction: it writes through ``django_db_blocker`` and removes what it
made (its organisation, user, job and task rows) at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tasks_db.models import DBTaskResult

from measures.course_files.writers import csv_bytes
from network.models import Organisation
from tests.servers import database_url_of_the_tests
from workspace.models import CourseImport, RoleAssignment
from workspace.tasks import run_course_import

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_jobs_go_to_the_database_backend():
    """(Also: a test with the database mark, so that pytest-django sets up the test database
    when this module runs alone; the test below uses it without the rolled-back transaction.)"""
    assert run_course_import.get_backend().__class__.__name__ == "DatabaseBackend"


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    made = {}
    with django_db_blocker.unblock():
        token = uuid.uuid4().hex[:8]
        organisation = Organisation.objects.create(
            name=f"Worker-Akademie {token}", slug=f"worker-{token}", is_provider=True
        )
        user = get_user_model().objects.create(username=f"worker-{token}", is_staff=True)
        RoleAssignment.objects.create(
            user=user, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=organisation
        )
        made.update(organisation=organisation, user=user)
        yield made
        DBTaskResult.objects.filter(pk__in=made.get("tasks", [])).delete()
        CourseImport.objects.filter(organisation=organisation).delete()
        RoleAssignment.objects.filter(user=user).delete()
        user.delete()
        organisation.delete()


def test_an_enqueued_import_is_run_by_a_worker_process_after_a_restart(committed):
    data = csv_bytes(
        [
            {"kennung": "W-1", "titel": "Vom Worker geprüft", "einstieg_jederzeit": "ja"},
            {"kennung": "W-2", "titel": "Zweiter Kurs", "beginn": "01.01.2020", "ende": "x"},
        ]
    )
    job = CourseImport.objects.create(
        organisation=committed["organisation"],
        user=committed["user"],
        filename="worker.csv",
        data=data,
        size=len(data),
    )
    result = run_course_import.enqueue(job.pk, False)
    committed["tasks"] = [result.id]
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    connection.close()  # the web process goes away; the job stays in the database

    environment = {
        **os.environ,
        "DATABASE_URL": database_url_of_the_tests(),
        "DEBUG": "true",
        "STATEMENT_TIMEOUT_MS": "0",
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

    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "SUCCESSFUL", task.traceback
    job.refresh_from_db()
    assert job.status == CourseImport.Status.CHECKED
    assert job.progress == 1.0
    assert job.report["created"] == ["W-1"]
    assert [(error["line"], error["column"]) for error in job.report["errors"]] == [(3, "ende")]
