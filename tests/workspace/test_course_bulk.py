"""The set-based update path of the import (``courses_edit_bulk``): the same change made once
through ``course_edit`` (as the admin makes it) and once through an import gives equal courses,
dates, links, keywords, modules, status, new versions and change-log entries; all or nothing;
a fixed number of queries for any number of changed courses."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.course_files.samples import sample_rows
from measures.course_files.writers import csv_bytes
from measures.models import Course, CourseDate, Module, Subject
from workspace.models import CourseChange
from workspace.services.course_bulk import (
    DATE_COLUMNS,
    CourseWrite,
    CourseWriteError,
    courses_edit_bulk,
)
from workspace.services.course_import import course_import
from workspace.services.courses import (
    WorkflowError,
    course_archive,
    course_edit,
    courses_archive_bulk,
)

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=40)
END = dt.date.today() + dt.timedelta(days=60)
LATER = dt.date.today() + dt.timedelta(days=90)


def rows(key, **changes):
    """One course with two dates (with their own keys) and two modules."""
    subjects = list(Subject.objects.filter(parent__isnull=False).order_by("pk")[:2])
    first = {
        "kennung": key,
        "titel": "Excel für Einsteiger",
        "kurzbeschreibung": "Tabellen anlegen und rechnen.",
        "fachgebiete": subjects[0].name,
        "schlagwoerter": "Excel|Tabellen",
        "unterrichtseinheiten": "16",
        "preis": "129,50",
        "termin_kennung": "T-1",
        "beginn": START.strftime("%d.%m.%Y"),
        "ende": END.strftime("%d.%m.%Y"),
        "wochentage": "Mo|Mi",
        "uhrzeit_von": "18:00",
        "uhrzeit_bis": "20:15",
        "form": "online",
        "plaetze": "12",
        "modul_titel": "Grundlagen",
        "modul_ue": "8",
    }
    second = {
        "kennung": key,
        "termin_kennung": "T-2",
        "beginn": END.strftime("%d.%m.%Y"),
        "form": "online",
        "modul_titel": "Formeln",
        "modul_ue": "8",
    }
    for name, value in changes.items():
        target = second if name.startswith("second_") else first
        target[name.removeprefix("second_")] = value
    return [first, second]


def run(user, organisation, data, *, dry_run=False):
    return course_import(
        user=user, organisation=organisation, binary=io.BytesIO(data), dry_run=dry_run
    )


def twins(user, provider, *, published=True):
    """Two equal courses (keys E-1 and I-1): one to edit in the admin's way, one to import."""
    report = run(user, provider, csv_bytes(rows("E-1") + rows("I-1")))
    assert report.written, report.as_dict()
    courses = Course.objects.filter(provider=provider, external_id__in=["E-1", "I-1"])
    if published:
        courses.update(status=Course.Status.PUBLISHED)
    return (
        Course.objects.get(provider=provider, external_id="E-1"),
        Course.objects.get(provider=provider, external_id="I-1"),
    )


COURSE_IGNORED = {
    "id",
    "slug",
    "external_id",
    "created_at",
    "updated_at",
    "published_at",
    "search_vector",
    "search_document",
    "revision_of",
}


def picture(course) -> dict:
    """Everything of a course that an edit may change, without what names the row."""
    course = Course.objects.get(pk=course.pk)
    fields = {
        f.attname: getattr(course, f.attname)
        for f in Course._meta.concrete_fields
        if f.name not in COURSE_IGNORED and not f.name.startswith("search")
    }
    fields["subjects"] = sorted(course.subjects.values_list("pk", flat=True))
    fields["target_groups"] = sorted(course.target_groups.values_list("pk", flat=True))
    fields["funding"] = sorted(course.funding.values_list("pk", flat=True))
    fields["keywords"] = sorted(course.keywords.names())
    fields["modules"] = list(
        course.modules.order_by("position", "pk").values_list(
            "position", "title", "contents", "teaching_units"
        )
    )
    date_names = [
        f.attname for f in CourseDate._meta.concrete_fields if f.name not in ("id", "course")
    ]
    fields["dates"] = [
        tuple(row) for row in course.dates.order_by("external_id", "pk").values_list(*date_names)
    ]
    return fields


def log_of(course) -> list[tuple]:
    return list(
        CourseChange.objects.filter(course=course)
        .exclude(action=CourseChange.Action.CREATED)
        .order_by("pk")
        .values_list(
            "action", "changes", "status_before", "status_after", "message", "course_title"
        )
    )


