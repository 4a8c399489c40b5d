"""The course import service: formats, the dry run, idempotence, updates under the review rule,
archiving, all or nothing, scoping, bad files and the export's round trip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import Workbook

from measures.course_files.columns import KEYS
from measures.course_files.records import course_key
from measures.course_files.writers import course_rows, csv_bytes, export_queryset, xlsx_bytes
from measures.models import Course, CourseDate, SearchDocument, Subject
from network.models import Organisation, Venue
from workspace.models import CourseChange
from workspace.services.course_import import course_import

pytestmark = pytest.mark.django_db

START = (dt.date.today() + dt.timedelta(days=40)).strftime("%d.%m.%Y")
END = (dt.date.today() + dt.timedelta(days=60)).strftime("%d.%m.%Y")


def rows(world, tenant=None, **changes):
    """Two courses: one with two dates and two modules at a new venue, one online."""
    subject = Subject.objects.filter(parent__isnull=False).first()
    first = {
        "kennung": "K-1",
        "titel": "Excel für Einsteiger",
        "kurzbeschreibung": "Tabellen anlegen und rechnen.",
        "fachgebiete": subject.name,
        "schlagwoerter": "Excel|Tabellen",
        "unterrichtseinheiten": "16",
        "preis": "129,50",
        "beginn": START,
        "ende": END,
        "wochentage": "Mo|Mi",
        "uhrzeit_von": "18:00",
        "uhrzeit_bis": "20:15",
        "ort": "Bildungshaus",
        "ort_strasse": "Hauptstraße 1",
        "ort_plz": "55116",
        "ort_ort": "Mainz",
        "plaetze": "12",
        "modul_titel": "Grundlagen",
        "modul_ue": "8",
    }
    first.update(changes)
    return [
        first,
        {
            "kennung": "K-1",
            "beginn": END,
            "ort": "Bildungshaus",
            "ort_strasse": "Hauptstraße 1",
            "ort_plz": "55116",
            "ort_ort": "Mainz",
            "modul_titel": "Formeln",
            "modul_ue": "8",
        },
        {
            "kennung": "K-2",
            "titel": "Python online",
            "art": "Seminar / Workshop",
            "preisangabe": "kostenfrei",
            "form": "online",
            "einstieg_jederzeit": "ja",
        },
    ]


def run(user, organisation, data: bytes, *, dry_run=False, max_bytes=None):
    return course_import(
        user=user,
        organisation=organisation,
        binary=io.BytesIO(data),
        dry_run=dry_run,
        max_bytes=max_bytes,
    )


def courses_of(organisation):
    return Course.objects.filter(provider=organisation, external_id__startswith="K-")


def test_import_creates_courses_with_dates_modules_venue_log_and_search(world):
    provider = world.a.provider
    report = run(world.staff, provider, csv_bytes(rows(world)))
    assert report.ok and report.written, report.as_dict()
    assert sorted(report.created) == ["K-1", "K-2"]
    first = Course.objects.get(provider=provider, external_id="K-1")
    assert first.status == Course.Status.SUBMITTED  # network A reviews offers
    assert first.price == Decimal("129.50") and first.teaching_units == 16
    assert first.slug == "excel-fuer-einsteiger"
    assert sorted(first.keywords.names()) == ["Excel", "Tabellen"]
    assert [m.title for m in first.modules.order_by("position")] == ["Grundlagen", "Formeln"]
    dates = list(first.dates.order_by("start_date"))
    assert len(dates) == 2 and dates[0].weekdays == [0, 2]
    assert dates[0].venue_id == dates[1].venue_id
    venue = Venue.objects.get(pk=dates[0].venue_id)
    assert venue.organisation == provider and venue.region is not None and venue.latitude
    second = Course.objects.get(provider=provider, external_id="K-2")
    assert second.kind == Course.Kind.SEMINAR and second.dates.get().rolling_start
    assert CourseChange.objects.filter(course__in=[first, second]).count() == 2
    assert SearchDocument.objects.filter(course__in=[first, second]).count() == 2


KEPT = [
    "current_until",
    "facet_subjects",
    "facet_target_groups",
    "facet_funding",
    "summary_next_start",
    "summary_valid_until",
]


def test_new_courses_carry_what_the_database_triggers_keep(world):
    """The import computes the trigger-kept columns itself (its rows go in before their
    courses); touching every part again makes the triggers recompute them: nothing changes."""
    data = rows(world, zielgruppen="Frauen|Erwerbslose", foerderung="Bildungsgutschein (AZAV)")
    data[1]["buchungsstand"] = "abgesagt"
    data.append({"kennung": "K-3", "titel": "Vorbei", "beginn": "01.01.2020", "ende": "02.01.2020"})
    data.append({"kennung": "K-3", "beginn": START})
    report = run(world.staff, world.a.provider, csv_bytes(data))
    assert report.written, report.as_dict()
    courses = courses_of(world.a.provider)
    before = {row["pk"]: row for row in courses.values("pk", *KEPT)}
    assert before[Course.objects.get(provider=world.a.provider, external_id="K-2").pk][
        "current_until"
    ] == dt.date(9999, 12, 31)
    ids = list(before)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE measures_coursedate SET booking_status = booking_status"
            " WHERE course_id = ANY(%s)",
            [ids],
        )
        for table in ("subjects", "target_groups", "funding"):
            cursor.execute(
                f"UPDATE measures_course_{table} SET course_id = course_id"  # noqa: S608
                " WHERE course_id = ANY(%s)",
                [ids],
            )
    assert {row["pk"]: row for row in courses.values("pk", *KEPT)} == before


def test_published_where_no_network_reviews(world):
    report = run(world.staff_b, world.b.provider, csv_bytes(rows(world)))
    assert report.written
    assert {c.status for c in courses_of(world.b.provider)} == {Course.Status.PUBLISHED}


def test_reimport_of_the_same_file_changes_nothing(world):
    data = csv_bytes(rows(world))
    run(world.staff, world.a.provider, data)
    before = {c.pk: c.updated_at for c in courses_of(world.a.provider)}
    log = CourseChange.objects.count()
    report = run(world.staff, world.a.provider, data)
    assert report.written and sorted(report.unchanged) == ["K-1", "K-2"]
    assert report.created == report.updated == []
    assert CourseChange.objects.count() == log
    assert {c.pk: c.updated_at for c in courses_of(world.a.provider)} == before


def test_minor_change_goes_live_and_major_change_waits_for_review(world):
    provider = world.a.provider
    run(world.staff, provider, csv_bytes(rows(world)))
    courses_of(provider).update(status=Course.Status.PUBLISHED)
    report = run(world.staff, provider, csv_bytes(rows(world, preis="99")))
    assert report.updated == ["K-1"] and report.kept_for_review == []
    course = Course.objects.get(provider=provider, external_id="K-1")
    assert course.price == Decimal("99.00")
    assert course.changes.filter(action=CourseChange.Action.MINOR_EDIT).count() == 1

    preview = run(
        world.staff, provider, csv_bytes(rows(world, preis="99", titel="Neu")), dry_run=True
    )
    assert preview.kept_for_review == ["K-1"] and not preview.written
    report = run(world.staff, provider, csv_bytes(rows(world, preis="99", titel="Neu")))
    assert report.kept_for_review == ["K-1"]
    course.refresh_from_db()
    assert course.title == "Excel für Einsteiger"  # the published version stays
    revision = Course.objects.get(revision_of=course)
    assert revision.title == "Neu" and revision.status == Course.Status.SUBMITTED


def test_major_change_is_live_where_no_network_reviews(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows(world)))
    report = run(world.staff_b, provider, csv_bytes(rows(world, titel="Neu")))
    assert report.updated == ["K-1"] and report.kept_for_review == []
    course = Course.objects.get(provider=provider, external_id="K-1")
    assert course.title == "Neu"
    assert course.changes.filter(action=CourseChange.Action.EDITED).count() == 1


def test_changed_dates_are_updated(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows(world)))
    changed = rows(world, plaetze="3", buchungsstand="wenige Plätze frei")
    report = run(world.staff_b, provider, csv_bytes(changed))
    assert report.updated == ["K-1"]
    course = Course.objects.get(provider=provider, external_id="K-1")
    assert course.dates.count() == 2
    assert course.dates.filter(seats=3, booking_status="few").count() == 1
    assert run(world.staff_b, provider, csv_bytes(changed)).unchanged == ["K-1", "K-2"]


def test_delete_marker_archives(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows(world)))
    data = csv_bytes([{"kennung": "K-2", "loeschen": "ja"}])
    report = run(world.staff_b, provider, data)
    assert report.archived == ["K-2"] and report.written
    course = Course.objects.get(provider=provider, external_id="K-2")
    assert course.status == Course.Status.ARCHIVED
    assert course.changes.filter(action=CourseChange.Action.ARCHIVED).count() == 1
    assert run(world.staff_b, provider, data).archived == []


def test_dry_run_writes_nothing(world):
    counts = (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count())
    log = CourseChange.objects.count()
    report = run(world.staff, world.a.provider, csv_bytes(rows(world)), dry_run=True)
    assert sorted(report.created) == ["K-1", "K-2"] and not report.written
    assert (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count()) == counts
    assert CourseChange.objects.count() == log


def test_an_error_in_the_last_row_leaves_no_trace(world):
    data = rows(world)
    data[-1]["uhrzeit_von"] = "25:99"
    counts = (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count())
    report = run(world.staff, world.a.provider, csv_bytes(data))
    assert not report.written and report.error_count == 1
    error = report.errors[0]
    assert (error.line, error.column) == (4, "uhrzeit_von")
    assert "keine Uhrzeit" in error.message
    assert (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count()) == counts


def test_errors_name_line_column_and_reason(world):
    data = rows(world, beginn="31.02.2027", fachgebiete="Unterwasserkorbflechten", art="Party")
    data[2]["preis"] = "12"  # free with a price
    report = run(world.staff, world.a.provider, csv_bytes(data), dry_run=True)
    found = {(e.line, e.column) for e in report.errors}
    assert {(2, "beginn"), (2, "fachgebiete"), (2, "art"), (4, "preis")} <= found
    messages = " ".join(e.message for e in report.errors)
    assert "Unterwasserkorbflechten" in messages and "kein Datum" in messages
    assert "kostenfreies Angebot hat keinen Preis" in messages


def test_unknown_postal_code_is_a_row_error(world):
    report = run(world.staff, world.a.provider, csv_bytes(rows(world, ort="Neu", ort_plz="00000")))
    assert not report.written
    assert any(e.column == "ort_plz" and e.line == 2 for e in report.errors)


def test_a_row_of_another_provider_is_refused(world):
    data = rows(world)
    data[2]["anbieter"] = world.b.provider.slug
    report = run(world.staff, world.a.provider, csv_bytes(data))
    assert not report.written
    assert [(e.line, e.column) for e in report.errors] == [(4, "anbieter")]
    assert not courses_of(world.a.provider).exists()


@pytest.mark.parametrize("user", ["staff", "nobody", "staff_b"])
def test_another_organisation_is_not_found(world, user):
    with pytest.raises(Organisation.DoesNotExist):
        run(getattr(world, user), world.a.provider if user != "staff" else world.b.provider, b"")


def test_coordinator_imports_for_the_networks_provider(world):
    report = run(world.coordinator, world.a.provider, csv_bytes(rows(world)))
    assert report.written and len(report.created) == 2


# Formats --------------------------------------------------------------------------------------


def _csv(rows_, *, delimiter=";", encoding="utf-8", bom=False) -> bytes:
    lines = [delimiter.join(KEYS)]
    for row in rows_:
        lines.append(
            delimiter.join('"' + row.get(key, "").replace('"', '""') + '"' for key in KEYS)
        )
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


@pytest.mark.parametrize(
    "options",
    [
        {"delimiter": ","},
        {"delimiter": ";", "bom": True},
        {"delimiter": ";", "encoding": "cp1252"},
        {"delimiter": "\t"},
    ],
)
def test_csv_dialects_and_encodings(world, options):
    report = run(world.staff, world.a.provider, _csv(rows(world), **options), dry_run=True)
    assert report.ok, report.as_dict()
    assert sorted(report.created) == ["K-1", "K-2"]
    report = run(world.staff, world.a.provider, _csv(rows(world), **options))
    assert Course.objects.get(provider=world.a.provider, external_id="K-1").title == (
        "Excel für Einsteiger"
    )


def test_xlsx(world):
    report = run(world.staff, world.a.provider, xlsx_bytes(rows(world)))
    assert report.written and sorted(report.created) == ["K-1", "K-2"], report.as_dict()
    course = Course.objects.get(provider=world.a.provider, external_id="K-1")
    assert course.dates.count() == 2 and course.modules.count() == 2


def test_xlsx_with_typed_cells(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["kennung", "titel", "beginn", "uhrzeit_von", "preis", "unterrichtseinheiten"])
    start = dt.date.today() + dt.timedelta(days=30)
    sheet.append(
        ["T-1", "Typisiert", dt.datetime.combine(start, dt.time()), dt.time(9, 30), 12.5, 8]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(world.staff, world.a.provider, buffer.getvalue())
    assert report.written, report.as_dict()
    course = Course.objects.get(provider=world.a.provider, external_id="T-1")
    date = course.dates.get()
    assert (date.start_date, date.start_time) == (start, dt.time(9, 30))
    assert course.price == Decimal("12.50") and course.teaching_units == 8


# Bad files ------------------------------------------------------------------------------------


def _file_error(world, data: bytes, **kwargs) -> str:
    counts = Course.objects.count()
    report = run(world.staff, world.a.provider, data, **kwargs)
    assert report.file_error or report.error_count, report.as_dict()
    assert not report.written and Course.objects.count() == counts
    return report.file_error or report.errors[0].message


def test_formula_in_a_cell_is_refused(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["kennung", "titel", "preis"])
    sheet.append(["F-1", "Formel", "=1+1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    message = _file_error(world, buffer.getvalue())
    assert "Formel" in message and "C2" in message


def test_truncated_xlsx(world):
    data = xlsx_bytes(rows(world))
    assert "beschädigt" in _file_error(world, data[: len(data) // 2])


def test_xlsx_with_a_damaged_sheet(world):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows(world)))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert "beschädigt" in _file_error(world, buffer.getvalue())


def test_garbage(world):
    assert "weder" in _file_error(world, bytes(range(256)) * 100)


def test_wrong_encoding(world):
    data = b"kennung;titel\nE-1;Kurs\n" + b"\x81\x8d\xff\xfe\n"
    assert "kodiert" in _file_error(world, data)


def test_ten_thousand_columns(world):
    data = ("kennung;titel\n" + "E-1;" + ";".join(["x"] * 10_000) + "\n").encode()
    assert "Spalten" in _file_error(world, data)


def test_ten_thousand_columns_in_xlsx(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["kennung", "titel"])
    sheet.append(["E-1", "Kurs", *(["x"] * 10_000)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "Spalten" in _file_error(world, buffer.getvalue())


def test_oversized_file(world):
    data = csv_bytes(rows(world))
    assert "zu groß" in _file_error(world, data, max_bytes=len(data) - 1)


def test_unknown_column_and_missing_header(world):
    assert "unbekannte Spalten" in _file_error(world, b"kennung;titel;farbe\nA;B;C\n")
    assert "fehlen die Spalten" in _file_error(world, b"A-1;Kurs\n")
    assert "leer" in _file_error(world, b"")
    assert "XML" in _file_error(world, b"<?xml version='1.0'?><a/>")


# Export and round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [csv_bytes, xlsx_bytes])
def test_export_then_import_changes_nothing(world, writer):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows(world)))
    course = Course.objects.get(provider=provider, external_id="K-1")
    course.description = '=Formel? Nein: -Text mit ; und " und\nZeilen'
    course.save()
    exported = writer(course_rows(export_queryset(Course.objects.filter(provider=provider))))
    log = CourseChange.objects.count()
    report = run(world.staff_b, provider, exported)
    assert report.ok and report.written, report.as_dict()
    assert (report.created, report.updated) == ([], []), report.as_dict()
    assert sorted(report.unchanged) == sorted(
        course_key(course) for course in Course.objects.filter(provider=provider)
    )
    assert CourseChange.objects.count() == log


def test_a_database_error_while_writing_leaves_no_trace(world, monkeypatch):
    """The database's own guard (here: a slug taken meanwhile) ends the import with a message;
    nothing of it is written."""
    from workspace.services import course_import as service

    taken = world.a.course.slug
    monkeypatch.setattr(service, "_unique_slugs", lambda titles: [taken for _title in titles])
    counts = (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count())
    log = CourseChange.objects.count()
    report = run(world.staff, world.a.provider, csv_bytes(rows(world)))
    assert not report.written and "nicht gespeichert" in report.file_error
    assert (Course.objects.count(), CourseDate.objects.count(), Venue.objects.count()) == counts
    assert CourseChange.objects.count() == log
