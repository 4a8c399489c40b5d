"""The course import: many courses of one organisation at once, under the rules of the admin.

``course_import`` reads a file (``measures.course_files``), checks every row and plans what
it would do — create, update, leave unchanged, archive — keyed by the provider's external id
(``kennung``). A dry run stops there and writes nothing. Otherwise, in one transaction (all or
nothing, an error in any row leaves no trace), it writes:

- new courses set-based: validated in batches (the model's field checks per object, its check
  constraints per row in ``measures.course_files.values``, vocabularies and venues looked up
  once), then ``bulk_create`` for the courses, their links, keywords, modules and dates; each
  logged with one ``CourseChange`` ("angelegt"); submitted where a network of the provider
  reviews offers, published where none does (as ``course_submit`` would);
- changed courses set-based through ``workspace.services.course_bulk.courses_edit_bulk``,
  under the rules of ``course_edit`` (the admin's): scoping and row locks, the review rule
  decided by the same function (minor changes live; a major change of a published course in a
  network that reviews kept as a new version for review), the changed values checked in
  batches, the rows written a statement per table, one ``CourseChange`` per course with the
  lines ``course_edit`` writes. Changes kept for review (a new version made, or joining one
  that waits) are written set-based too, with ``_keep_for_review``'s rows and entries;
  ``tests/workspace/test_course_bulk.py`` compares both paths with the admin's;
- archived courses (a delete marker) through ``courses_archive_bulk`` (``course_archive``'s
  rules for many courses at once);

and refreshes the search once for every course it touched (``one_search_refresh``). A course
whose values equal what is stored is not written: importing the same file again changes
nothing.

Scoping: the organisation must be within the user's reach (``organisations_for_user``; a
coordinator reaches the network's providers), or ``Organisation.DoesNotExist`` is raised (the
views answer 404); a row naming another organisation is an error.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from taggit.models import TaggedItem

from core.collector import collection_paused
from measures import versions
from measures.course_files.readers import read_courses
from measures.course_files.records import (
    WITHOUT_KEY,
    CourseRecord,
    FileError,
    RowError,
    Source,
)
from measures.course_files.values import CourseValues, VenueSpec, convert, load_vocabularies
from measures.models import Course, CourseDate, Module
from measures.synthetic import copy_rows, reserve_ids
from network.models import Organisation, PostalCode, Venue
from workspace.models import CourseChange, CourseImport
from workspace.scopes import organisations_for_user
from workspace.services.course_bulk import CourseWrite, CourseWriteError, courses_edit_bulk
from workspace.services.course_bulk import tag_ids as course_tag_ids
from workspace.services.courses import (
    courses_archive_bulk,
    needs_review,
    one_search_refresh,
)

BATCH = 2000
PROGRESS_SECONDS = 0.5  # how often a job records its progress
MAX_ERRORS = 1000  # errors kept in a report (the count is always complete)

UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)

Progress = Callable[[str, float], None]
# The phases an import reports to ``progress`` (with the share of it done), named for people.
PHASES = {
    "read": gettext_lazy("Lesen"),
    "check": gettext_lazy("Prüfen"),
    "write": gettext_lazy("Speichern"),
    "search": gettext_lazy("Suchindex"),
    "done": gettext_lazy("Fertig"),
}


@dataclass
class ImportReport:
    """What an import found and did (or, for a dry run, would do)."""

    organisation: str = ""
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_for_review: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_error: str = ""
    dry_run: bool = True
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.error_count

    def add_errors(self, errors) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(error)

    def as_dict(self) -> dict:
        return {
            "organisation": self.organisation,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "kept_for_review": self.kept_for_review,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "errors": [error.as_dict() for error in self.errors],
            "error_count": self.error_count,
            "file_error": self.file_error,
            "dry_run": self.dry_run,
            "written": self.written,
        }


@dataclass
class _Plan:
    creates: list[CourseValues] = field(default_factory=list)
    updates: list[tuple[Course, CourseValues]] = field(default_factory=list)
    archives: list[Course] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_venues: dict[tuple, Venue] = field(default_factory=dict)
    venues: dict[tuple, int] = field(default_factory=dict)


def course_import(
    *,
    user,
    organisation: Organisation,
    binary,
    dry_run: bool,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    filename: str = "",
) -> ImportReport:
    """Import the courses of ``binary`` (a seekable binary file: CSV or XLSX) for
    ``organisation``; see the module's docstring."""
    organisation = organisations_for_user(user).get(pk=organisation.pk)
    with collection_paused():  # see core.collector: half the reading and checking otherwise
        return _course_import(
            organisation=organisation,
            user=user,
            binary=binary,
            dry_run=dry_run,
            max_bytes=max_bytes,
            progress=progress,
            filename=filename,
        )