def revision_of(course):
    revision = Course.objects.filter(revision_of=course).first()
    if revision is None:
        return None
    return picture(revision), revision.status, log_of(revision)


def assert_same(edited, imported):
    assert picture(edited) == picture(imported)
    assert log_of(edited) == log_of(imported)
    assert revision_of(edited) == revision_of(imported)


def test_a_minor_change_is_live_the_same_way(world):
    provider = world.a.provider  # its network reviews offers
    edited, imported = twins(world.staff, provider)
    with course_edit(course=edited, user=world.staff) as edit:
        edit.course.price = Decimal("99.00")
        edit.course.save()
        date = edit.course.dates.get(external_id="T-2")
        date.seats = 3
        date.booking_status = CourseDate.BookingStatus.FEW
        date.save()
    assert not edit.kept_for_review
    report = run(
        world.staff,
        provider,
        csv_bytes(
            rows("I-1", preis="99", second_plaetze="3", second_buchungsstand="wenige Plätze frei")
        ),
    )
    assert report.updated == ["I-1"] and report.kept_for_review == []
    assert_same(edited, imported)
    entry = CourseChange.objects.filter(course=imported).latest("pk")
    assert entry.action == CourseChange.Action.MINOR_EDIT
    fields = [line["field"] for line in entry.changes]
    assert any(f.startswith("Preis") for f in fields) and any("Plätze" in f for f in fields)


def test_a_major_change_waits_for_review_the_same_way(world):
    provider = world.a.provider
    edited, imported = twins(world.staff, provider)
    with course_edit(course=edited, user=world.staff) as edit:
        edit.course.title = "Excel für Fortgeschrittene"
        edit.course.price = Decimal("99.00")
        edit.course.save()
    assert edit.kept_for_review
    report = run(
        world.staff,
        provider,
        csv_bytes(rows("I-1", titel="Excel für Fortgeschrittene", preis="99")),
    )
    assert report.kept_for_review == ["I-1"]
    assert_same(edited, imported)
    assert imported.title == Course.objects.get(pk=imported.pk).title == "Excel für Einsteiger"
    assert Course.objects.get(revision_of=imported).title == "Excel für Fortgeschrittene"


def test_a_major_change_is_live_where_no_network_reviews_the_same_way(world):
    provider = world.b.provider
    edited, imported = twins(world.staff_b, provider)
    subject = Subject.objects.filter(parent__isnull=False).order_by("pk")[1]
    with course_edit(course=edited, user=world.staff_b) as edit:
        course = edit.course
        course.summary = "Neu zusammengefasst."
        course.save()
        course.subjects.set([subject])
        course.keywords.set(["Excel", "Kalkulation"], clear=True)
        course.modules.all().delete()
        Module.objects.create(course=course, position=1, title="Grundlagen", teaching_units=8)
        Module.objects.create(course=course, position=2, title="Diagramme", teaching_units=4)
        course.dates.filter(external_id="T-1").update(seats=10)
        course.dates.filter(external_id="T-2").delete()
        CourseDate.objects.create(
            course=course,
            external_id="T-3",
            start_date=LATER,
            mode=CourseDate.Mode.ONLINE,
        )
    assert not edit.kept_for_review
    changed = rows(
        "I-1",
        kurzbeschreibung="Neu zusammengefasst.",
        fachgebiete=subject.name,
        plaetze="10",
        schlagwoerter="Kalkulation|Excel",
        second_modul_titel="Diagramme",
        second_modul_ue="4",
        second_termin_kennung="T-3",
        second_beginn=LATER.strftime("%d.%m.%Y"),
    )
    report = run(world.staff_b, provider, csv_bytes(changed))
    assert report.updated == ["I-1"] and report.kept_for_review == []
    assert_same(edited, imported)
    entry = CourseChange.objects.filter(course=imported).latest("pk")
    assert entry.action == CourseChange.Action.EDITED
    assert run(world.staff_b, provider, csv_bytes(changed)).unchanged == ["I-1"]


def test_a_change_of_an_unpublished_course_is_written_directly(world):
    provider = world.a.provider
    edited, imported = twins(world.staff, provider, published=False)
    with course_edit(course=edited, user=world.staff) as edit:
        edit.course.title = "Anders"
        edit.course.save()
    run(world.staff, provider, csv_bytes(rows("I-1", titel="Anders")))
    assert_same(edited, imported)
    assert Course.objects.get(pk=imported.pk).title == "Anders"


