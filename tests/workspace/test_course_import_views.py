"""The import pages: scoping (another organisation → 404), the dry run shown before anything is
written, confirming, large files as a background job with progress, templates and export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from measures.course_files.columns import KEYS
from measures.course_files.writers import csv_bytes
from measures.models import Course
from tests.workspace.conftest import login
from tests.workspace.test_course_import import rows
from workspace.models import CourseImport
from workspace.services.course_import import course_import_run

pytestmark = pytest.mark.django_db


def upload_url(organisation):
    return reverse("admin:course_import", kwargs={"organisation": organisation.slug})


def post_file(client, organisation, data: bytes, name="kurse.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(upload_url(organisation), {"file": upload})


def soup(response):
    return BeautifulSoup(response.content, "lxml")


def summary(response) -> dict[str, str]:
    table = soup(response).find(id="import-summary")
    return {
        row.th.get_text(strip=True): row.td.get_text(strip=True) for row in table.find_all("tr")
    }


def test_start_page_leads_staff_to_their_organisation(client, world):
    login(client, world.staff)
    response = client.get(reverse("admin:course_import_start"))
    assert response.status_code == 302 and response.url == upload_url(world.a.provider)
    index = soup(client.get(reverse("admin:index")))
    assert index.find("a", href=reverse("admin:course_import_start"))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("course_import", {}),
        ("course_import_export", {"kind": "csv"}),
        ("course_import_export", {"kind": "xlsx"}),
    ],
)
def test_another_organisation_is_not_found(client, world, name, kwargs):
    login(client, world.staff)
    url = reverse(f"admin:{name}", kwargs={"organisation": world.b.provider.slug, **kwargs})
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_another_organisations_import_is_not_found(client, world):
    job = CourseImport.objects.create(organisation=world.b.provider, filename="b.csv", data=b"")
    login(client, world.staff)
    for organisation in (world.b.provider, world.a.provider):
        url = reverse(
            "admin:course_import_job", kwargs={"organisation": organisation.slug, "pk": job.pk}
        )
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "import"}).status_code == 404


def test_dry_run_then_confirm(client, world):
    login(client, world.staff)
    provider = world.a.provider
    response = post_file(client, provider, csv_bytes(rows(world)))
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200 and "Refresh" not in page
    assert summary(page)["neu angelegt"] == "2"
    assert not Course.objects.filter(provider=provider, external_id__startswith="K-").exists()
    assert soup(page).find("button", string="Jetzt importieren")

    response = client.post(response.url, {"action": "import"})
    page = client.get(response.url)
    assert "Der Import ist gespeichert" in page.content.decode()
    assert Course.objects.filter(provider=provider, external_id__startswith="K-").count() == 2
    # Confirming again, or a second run of the job, does nothing.
    client.post(response.url, {"action": "import"})
    job = CourseImport.objects.get(organisation=provider)
    assert course_import_run(job_id=job.pk, write=True).status == CourseImport.Status.DONE
    assert Course.objects.filter(provider=provider, external_id__startswith="K-").count() == 2
    assert bytes(job.data) == b""  # written: the upload is dropped


def test_row_errors_are_listed_and_nothing_can_be_imported(client, world):
    login(client, world.staff)
    data = rows(world, beginn="31.02.2027")
    data[2]["anbieter"] = world.b.provider.slug
    page = client.get(post_file(client, world.a.provider, csv_bytes(data)).url)
    errors = soup(page).find(id="import-errors")
    cells = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in errors.tbody("tr")]
    assert [cell[:2] for cell in cells] == [["2", "beginn"], ["4", "anbieter"]]
    assert not soup(page).find("button", string="Jetzt importieren")


@pytest.mark.parametrize(
    "data, name",
    [
        (b"\x00\x01garbage" * 100, "kurse.csv"),
        (b"PK\x03\x04broken", "kurse.xlsx"),
        (b"kennung;titel\nA;" + b"\x81" * 3, "kurse.csv"),
    ],
)
def test_bad_files_get_a_message_not_a_500(client, world, data, name):
    login(client, world.staff)
    response = post_file(client, world.a.provider, data, name)
    page = client.get(response.url)
    assert page.status_code == 200
    assert soup(page).find(id="import-file-error").get_text(strip=True)


def test_oversized_upload_is_refused_by_the_form(client, world, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0
    login(client, world.staff)
    response = post_file(client, world.a.provider, csv_bytes(rows(world)))
    assert response.status_code == 200
    assert "zu groß" in soup(response).find(id="import-file-errors").get_text()
    assert not CourseImport.objects.filter(organisation=world.a.provider).exists()


def test_large_file_runs_as_a_job_with_progress(client, world, settings):
    settings.IMPORT_INLINE_MAX_KB = 0
    login(client, world.staff)
    response = post_file(client, world.a.provider, csv_bytes(rows(world)))
    job = CourseImport.objects.get(organisation=world.a.provider)
    task = DBTaskResult.objects.get(task_path="workspace.tasks.run_course_import")
    assert task.args_kwargs["args"] == [job.pk, False]
    page = client.get(response.url)
    assert page["Refresh"] == "2"
    assert soup(page).find("progress", id="import-progress")
    assert job.status == CourseImport.Status.WAITING


def test_job_records_progress(world, monkeypatch):
    from workspace.services import course_import as service

    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0)
    job = CourseImport.objects.create(
        organisation=world.a.provider,
        user=world.staff,
        filename="k.csv",
        data=csv_bytes(rows(world)),
        size=1,
    )
    seen = []
    real = service.course_import

    def watched(**kwargs):
        progress = kwargs["progress"]

        def record(phase, fraction):
            progress(phase, fraction)
            stored = CourseImport.objects.get(pk=job.pk)
            seen.append((stored.status, stored.phase, stored.progress))

        return real(**{**kwargs, "progress": record})

    monkeypatch.setattr(service, "course_import", watched)
    job = service.course_import_run(job_id=job.pk, write=False)
    assert job.status == CourseImport.Status.CHECKED and job.progress == 1.0
    assert job.report["created"] == ["K-1", "K-2"]
    assert seen and {status for status, _phase, _p in seen} == {CourseImport.Status.CHECKING}
    assert [phase for _s, phase, _p in seen][-1] == "check"


def test_templates_and_column_docs(client, world):
    login(client, world.staff)
    csv = client.get(reverse("admin:course_import_template", kwargs={"kind": "csv"}))
    text = csv.content.decode("utf-8-sig").splitlines()
    assert text[0].split(";") == list(KEYS) and len(text) == 2
    xlsx = client.get(reverse("admin:course_import_template", kwargs={"kind": "xlsx"}))
    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert workbook.sheetnames == ["Kurse", "Erklärung"]
    docs = soup(client.get(reverse("admin:course_import_columns")))
    assert [code.get_text() for code in docs.select("#import-columns code")] == list(KEYS)
    assert (
        client.get(reverse("admin:course_import_template", kwargs={"kind": "pdf"})).status_code
        == 404
    )


def test_export_of_own_offers(client, world):
    login(client, world.staff)
    url = reverse(
        "admin:course_import_export", kwargs={"organisation": world.a.provider.slug, "kind": "csv"}
    )
    text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert world.a.course.title in text and world.b.course.title not in text


def test_old_uploads_are_deleted_daily(world):
    from atlas.schedule import SCHEDULE
    from workspace.services.course_import import course_imports_delete_old

    assert course_imports_delete_old in [job.function for job in SCHEDULE]
    old = CourseImport.objects.create(organisation=world.a.provider, filename="alt.csv", data=b"x")
    CourseImport.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(days=31))
    new = CourseImport.objects.create(organisation=world.a.provider, filename="neu.csv", data=b"x")
    assert course_imports_delete_old() >= 1
    assert list(CourseImport.objects.filter(pk__in=[old.pk, new.pk])) == [new]
