"""Exports of a search larger than a direct download, prepared as background jobs: the offer,
starting a job (CSRF, rate limit, caps), the file equal to the direct export in every format,
the status page in each state, failure without a partial file, expiry, and the direct exports
streaming from the first row."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from measures import export_jobs, exports
from measures.course_search import course_search_ids
from measures.models import Course, ExportJob
from measures.tasks import run_export_job
from tests.browser import conftest as browser_conftest
from tests.pages.checks import validate_html

pytestmark = pytest.mark.django_db

KINDS = ["csv", "xlsx", "ics", "json"]
QUERY = "q=&sort=date"


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    """A direct download of at most 5 courses; files in a folder of this test."""
    settings.EXPORT_MAX_ROWS = 5
    settings.EXPORT_MAX_CALENDAR_COURSES = 5
    settings.EXPORT_JOB_DIR = str(tmp_path / "exports")
    settings.EXPORT_JOB_MAX_ROWS = 100_000
    settings.EXPORT_JOBS_ACTIVE = 10
    settings.EXPORT_JOBS_PER_CLIENT = 20
    return settings


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def export_url(kind: str, query: str = QUERY) -> str:
    return reverse(f"measures:export_{kind}") + "?" + query


def start_job(client, kind: str = "csv", query: str = QUERY) -> ExportJob:
    response = client.post(export_url(kind, query))
    assert response.status_code == 303, response.content[:500]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert response["Location"] == reverse("measures:export_job", args=[token])
    return ExportJob.objects.get(token=token)


def run(job: ExportJob) -> ExportJob:
    """What the worker does with the queued task: its function, called with its arguments."""
    tasks = DBTaskResult.objects.filter(task_path="measures.tasks.run_export_job")
    (args,) = [task.args_kwargs["args"] for task in tasks if task.args_kwargs["args"] == [job.pk]]
    run_export_job.call(*args)
    job.refresh_from_db()
    return job


def files(settings) -> list[str]:
    folder = settings.EXPORT_JOB_DIR
    return os.listdir(folder) if os.path.isdir(folder) else []


def page(client, job: ExportJob):
    return client.get(reverse("measures:export_job", args=[job.token]))


def found_count(query: str = QUERY) -> int:
    from django.http import QueryDict

    return course_search_ids(params=QueryDict(query), limit=0)[1]


# The offer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_search_over_the_direct_limit_offers_a_job(client, kind):
    response = client.get(export_url(kind))
    assert response.status_code == 400
    document = lxml.html.fromstring(response.content)
    form = document.xpath("//main//form")[0]
    assert form.get("method") == "post"
    assert form.get("action") == export_url(kind)
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert "im Hintergrund vorbereiten" in form.text_content()
    assert f"findet {found_count()} Kurse" in document.text_content()


def test_the_search_page_links_a_large_export_to_the_offer_not_as_a_download(client, settings):
    links = lambda: {  # noqa: E731
        link.get("href").split("?")[0]: link.get("download")
        for link in lxml.html.fromstring(client.get(reverse("measures:course_list")).content).xpath(
            '//div[@class="downloads"]//a'
        )
    }
    assert links()[reverse("measures:export_csv")] is None  # over the limit: no download
    settings.EXPORT_MAX_ROWS = 10_000
    settings.EXPORT_MAX_CALENDAR_COURSES = 10_000
    assert links()[reverse("measures:export_csv")] is not None
    assert links()[reverse("measures:export_ics")] is not None


def test_above_the_jobs_maximum_the_search_must_be_narrowed(client, settings):
    settings.EXPORT_JOB_MAX_ROWS = 6
    response = client.get(export_url("csv"))
    assert response.status_code == 400
    document = lxml.html.fromstring(response.content)
    assert not document.xpath("//main//form")
    assert "Bitte grenzen Sie die Suche ein" in document.text_content()
    assert client.post(export_url("csv")).status_code == 400
    assert not ExportJob.objects.exists()


def test_a_search_that_fits_a_direct_download_is_sent_to_it(client, settings):
    settings.EXPORT_MAX_ROWS = 10_000
    response = client.post(export_url("csv"))
    assert response.status_code == 303
    assert response["Location"] == export_url("csv")
    assert not ExportJob.objects.exists()


def test_starting_a_job_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    assert client.post(export_url("csv")).status_code == 403
    assert not ExportJob.objects.exists()
    offer = lxml.html.fromstring(client.get(export_url("csv")).content)
    token = offer.xpath("//input[@name='csrfmiddlewaretoken']/@value")[0]
    response = client.post(export_url("csv"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert ExportJob.objects.count() == 1


def test_unknown_format_is_not_found(client):
    assert client.post("/kurse/export.pdf?" + QUERY).status_code == 404
    with pytest.raises(ValueError):
        export_jobs.start(params=None, kind="pdf", base_url="http://x", count=1)


# The job's file ------------------------------------------------------------------------------


def direct_export(client, settings, kind: str) -> bytes:
    settings.EXPORT_MAX_ROWS = settings.EXPORT_MAX_CALENDAR_COURSES = 10_000
    response = client.get(export_url(kind))
    assert response.status_code == 200
    assert response.streaming
    return body(response)


def xlsx_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


@pytest.mark.parametrize("kind", KINDS)
def test_the_job_writes_what_the_direct_export_would(client, settings, kind):
    hostile = Course.objects.public().first()
    Course.objects.filter(pk=hostile.pk).update(title="=1+2", summary="@cmd|' /C calc'!A0")
    job = start_job(client, kind)
    assert job.status == ExportJob.Status.QUEUED
    assert job.total == found_count() > 5
    job = run(job)
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.row_count == job.total and job.progress == 1.0

    status_page = lxml.html.fromstring(page(client, job).content)
    link = status_page.xpath('//a[@id="export-download"]')[0]
    download = client.get(link.get("href"))
    assert download.status_code == 200
    assert download["Content-Type"] == exports.CONTENT_TYPES[kind]
    name = f"kurse-{timezone.localdate():%Y-%m-%d}.{kind}"
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert link.get("download") == name
    from_job = body(download)
    assert len(from_job) == job.size

    direct = direct_export(client, settings, kind)
    if kind == "xlsx":  # the same rows; the archive's times may differ
        rows = xlsx_rows(from_job)
        assert rows == xlsx_rows(direct)
        assert len(rows) == job.total + 1
        titles = {row[0]: row[1] for row in rows}
        assert titles[hostile.pk] == "'=1+2"
    else:
        assert from_job == direct
    if kind == "csv":
        assert f"{hostile.pk};'=1+2;".encode() in from_job


def test_the_same_search_while_its_job_waits_gets_that_job(client):
    first = start_job(client)
    assert start_job(client) == first
    assert start_job(client, "json") != first
    assert DBTaskResult.objects.filter(task_path="measures.tasks.run_export_job").count() == 2


def test_the_job_records_its_progress_as_it_writes(client, monkeypatch):
    monkeypatch.setattr(export_jobs, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(exports, "BATCH", 2)
    job = start_job(client, "json")
    seen = []
    real = exports.chunks

    def watched(*args, **kwargs):
        for chunk in real(*args, **kwargs):
            stored = ExportJob.objects.get(pk=job.pk)
            seen.append((stored.status, stored.row_count, stored.progress))
            yield chunk

    monkeypatch.setattr(exports, "chunks", watched)
    job = run(job)
    assert job.status == ExportJob.Status.DONE
    assert {status for status, _rows, _progress in seen} == {ExportJob.Status.RUNNING}
    counts = [rows for _status, rows, _progress in seen]
    assert counts == sorted(counts) and any(0 < count < job.total for count in counts)
    assert all(0 <= progress <= 1 for _status, _rows, progress in seen)


def test_a_failed_job_leaves_no_file_and_says_so(client, monkeypatch, settings):
    job = start_job(client, "csv")
    real = exports.chunks

    def breaking(*args, **kwargs):
        for number, chunk in enumerate(real(*args, **kwargs)):
            if number == 3:
                raise OSError("disk full")
            yield chunk

    monkeypatch.setattr(exports, "chunks", breaking)
    job = run(job)
    assert job.status == ExportJob.Status.FAILED
    assert job.file == "" and job.finished_at
    assert not files(settings)  # neither the file nor its part
    response = page(client, job)
    assert response.status_code == 200 and "Refresh" not in response
    document = lxml.html.fromstring(response.content)
    assert (
        "konnte nicht vorbereitet werden"
        in document.get_element_by_id("export-status").text_content()
    )
    assert not document.xpath('//a[@id="export-download"]')
    assert "disk full" not in response.content.decode()
    assert client.get(reverse("measures:export_job_file", args=[job.token])).status_code == 404


def test_a_job_whose_search_has_grown_past_the_maximum_fails(client, settings):
    job = start_job(client)
    settings.EXPORT_JOB_MAX_ROWS = 6
    job = run(job)
    assert job.status == ExportJob.Status.FAILED
    assert "mehr als 6" in job.error
    assert not files(settings)


def test_a_job_runs_once(client):
    job = run(start_job(client))
    finished = job.finished_at
    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.finished_at == finished


# The status page -----------------------------------------------------------------------------


def status_text(response) -> str:
    return lxml.html.fromstring(response.content).get_element_by_id("export-status").text_content()


def test_status_page_while_queued_and_running(client):
    job = start_job(client)
    response = page(client, job)
    assert response.status_code == 200
    assert response["Refresh"] == "3"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "Wartet auf den Start" in status_text(response)
    document = lxml.html.fromstring(response.content)
    refresh = document.get_element_by_id("export-refresh")
    assert refresh.get("href") == reverse("measures:export_job", args=[job.token])
    assert refresh.text_content() == "Aktualisieren"
    assert client.get(reverse("measures:export_job_file", args=[job.token])).status_code == 404

    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, progress=0.4, row_count=40, total=100
    )
    response = page(client, job)
    assert response["Refresh"] == "3"
    assert re.sub(r"\s+", " ", status_text(response)) == (
        "Wird vorbereitet: 40 % (40 von 100 Kursen)"
    )
    progress = lxml.html.fromstring(response.content).get_element_by_id("export-progress")
    assert progress.get("value") == "40"


def test_status_page_when_done(client):
    job = run(start_job(client))
    response = page(client, job)
    assert "Refresh" not in response
    assert f"enthält {job.row_count} Kurse" in status_text(response)
    assert response["X-Robots-Tag"] == "noindex"


def test_a_running_job_that_stopped_reporting_counts_as_failed(client):
    job = start_job(client)
    stale = timezone.now() - export_jobs.STALLED_AFTER - dt.timedelta(minutes=1)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, updated_at=stale)
    response = page(client, job)
    assert "Refresh" not in response
    assert "unterbrochen" in status_text(response)
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.FAILED


def test_the_status_page_reads_the_job_from_the_database(client):
    """A job is a row: a web server started after the job was (a new client, no session, no
    memory of the request that started it) shows it by its token alone."""
    job = run(start_job(client))
    fresh = Client()
    response = fresh.get(reverse("measures:export_job", args=[job.token]))
    assert response.status_code == 200
    assert "Fertig" in status_text(response)


def test_unknown_token_is_not_found(client):
    for name in ("measures:export_job", "measures:export_job_file"):
        assert client.get(reverse(name, args=["gibt-es-nicht"])).status_code == 404


def test_tokens_are_long_and_random(client):
    first, second = start_job(client), start_job(client, "json")
    assert len(first.token) >= 40 and first.token != second.token


# Limits ----------------------------------------------------------------------------------------


def test_a_client_may_start_only_so_many_jobs(client, settings):
    settings.EXPORT_JOBS_PER_CLIENT = 2
    start_job(client, "csv")
    start_job(client, "json")
    response = client.post(export_url("xlsx"))
    assert response.status_code == 429
    assert response["Retry-After"]
    text = lxml.html.fromstring(response.content).get_element_by_id("export-refused")
    assert "schon 2 große Exporte" in text.text_content()
    assert ExportJob.objects.count() == 2
    other = Client(REMOTE_ADDR="192.0.2.77")
    assert other.post(export_url("xlsx")).status_code == 303


def test_only_so_many_jobs_wait_or_run_at_once(client, settings):
    settings.EXPORT_JOBS_ACTIVE = 1
    job = start_job(client, "csv")
    response = client.post(export_url("json"))
    assert response.status_code == 503
    assert "in einigen Minuten" in response.content.decode()
    run(job)  # done: no longer waiting
    assert client.post(export_url("json")).status_code == 303


def test_no_new_job_while_the_kept_files_take_their_space(client, settings):
    run(start_job(client, "json"))
    settings.EXPORT_JOB_MAX_DISK_MB = 0
    assert client.post(export_url("csv")).status_code == 503


# Expiry --------------------------------------------------------------------------------------


def test_expired_jobs_and_their_files_are_deleted(client, settings):
    old = run(start_job(client, "csv"))
    kept = run(start_job(client, "json"))
    long_ago = timezone.now() - dt.timedelta(hours=settings.EXPORT_JOB_KEEP_HOURS, minutes=1)
    ExportJob.objects.filter(pk=old.pk).update(created_at=long_ago)
    folder = export_jobs.export_dir()
    orphan = folder / "left-by-a-stopped-worker.csv.part"
    orphan.write_bytes(b"x")
    os.utime(orphan, (long_ago.timestamp(), long_ago.timestamp()))
    fresh_part = folder / "being-written.json.part"
    fresh_part.write_bytes(b"x")

    # Expired: gone for visitors at once, before the daily job has run.
    assert page(client, old).status_code == 404
    assert client.get(reverse("measures:export_job_file", args=[old.token])).status_code == 404

    assert export_jobs.export_jobs_delete_expired() == 1
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert sorted(os.listdir(folder)) == sorted([kept.file, fresh_part.name])
    assert page(client, kept).status_code == 200


def test_the_daily_jobs_delete_expired_exports():
    from atlas.schedule import SCHEDULE

    assert export_jobs.export_jobs_delete_expired in [job.function for job in SCHEDULE]


def test_a_job_deleted_while_writing_leaves_no_file(client, monkeypatch, settings):
    job = start_job(client)
    real = exports.chunks

    def deleted_meanwhile(*args, **kwargs):
        ExportJob.objects.filter(pk=job.pk).delete()
        yield from real(*args, **kwargs)

    monkeypatch.setattr(exports, "chunks", deleted_meanwhile)
    export_jobs.export_job_run(job_id=job.pk)
    assert not files(settings)


# Direct exports stream ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_direct_exports_stream(client, settings, kind):
    settings.EXPORT_MAX_ROWS = settings.EXPORT_MAX_CALENDAR_COURSES = 10_000
    response = client.get(export_url(kind))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == exports.CONTENT_TYPES[kind]


def test_an_xlsx_streams_while_its_rows_are_written(client, settings, monkeypatch):
    """The first bytes leave before the last course is read: the sheet is compressed into the
    archive as the rows come (not written whole to a temporary file first)."""
    monkeypatch.setattr(exports, "XLSX_FLUSH_ROWS", 5)
    monkeypatch.setattr(exports, "BATCH", 5)
    read = []
    real = exports.export_rows

    def counted(ids, **kwargs):
        for item in real(ids, **kwargs):
            read.append(item.course.pk)
            yield item

    monkeypatch.setattr(exports, "export_rows", counted)
    settings.EXPORT_MAX_ROWS = 10_000
    response = client.get(export_url("xlsx"))
    stream = iter(response.streaming_content)
    first = b""
    while not first:
        first = next(stream)
    assert first.startswith(b"PK") and len(read) < found_count()
    data = first + b"".join(stream)
    assert len(xlsx_rows(data)) == found_count() + 1


# Every state of the pages is valid HTML -----------------------------------------------------

vnu_command = browser_conftest.vnu_command


def test_the_pages_of_every_state_are_valid_html(client, settings, vnu_command, tmp_path):
    documents = {"offer": client.get(export_url("csv")).content}
    settings.EXPORT_JOB_MAX_ROWS = 6
    documents["narrow"] = client.get(export_url("csv")).content
    settings.EXPORT_JOB_MAX_ROWS = 100_000
    job = start_job(client)
    documents["queued"] = page(client, job).content
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=0.5)
    documents["running"] = page(client, job).content
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error="x")
    documents["failed"] = page(client, job).content
    documents["done"] = page(client, run(start_job(client, "json"))).content
    settings.EXPORT_JOBS_PER_CLIENT = 0
    documents["refused"] = client.post(export_url("xlsx")).content
    errors = validate_html(documents, vnu_command, tmp_path)
    assert not any(errors.values()), errors