def test_a_course_with_a_version_waiting_joins_it(world):
    provider = world.a.provider
    edited, imported = twins(world.staff, provider)
    for course in (edited, imported):
        with course_edit(course=course, user=world.staff) as edit:
            edit.course.title = "Erste Fassung"
            edit.course.save()
    with course_edit(course=edited, user=world.staff) as edit:
        edit.course.summary = "Zweite Fassung"
        edit.course.save()
    report = run(world.staff, provider, csv_bytes(rows("I-1", kurzbeschreibung="Zweite Fassung")))
    assert report.kept_for_review == ["I-1"]
    assert_same(edited, imported)
    assert Course.objects.filter(revision_of=imported).count() == 1


def test_an_update_with_an_error_in_the_last_row_leaves_no_trace(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows("I-1") + rows("I-2")))
    course = Course.objects.get(provider=provider, external_id="I-1")
    before = (picture(course), CourseChange.objects.count(), course.updated_at)
    data = rows("I-1", preis="5", titel="Anders") + rows("I-2", second_uhrzeit_von="25:99")
    report = run(world.staff_b, provider, csv_bytes(data))
    assert not report.written and report.error_count == 1
    course.refresh_from_db()
    assert (picture(course), CourseChange.objects.count(), course.updated_at) == before


def test_a_value_the_model_refuses_names_the_course_and_leaves_no_trace(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows("I-1") + rows("I-2")))
    first, second = (
        Course.objects.get(provider=provider, external_id=key) for key in ("I-1", "I-2")
    )
    before = (picture(first), picture(second), CourseChange.objects.count())
    writes = [
        CourseWrite(course=first, fields={"title": "Gut"}, key="first"),
        CourseWrite(course=second, fields={"title": "x" * 300}, key="second"),
    ]
    for write in writes:
        write.dates = [
            {name: getattr(date, name) for name in DATE_COLUMNS}
            for date in write.course.dates.all()
        ]
    with pytest.raises(CourseWriteError) as raised:
        courses_edit_bulk(user=world.staff_b, writes=writes)
    assert raised.value.write.key == "second"
    assert (picture(first), picture(second), CourseChange.objects.count()) == before


def test_another_providers_course_is_not_found(world):
    run(world.staff_b, world.b.provider, csv_bytes(rows("I-1")))
    course = Course.objects.get(provider=world.b.provider, external_id="I-1")
    with pytest.raises(Course.DoesNotExist):
        courses_edit_bulk(
            user=world.staff, writes=[CourseWrite(course=course, fields={"title": "Fremd"})]
        )
    assert Course.objects.get(pk=course.pk).title == "Excel für Einsteiger"


def _queries_of_an_update(world, count: int) -> int:
    provider = world.b.provider
    prefix = f"Q{count}"
    run(world.staff_b, provider, csv_bytes(sample_rows(count, 2, prefix=prefix)))
    # A new price (a number in the log), and a new subject (a name looked up for the log).
    subject = Subject.objects.filter(parent__isnull=False).order_by("-pk").first()
    changed = csv_bytes(
        dict(row, fachgebiete=subject.name) if "fachgebiete" in row else row
        for row in sample_rows(count, 2, prefix=prefix, raise_by=7)
    )
    with CaptureQueriesContext(connection) as queries:
        report = run(world.staff_b, provider, changed)
    assert len(report.updated) == count, report.as_dict()
    return len(queries.captured_queries)


def test_the_queries_of_an_update_do_not_grow_with_the_courses(world):
    few = _queries_of_an_update(world, 5)
    many = _queries_of_an_update(world, 50)
    assert many <= few


def test_reimport_after_an_update_changes_nothing(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(sample_rows(20, 3, prefix="R")))
    changed = csv_bytes(sample_rows(20, 3, prefix="R", raise_by=3))
    assert len(run(world.staff_b, provider, changed).updated) == 20
    courses = Course.objects.filter(provider=provider, external_id__startswith="R-")
    before = {c.pk: c.updated_at for c in courses}
    log = CourseChange.objects.count()
    report = run(world.staff_b, provider, changed)
    assert len(report.unchanged) == 20 and report.updated == []
    assert CourseChange.objects.count() == log
    assert {c.pk: c.updated_at for c in courses} == before
    assert courses.get(external_id="R-1").price == Decimal(1 % 300 + 20 + 3)