def _course_import(
    *, organisation, user, binary, dry_run, max_bytes, progress, filename
) -> ImportReport:
    report = ImportReport(organisation=organisation.slug, dry_run=dry_run)
    say = progress or (lambda phase, fraction: None)
    try:
        read = read_courses(
            binary, max_bytes=max_bytes, progress=lambda fraction: say("read", fraction)
        )
    except FileError as error:
        report.file_error = str(error.message)
        return report
    report.rows = read.rows
    report.add_errors(read.errors)
    say("check", 0.0)
    if dry_run or report.error_count:
        _plan(read.records, organisation=organisation, report=report, say=say)
        return report
    try:
        with transaction.atomic():
            plan = _plan(read.records, organisation=organisation, report=report, say=say)
            if not report.ok:
                return report
            say("write", 0.0)
            _write(
                plan, organisation=organisation, user=user, report=report, say=say, name=filename
            )
    except _RowFailed as failed:
        report.add_errors([failed.error])
        return report
    except (IntegrityError, DataError) as error:
        # The database's own guard (e.g. a course saved meanwhile with the same key, checked
        # at the commit): nothing was written.
        report.file_error = _(
            "Der Import wurde nicht gespeichert, weil die Datenbank eine Regel verletzt sah "
            "(%(error)s). Es wurde nichts geändert; bitte versuchen Sie es noch einmal."
        ) % {"error": str(error).splitlines()[0][:200]}
        return report
    report.written = True
    say("done", 1.0)
    return report