def test_writes_that_set_different_fields_leave_the_others_as_they_are(world):
    provider = world.b.provider
    run(world.staff_b, provider, csv_bytes(rows("I-1") + rows("I-2")))
    first, second = (
        Course.objects.get(provider=provider, external_id=key) for key in ("I-1", "I-2")
    )
    dates = {
        course.pk: [
            {name: getattr(date, name) for name in DATE_COLUMNS} for date in course.dates.all()
        ]
        for course in (first, second)
    }
    edit = courses_edit_bulk(
        user=world.staff_b,
        writes=[
            CourseWrite(
                course=first,
                fields={"title": "Nur der Titel"},
                keywords=["Excel", "Tabellen"],
                modules=_modules(first),
                dates=dates[first.pk],
            ),
            CourseWrite(
                course=second,
                fields={"price": Decimal("5.00")},
                keywords=["Excel", "Tabellen"],
                modules=_modules(second),
                dates=dates[second.pk],
            ),
        ],
    )
    assert len(edit.changed) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.title, first.price) == ("Nur der Titel", Decimal("129.50"))
    assert (second.title, second.price) == ("Excel für Einsteiger", Decimal("5.00"))
    assert first.dates.count() == second.dates.count() == 2


def _modules(course):
    return list(
        course.modules.order_by("position").values(
            "position", "title", "contents", "teaching_units"
        )
    )


# Archiving many (an import's delete markers): courses_archive_bulk, course_archive's rules.


def test_archiving_by_import_is_the_same_as_in_the_admin(world):
    provider = world.b.provider
    edited, imported = twins(world.staff_b, provider)
    course_archive(course=edited, user=world.staff_b)
    report = run(world.staff_b, provider, csv_bytes([{"kennung": "I-1", "loeschen": "ja"}]))
    assert report.archived == ["I-1"] and report.written, report.as_dict()
    assert_same(edited, imported)
    assert Course.objects.get(pk=imported.pk).status == Course.Status.ARCHIVED
    assert Course.objects.get(pk=imported.pk).updated_at > imported.updated_at


def test_bulk_archiving_discards_a_waiting_version_as_course_archive_does(world):
    provider = world.b.provider
    _edited, live = twins(world.staff_b, provider)
    revision = Course.objects.get(pk=live.pk)
    revision.pk, revision.slug, revision.external_id = None, "", ""
    revision.revision_of = live
    revision.save()
    assert courses_archive_bulk(user=world.staff_b, course_ids=[revision.pk]) == 1
    assert not Course.objects.filter(pk=revision.pk).exists()
    assert Course.objects.get(pk=live.pk).status == Course.Status.PUBLISHED
    assert CourseChange.objects.filter(
        course=live, action=CourseChange.Action.REVISION_DISCARDED
    ).exists()


def test_bulk_archiving_is_all_or_nothing(world):
    """One course out of scope, or one archived already: nothing is archived or logged."""
    provider = world.b.provider
    first, second = twins(world.staff_b, provider)
    run(world.staff, world.a.provider, csv_bytes(rows("A-1")))
    foreign = Course.objects.get(provider=world.a.provider, external_id="A-1")
    log = CourseChange.objects.count()
    with pytest.raises(Course.DoesNotExist):
        courses_archive_bulk(user=world.staff_b, course_ids=[first.pk, foreign.pk])
    course_archive(course=second, user=world.staff_b)
    log = CourseChange.objects.count()
    with pytest.raises(WorkflowError):
        courses_archive_bulk(user=world.staff_b, course_ids=[first.pk, second.pk])
    assert Course.objects.get(pk=first.pk).status == Course.Status.PUBLISHED
    assert Course.objects.get(pk=foreign.pk).status != Course.Status.ARCHIVED
    assert CourseChange.objects.count() == log


def _queries_of_archiving(world, count: int) -> int:
    provider = world.b.provider
    prefix = f"D{count}"
    run(world.staff_b, provider, csv_bytes(sample_rows(count, 2, prefix=prefix)))
    markers = csv_bytes({"kennung": f"{prefix}-{n}", "loeschen": "ja"} for n in range(1, count + 1))
    with CaptureQueriesContext(connection) as queries:
        report = run(world.staff_b, provider, markers)
    assert len(report.archived) == count and report.written, report.as_dict()
    archived = Course.objects.filter(provider=provider, external_id__startswith=f"{prefix}-")
    assert set(archived.values_list("status", flat=True)) == {Course.Status.ARCHIVED}
    assert (
        CourseChange.objects.filter(
            course__in=archived, action=CourseChange.Action.ARCHIVED
        ).count()
        == count
    )
    return len(queries.captured_queries)