class _RowFailed(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


# Imports uploaded in the workspace (run at once or as a background job) ---------------------


def course_import_run(*, job_id: int, write: bool) -> CourseImport:
    """Check or write an uploaded import (``CourseImport``) as its user, recording the phase
    and progress as it goes (visible to the page while the job runs; while it writes, the
    progress stays at the start of writing: that happens in one transaction) and the report
    at the end. Another run of the same job finds it taken or finished and does nothing."""
    job = CourseImport.objects.select_related("organisation", "user").get(pk=job_id)
    start, end = (
        (CourseImport.Status.QUEUED, CourseImport.Status.IMPORTING)
        if write
        else (CourseImport.Status.WAITING, CourseImport.Status.CHECKING)
    )
    # Claimed by one run only (a second confirmation or a second worker finds it taken).
    claimed = CourseImport.objects.filter(pk=job.pk, status=start).update(
        status=end, phase="read", progress=0
    )
    if not claimed:
        return job
    last = [0.0]

    def progress(phase: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS or fraction >= 1.0:
            last[0] = now
            CourseImport.objects.filter(pk=job.pk).update(phase=phase, progress=fraction)

    try:
        report = course_import(
            user=job.user,
            organisation=job.organisation,
            binary=io.BytesIO(bytes(job.data)),
            dry_run=not write,
            max_bytes=settings.IMPORT_MAX_UPLOAD_MB * 1_048_576,
            progress=progress,
            filename=job.filename,
        ).as_dict()
    except Organisation.DoesNotExist:
        report = ImportReport(
            file_error=_("Sie dürfen für diese Organisation nicht (mehr) importieren.")
        ).as_dict()
    if write:
        status = CourseImport.Status.DONE if report["written"] else CourseImport.Status.FAILED
    else:
        status = CourseImport.Status.CHECKED
    fields = {"status": status, "report": report, "phase": "done", "progress": 1.0}
    if write:
        fields["finished_at"] = timezone.now()
    if status == CourseImport.Status.DONE:
        fields["data"] = b""  # written: the file is no longer needed
    CourseImport.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


IMPORTS_KEPT_DAYS = 30


def course_imports_delete_old(days: int = IMPORTS_KEPT_DAYS) -> int:
    """Delete uploaded imports (their files and reports) older than ``days`` that no job is
    working on; returns how many (a daily job)."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    running = [CourseImport.Status.CHECKING, CourseImport.Status.IMPORTING]
    deleted, _by_model = (
        CourseImport.objects.filter(created_at__lt=cutoff).exclude(status__in=running).delete()
    )
    return deleted


# Planning ------------------------------------------------------------------------------------


def _plan(records, *, organisation, report, say) -> _Plan:
    plan = _Plan()
    vocabularies = load_vocabularies()
    converted: list[CourseValues] = []
    for index, record in enumerate(records):
        values = convert(record, vocabularies)
        if record.provider and record.provider != organisation.slug:
            values.errors.append(
                RowError(
                    record.source_of("anbieter"),
                    "anbieter",
                    _(
                        "Diese Zeile nennt den Anbieter „%(other)s“; Sie importieren für "
                        "„%(own)s“ (%(slug)s). Angebote einer anderen Organisation können "
                        "hier nicht importiert werden."
                    )
                    % {
                        "other": record.provider,
                        "own": organisation.name,
                        "slug": organisation.slug,
                    },
                )
            )
        report.add_errors(values.errors)
        converted.append(values)
        if index % 1000 == 0:
            say("check", 0.5 * index / max(1, len(records)))
    _resolve_venues(converted, organisation=organisation, plan=plan, report=report)

    existing_qs = Course.objects.filter(
        provider=organisation,
        revision_of__isnull=True,
        external_id__in=RawSQL(  # one parameter, not one per key
            "SELECT unnest(%s::text[])", ([values.record.external_id for values in converted],)
        ),
    )
    # Read without locks: a course that changes is locked by course_edit when it is written.
    existing = {
        course.external_id: course
        for course in existing_qs.only("pk", "external_id", "status", "provider_id")
    }
    _match_without_key(converted, existing, organisation=organisation)
    states = versions.course_states([course.pk for course in existing.values()])
    reviews = needs_review(Course(provider=organisation))
    for index, values in enumerate(converted):
        record = values.record
        course = existing.get(record.external_id)
        if values.errors:
            continue
        if record.delete:
            if course is not None and course.status != Course.Status.ARCHIVED:
                plan.archives.append(course)
                report.archived.append(record.external_id)
            else:
                plan.unchanged.append(record.external_id)
                report.unchanged.append(record.external_id)
        elif course is None:
            plan.creates.append(values)
            report.created.append(record.external_id)
        elif _same(states[course.pk], values, plan.venues):
            plan.unchanged.append(record.external_id)
            report.unchanged.append(record.external_id)
        else:
            plan.updates.append((course, values))
            report.updated.append(record.external_id)
            if reviews and _major_change(states[course.pk], values, course):
                report.kept_for_review.append(record.external_id)
        if index % 1000 == 0:
            say("check", 0.5 + 0.5 * index / max(1, len(converted)))
    return plan


def _match_without_key(converted, existing, *, organisation) -> None:
    wanted = {}
    for values in converted:
        match = re.fullmatch(WITHOUT_KEY + r"(\d{1,18})", values.record.external_id)
        if match and values.record.external_id not in existing:
            wanted[int(match[1])] = values
    if not wanted:
        return
    found = Course.objects.filter(
        provider=organisation, revision_of__isnull=True, external_id="", pk__in=list(wanted)
    )
    for course in found.only("pk", "external_id", "status", "provider_id"):
        values = wanted[course.pk]
        values.fields["external_id"] = ""
        existing[values.record.external_id] = course


def _major_change(state, values, course) -> bool:
    """Whether the record changes a major part of a published course (kept for review where
    a network reviews offers)."""
    if course.status != Course.Status.PUBLISHED:
        return False
    part = _course_part(values)
    if any(
        state.get(name) != part[name]
        for name in part
        if name in versions.MAJOR_COURSE_FIELDS and name != "keywords"
    ):
        return True
    if sorted(k.casefold() for k in state["keywords"]) != sorted(
        k.casefold() for k in part["keywords"]
    ):
        return True
    modules = [{name: module[name] for name in MODULE_COMPARED} for module in state["modules"]]
    return modules != [
        {name: _plain(module[name]) for name in MODULE_COMPARED} for module in values.modules
    ]


def _resolve_venues(converted, *, organisation, plan, report) -> None:
    """Each date's venue: one of the organisation's with the same name and address, or a new
    one placed by its postal code (checked here, created when writing)."""
    for pk, name, street, code, city in Venue.objects.filter(organisation=organisation).values_list(
        "pk", "name", "street", "postal_code", "city"
    ):
        plan.venues.setdefault(VenueSpec(name, street, code, city).key(), pk)
    unknown: dict[tuple, list[tuple[CourseValues, dict]]] = {}
    for values in converted:
        for date in values.dates:
            spec = date["venue"]
            if spec is not None and spec.key() not in plan.venues:
                unknown.setdefault(spec.key(), []).append((values, date))
    for key, uses in unknown.items():
        spec = uses[0][1]["venue"]
        venue = Venue(
            organisation=organisation,
            name=spec.name,
            street=spec.street,
            postal_code=spec.postal_code,
            city=spec.city,
        )
        found = PostalCode.objects.locate(spec.postal_code, spec.city)
        problem = ""
        if found is None:
            problem = _(
                "Zu „%(code)s %(city)s“ kennt der Bildungsatlas keine Lage (er kennt die "
                "deutschen Postleitzahlen). Bitte die Postleitzahl prüfen oder den Ort im "
                "Arbeitsbereich mit Breiten- und Längengrad anlegen und hier genau so nennen."
            ) % {"code": spec.postal_code, "city": spec.city}
        else:
            venue.latitude, venue.longitude = found.latitude, found.longitude
            venue.region_id = found.district_id
            try:
                venue.full_clean(exclude=["organisation", "region"])
            except ValidationError as error:
                problem = " ".join(error.messages)
        if problem:
            for values, date in uses:
                values.errors.append(RowError(date["source"], "ort_plz", problem))
                report.add_errors(values.errors[-1:])
        else:
            plan.new_venues[key] = venue


def _venue_id(date, venues) -> int | None | str:
    spec = date["venue"]
    if spec is None:
        return None
    return venues.get(spec.key(), "new")


_plain = versions.plain


def _date_row(date, venues) -> dict:
    row = {name: _plain(date[name]) for name in DATE_NAMES}
    row["venue"] = _venue_id(date, venues)
    return row


DATE_NAMES = [name for name in versions.DATE_FIELDS if name not in ("id", "course", "venue")]
COMPARED_DATE = [*DATE_NAMES, "venue"]
MODULE_NAMES = ["position", "title", "contents", "teaching_units"]
# Modules are compared in their order (a file numbers them 1, 2 …; the admin may not).
MODULE_COMPARED = ["title", "contents", "teaching_units"]
COURSE_ATTNAMES = {
    "certificate_kind_id": "certificate_kind",
}


def _course_part(values: CourseValues) -> dict:
    """The imported fields of a course, named as in ``versions.course_state``."""
    part = {COURSE_ATTNAMES.get(name, name): _plain(value) for name, value in values.fields.items()}
    part.update({name: sorted(ids) for name, ids in values.links.items()})
    part["keywords"] = sorted(values.keywords)
    return part


def _date_rows(rows) -> Counter:
    """Dates as a multiset of their values (their order in a file is no change)."""
    return Counter(
        tuple(
            tuple(value) if isinstance(value, list) else value
            for value in map(row.get, COMPARED_DATE)
        )
        for row in rows
    )


def _same(state: dict, values: CourseValues, venues) -> bool:
    """Whether the stored course already is what the record says."""
    for name, value in _course_part(values).items():
        if name == "keywords":
            if sorted(k.casefold() for k in state[name]) != sorted(k.casefold() for k in value):
                return False
        elif state.get(name) != value:
            return False
    modules = [{name: module[name] for name in MODULE_COMPARED} for module in state["modules"]]
    wanted = [{name: _plain(module[name]) for name in MODULE_COMPARED} for module in values.modules]
    if modules != wanted:
        return False
    if len(state["dates"]) != len(values.dates):
        return False
    return _date_rows(state["dates"]) == _date_rows(_date_row(d, venues) for d in values.dates)


# Writing -------------------------------------------------------------------------------------


def _write(plan: _Plan, *, organisation, user, report, say, name) -> None:
    report.kept_for_review = []
    for key, venue in plan.new_venues.items():
        venue.save()
        plan.venues[key] = venue.pk
    created_ids: list[int] = []
    with one_search_refresh(created_ids) as collected:
        if plan.creates:
            created_ids += _create(plan, organisation=organisation, user=user, say=say, name=name)
        say("write", 0.8)
        if plan.updates:
            _update(plan, user=user, report=report)
        if plan.archives:
            courses_archive_bulk(user=user, course_ids=[course.pk for course in plan.archives])
        say("search", 0.9)
        del collected  # refreshed, with the created courses, when the block ends
    say("search", 1.0)


def _update(plan: _Plan, *, user, report) -> None:
    """The changed courses, set-based through ``courses_edit_bulk`` (validation, review rule
    and log as ``course_edit``'s)."""
    writes = [
        CourseWrite(
            course=course,
            fields=values.fields,
            links=values.links,
            keywords=values.keywords,
            modules=[{name: module[name] for name in MODULE_NAMES} for module in values.modules],
            dates=[
                {
                    **{name: date[name] for name in DATE_NAMES},
                    "venue_id": _venue_id(date, plan.venues),
                }
                for date in values.dates
            ],
            key=values,
        )
        for course, values in plan.updates
    ]
    try:
        edit = courses_edit_bulk(user=user, writes=writes)
    except CourseWriteError as error:
        values = error.write.key
        raise _RowFailed(RowError(values.record.source, "", " ".join(error.messages))) from error
    report.kept_for_review += [write.key.record.external_id for write in edit.kept_for_review]


def _create(plan: _Plan, *, organisation, user, say, name) -> list[int]:
    """The new courses, set-based: ids reserved, then the courses, their links, keywords,
    modules, dates and log entries copied (``COPY``, as ``measures.synthetic`` writes), the
    courses first so that the database's statement triggers keep their summaries."""
    now = timezone.now()
    reviews = needs_review(Course(provider=organisation))
    status = Course.Status.SUBMITTED if reviews else Course.Status.PUBLISHED
    slugs = _unique_slugs([values.fields["title"] for values in plan.creates])
    course_type = ContentType.objects.get_for_model(Course).pk
    tag_ids = course_tag_ids({word for values in plan.creates for word in values.keywords})
    message = _("Importiert aus „%(name)s“.") % {"name": name} if name else _("Importiert.")
    username = user.get_username() if user else ""
    ids: list[int] = []
    total = len(plan.creates)
    links = {
        name: (Course._meta.get_field(name).remote_field.through, target)
        for name, target in (
            ("subjects", "subject_id"),
            ("target_groups", "targetgroup_id"),
            ("funding", "fundingtype_id"),
        )
    }
    # COPY runs on psycopg's cursor: its errors are made Django's (IntegrityError …) here.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        for start in range(0, total, BATCH):
            chunk = plan.creates[start : start + BATCH]
            course_ids = list(reserve_ids(cursor, Course, len(chunk)))
            ids += course_ids
            courses, dates, modules, tagged, log = [], [], [], [], []
            link_rows = {name: [] for name in links}
            for pk, values, slug in zip(
                course_ids, chunk, slugs[start : start + BATCH], strict=True
            ):
                courses.append(
                    {
                        "id": pk,
                        "provider_id": organisation.pk,
                        "slug": slug,
                        "status": status,
                        "published_at": now if status == Course.Status.PUBLISHED else None,
                        "created_at": now,
                        "updated_at": now,
                        **values.fields,
                    }
                )
                for link, targets in values.links.items():
                    column = links[link][1]
                    link_rows[link] += [{"course_id": pk, column: target} for target in targets]
                tagged += [
                    {
                        "tag_id": tag_ids[word.casefold()],
                        "content_type_id": course_type,
                        "object_id": pk,
                    }
                    for word in values.keywords
                ]
                modules += [{"course_id": pk, **module} for module in values.modules]
                for date in values.dates:
                    row = {field_name: date[field_name] for field_name in DATE_NAMES}
                    row["course_id"] = pk
                    row["venue_id"] = _venue_id(date, plan.venues)
                    dates.append(row)
                log.append(
                    {
                        "course_id": pk,
                        "course_title": values.fields["title"],
                        "user_id": user.pk if user else None,
                        "username": username,
                        "action": CourseChange.Action.CREATED,
                        "changes": "[]",
                        "status_before": "",
                        "status_after": status,
                        "message": message,
                        "created_at": now,
                    }
                )
            _summarise(courses, link_rows, dates, day=timezone.localdate())
            tables = [(through, link_rows[name]) for name, (through, _c) in links.items()]
            tables += [
                (TaggedItem, tagged),
                (Module, modules),
                (CourseDate, dates),
                (CourseChange, log),
            ]
            for model, rows in tables:
                for pk, row in zip(reserve_ids(cursor, model, len(rows)), rows, strict=True):
                    row["id"] = pk
                copy_rows(cursor, model, rows)
            copy_rows(cursor, Course, courses)  # last: see _summarise
            say("write", 0.8 * min(1.0, (start + BATCH) / total))
    return ids


FACETS = {
    "subjects": "facet_subjects",
    "target_groups": "facet_target_groups",
    "funding": "facet_funding",
}
FAR_FUTURE = dt.date(9999, 12, 31)


def _summarise(courses, link_rows, dates, *, day) -> None:
    """The columns the database's triggers keep on a course (migrations 0005, 0006, 0011),
    computed for new courses by the triggers' rules: their parts are copied before the course
    rows (the foreign keys are checked at the commit), so the triggers find no course to update
    and each course row is written once instead of five times (as ``measures.synthetic``
    does). ``tests/workspace/test_course_import.py`` compares them with the triggers'."""
    by_id = {course["id"]: course for course in courses}
    for course in courses:
        course.update(
            {facet: [] for facet in FACETS.values()},
            current_until=None,
            summary_next_start=None,
            summary_valid_until=None,
        )
    for name, rows in link_rows.items():
        column = next(key for key in rows[0] if key != "course_id") if rows else ""
        for row in rows:
            by_id[row["course_id"]][FACETS[name]].append(row[column])
    for course in courses:
        for facet in FACETS.values():
            course[facet].sort()
    for date in dates:
        if date["booking_status"] == CourseDate.BookingStatus.CANCELLED:
            continue
        course = by_id[date["course_id"]]
        start, end, rolling = date["start_date"], date["end_date"], date["rolling_start"]
        last = FAR_FUTURE if rolling else (end or start)
        if last is not None and (course["current_until"] is None or last > course["current_until"]):
            course["current_until"] = last
        current = (
            rolling
            or (end is not None and end >= day)
            or (end is None and start is not None and start >= day)
        )
        if not current:
            continue
        if start is not None and (
            course["summary_next_start"] is None or start < course["summary_next_start"]
        ):
            course["summary_next_start"] = start
        valid = None if rolling else (end or start)
        if valid is not None and (
            course["summary_valid_until"] is None or valid < course["summary_valid_until"]
        ):
            course["summary_valid_until"] = valid


def course_slug(title: str, max_length: int = 140) -> str:
    """A course's address from its title the German way ("Führung" → "fuehrung"), cut at a
    word boundary."""
    slug = slugify(title.translate(UMLAUTS)) or "kurs"
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug


def _unique_slugs(titles: list[str]) -> list[str]:
    """A free slug per title: the title's, or with -2, -3 … where it is taken."""
    bases = [course_slug(title) for title in titles]
    taken: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slug FROM measures_course WHERE slug = ANY(%s)"
            " OR substring(slug from '^(.*)-[0-9]+$') = ANY(%s)",
            [list(set(bases)), list(set(bases))],
        )
        taken = {row[0] for row in cursor.fetchall()}
    counters: dict[str, int] = {}
    slugs = []
    for base in bases:
        slug = base
        number = counters.get(base, 1)
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        counters[base] = number
        taken.add(slug)
        slugs.append(slug)
    return slugs


__all__ = [
    "CourseRecord",
    "ImportReport",
    "Source",
    "course_import",
    "course_slug",
]