def test_the_queries_of_archiving_do_not_grow_with_the_courses(world):
    few = _queries_of_archiving(world, 5)
    many = _queries_of_archiving(world, 50)
    assert many <= few


# Major changes kept for review, many at once (courses_edit_bulk makes the new versions
# set-based): the same rows as course_edit's _keep_for_review.


def published_pairs(user, provider, count):
    """``count`` pairs of equal published courses (keys E-n and I-n)."""
    data = [row for n in range(1, count + 1) for row in rows(f"E-{n}") + rows(f"I-{n}")]
    report = run(user, provider, csv_bytes(data))
    assert report.written, report.as_dict()
    courses = Course.objects.filter(provider=provider)
    courses.update(status=Course.Status.PUBLISHED)
    return [
        (courses.get(external_id=f"E-{n}"), courses.get(external_id=f"I-{n}"))
        for n in range(1, count + 1)
    ]


def _new_title_and_price(course, _subject):
    course.title = "Excel für Fortgeschrittene"
    course.price = Decimal("99.00")
    course.save()


def _new_summary_keywords_modules_and_dates(course, _subject):
    course.summary = "Neu zusammengefasst."
    course.save()
    course.keywords.set(["Excel", "Kalkulation", "Straße"], clear=True)
    course.modules.all().delete()
    Module.objects.create(course=course, position=1, title="Grundlagen", teaching_units=8)
    Module.objects.create(course=course, position=2, title="Diagramme", teaching_units=4)
    course.dates.filter(external_id="T-1").update(seats=10)
    course.dates.filter(external_id="T-2").delete()
    CourseDate.objects.create(
        course=course, external_id="T-3", start_date=LATER, mode=CourseDate.Mode.ONLINE
    )


def _new_subject_only(course, subject):
    course.subjects.set([subject])


def _new_price_only(course, _subject):
    course.price = Decimal("5.00")
    course.save()


# What the admin does to E-n, and the same in the file for I-n.
REVIEW_CASES = [
    (_new_title_and_price, {"titel": "Excel für Fortgeschrittene", "preis": "99"}),
    (
        _new_summary_keywords_modules_and_dates,
        {
            "kurzbeschreibung": "Neu zusammengefasst.",
            "plaetze": "10",
            "schlagwoerter": "Kalkulation|Excel|Straße",
            "second_modul_titel": "Diagramme",
            "second_modul_ue": "4",
            "second_termin_kennung": "T-3",
            "second_beginn": LATER.strftime("%d.%m.%Y"),
        },
    ),
    (_new_subject_only, {"fachgebiete": "SUBJECT"}),
    (_new_price_only, {"preis": "5"}),  # minor only: live at once, in the same import
]


def _edited_and_rows(pairs, cases, user, subject, *, minor) -> list[dict]:
    """Each case's change made through ``course_edit`` on the first course of its pair (kept
    for review, unless it is the ``minor`` one), and the rows importing the same change for
    the second ("SUBJECT" in a value: the subject's name)."""
    data = []
    for n, ((edited, _imported), (change, values)) in enumerate(
        zip(pairs, cases, strict=True), start=1
    ):
        with course_edit(course=edited, user=user) as edit:
            change(edit.course, subject)
        assert edit.kept_for_review == (change is not minor)
        values = {k: subject.name if v == "SUBJECT" else v for k, v in values.items()}
        data += rows(f"I-{n}", **values)
    return data


def test_major_changes_of_many_courses_wait_for_review_as_course_edit_keeps_them(world):
    provider = world.a.provider  # its network reviews offers
    pairs = published_pairs(world.staff, provider, len(REVIEW_CASES))
    subject = Subject.objects.filter(parent__isnull=False).order_by("pk")[1]
    data = _edited_and_rows(pairs, REVIEW_CASES, world.staff, subject, minor=_new_price_only)
    report = run(world.staff, provider, csv_bytes(data))
    assert report.written, report.as_dict()
    assert report.updated == ["I-1", "I-2", "I-3", "I-4"]
    assert report.kept_for_review == ["I-1", "I-2", "I-3"]
    for edited, imported in pairs:
        assert_same(edited, imported)
        for course in (edited, imported):
            live = Course.objects.get(pk=course.pk)
            assert (live.title, live.summary) == ("Excel für Einsteiger", course.summary)
            revision = Course.objects.filter(revision_of=course).first()
            if revision is None:
                continue
            assert revision.slug == f"{live.slug[:120]}-neu-{live.pk}"
            assert (revision.status, revision.external_id) == (Course.Status.SUBMITTED, "")
            assert revision.published_at is revision.last_confirmed_at is None
            assert not revision.dates.exists()  # the dates stay with the published course
            assert Course.objects.get(pk=revision.pk).facet_subjects == sorted(
                revision.subjects.values_list("pk", flat=True)
            )
    first, second, third = (imported for _edited, imported in pairs[:3])
    assert Course.objects.get(revision_of=first).title == "Excel für Fortgeschrittene"
    assert Course.objects.get(pk=first.pk).price == Decimal("99.00")  # minor: live at once
    waiting = Course.objects.get(revision_of=second)
    assert sorted(waiting.keywords.names()) == ["Excel", "Kalkulation", "Straße"]
    assert list(waiting.modules.values_list("title", flat=True)) == ["Grundlagen", "Diagramme"]
    assert sorted(Course.objects.get(pk=second.pk).keywords.names()) == ["Excel", "Tabellen"]
    assert Course.objects.get(pk=second.pk).dates.filter(external_id="T-3").exists()
    assert list(Course.objects.get(revision_of=third).subjects.all()) == [subject]
    assert [action for action, *_rest in log_of(first)] == [
        CourseChange.Action.REVISION_SUBMITTED,
        CourseChange.Action.MINOR_EDIT,
    ]
    assert run(world.staff, provider, csv_bytes(data)).kept_for_review == ["I-1", "I-2", "I-3"]


def test_major_changes_kept_for_review_are_all_or_nothing(world):
    """A value refused in the last course: no new version, no minor change and no log entry
    is left behind."""
    provider = world.a.provider
    pairs = published_pairs(world.staff, provider, 2)
    courses = [imported for _edited, imported in pairs]

    def trace():
        return (
            [picture(course) for course in courses],
            Course.objects.filter(revision_of__in=courses).count(),
            CourseChange.objects.count(),
        )

    before = trace()
    writes = [
        CourseWrite(
            course=course,
            fields={"title": title, "price": Decimal("1.00")},
            keywords=["Excel", "Tabellen"],
            modules=_modules(course),
            dates=[
                {name: getattr(date, name) for name in DATE_COLUMNS} for date in course.dates.all()
            ],
            key=key,
        )
        for course, title, key in ((courses[0], "Gut", "first"), (courses[1], "x" * 300, "last"))
    ]
    with pytest.raises(CourseWriteError) as raised:
        courses_edit_bulk(user=world.staff, writes=writes)
    assert raised.value.write.key == "last"
    assert trace() == before
    # The address of the last one's new version is taken by another course: the version
    # gets the next free one, as in the admin (course_edit), never a database error.
    live = Course.objects.get(pk=courses[1].pk)
    taken = f"{live.slug[:120]}-neu-{live.pk}"
    Course.objects.create(provider=provider, title="Belegt", slug=taken)
    Course.objects.create(provider=provider, title="Belegt", slug=f"{taken}-2")
    data = rows("I-1", titel="Neu 1", preis="1") + rows("I-2", titel="Neu 2", preis="1")
    report = run(world.staff, provider, csv_bytes(data))
    assert report.written and report.kept_for_review == ["I-1", "I-2"], report.as_dict()
    assert Course.objects.get(revision_of=live).slug == f"{taken}-3"


def test_the_admin_gives_a_new_version_the_next_free_address(world):
    """course_edit with the address of the new version taken (it failed with a database
    error before): the same address as the import gives."""
    provider = world.a.provider
    ((edited, _imported),) = published_pairs(world.staff, provider, 1)
    taken = f"{edited.slug[:120]}-neu-{edited.pk}"
    Course.objects.create(provider=provider, title="Belegt", slug=taken)
    with course_edit(course=edited, user=world.staff) as edit:
        edit.course.title = "Ganz neu"
        edit.course.save()
    assert edit.kept_for_review
    assert Course.objects.get(revision_of=edited).slug == f"{taken}-2"


def _first_version(course, user):
    with course_edit(course=course, user=user) as edit:
        edit.course.title = "Erste Fassung"
        edit.course.save()
    assert edit.kept_for_review


def _new_summary_and_price(course, _subject):
    course.summary = "Zweite Fassung"
    course.price = Decimal("99.00")
    course.save()


def _new_keywords_and_modules(course, _subject):
    course.keywords.set(["Excel", "Kalkulation"], clear=True)
    course.modules.all().delete()  # replaced, as an import replaces them
    Module.objects.create(course=course, position=1, title="Grundlagen", teaching_units=8)
    Module.objects.create(course=course, position=2, title="Diagramme", teaching_units=8)


def _new_seats_only(course, _subject):
    course.dates.filter(external_id="T-1").update(seats=3)


# A second change of a course whose new version waits (the second one's was returned).
JOIN_CASES = [
    (_new_summary_and_price, {"kurzbeschreibung": "Zweite Fassung", "preis": "99"}),
    (
        _new_keywords_and_modules,
        {"schlagwoerter": "Excel|Kalkulation", "second_modul_titel": "Diagramme"},
    ),
    (_new_seats_only, {"plaetze": "3"}),  # minor only: live, the version stays as it is
]


def test_changes_of_many_courses_join_their_waiting_versions_as_course_edit_joins_them(world):
    provider = world.a.provider
    pairs = published_pairs(world.staff, provider, len(JOIN_CASES))
    for pair in pairs:
        for course in pair:
            _first_version(course, world.staff)
    returned = [Course.objects.get(revision_of=course) for course in pairs[1]]
    Course.objects.filter(pk__in=[r.pk for r in returned]).update(status=Course.Status.RETURNED)
    data = _edited_and_rows(pairs, JOIN_CASES, world.staff, None, minor=_new_seats_only)
    report = run(world.staff, provider, csv_bytes(data))
    assert report.written, report.as_dict()
    assert report.updated == ["I-1", "I-2", "I-3"]
    assert report.kept_for_review == ["I-1", "I-2"]
    for edited, imported in pairs:
        assert_same(edited, imported)
        for course in (edited, imported):
            assert Course.objects.get(pk=course.pk).title == "Excel für Einsteiger"
            revision = Course.objects.get(revision_of=course)  # still one
            assert (revision.title, revision.status) == ("Erste Fassung", Course.Status.SUBMITTED)
    first, second, third = (imported for _edited, imported in pairs)
    assert Course.objects.get(revision_of=first).summary == "Zweite Fassung"
    assert Course.objects.get(pk=first.pk).price == Decimal("99.00")
    joined = Course.objects.get(revision_of=second)
    assert sorted(joined.keywords.names()) == ["Excel", "Kalkulation"]
    assert list(joined.modules.values_list("title", flat=True)) == ["Grundlagen", "Diagramme"]
    assert log_of(joined)[-1][2] == Course.Status.RETURNED  # submitted again
    assert Course.objects.get(revision_of=third).summary == third.summary


def _queries_of_a_review(world, count: int) -> list[int]:
    provider = world.a.provider
    prefix = f"V{count}"
    run(world.staff, provider, csv_bytes(sample_rows(count, 2, prefix=prefix)))
    courses = Course.objects.filter(provider=provider, external_id__startswith=f"{prefix}-")
    courses.update(status=Course.Status.PUBLISHED)
    # A new summary (major), a new price (minor) and a new subject (a name for the log).
    subject = Subject.objects.filter(parent__isnull=False).order_by("-pk").first()
    changed = csv_bytes(
        dict(row, fachgebiete=subject.name) if "fachgebiete" in row else row
        for row in sample_rows(count, 2, prefix=prefix, raise_by=7, summary="Zur Prüfung.")
    )
    counts = []
    for _new_or_joined in range(2):  # the second time, each change joins a waiting version
        with CaptureQueriesContext(connection) as queries:
            report = run(world.staff, provider, changed)
        assert len(report.kept_for_review) == count, report.as_dict()
        assert Course.objects.filter(revision_of__in=courses).count() == count
        counts.append(len(queries.captured_queries))
    return counts


def test_the_queries_of_changes_kept_for_review_do_not_grow_with_the_courses(world):
    few = _queries_of_a_review(world, 5)
    many = _queries_of_a_review(world, 50)
    assert many[0] <= few[0] and many[1] <= few[1]
