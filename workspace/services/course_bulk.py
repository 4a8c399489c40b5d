"""Many courses changed at once under the rules of ``course_edit`` (the import's update path).

``courses_edit_bulk`` takes what each course should hold — its fields, links, keywords,
curriculum modules and dates — and writes it as ``course_edit`` would when the same values are
set inside its block, but set-based, in a fixed number of queries for any number of courses:

- scoping: every course must be within the user's reach (``courses_for_user``), or
  ``Course.DoesNotExist`` is raised; the courses are locked (``SELECT … FOR UPDATE``);
- the courses' states before (``versions.course_states``, one batch) and after (computed from
  what is wanted, as ``versions.course_state`` would read it back) are compared with
  ``versions.changed``; the review rule is the one ``course_edit`` applies
  (``content_change_needs_review``, with whether the provider's networks review asked once
  per provider);
- validation in batches: the model's field checks per object (``clean_fields``, which needs no
  query), foreign keys and the venue's and contact's organisation in one query each; the check
  constraints are the database's (a violation undoes the whole write) and the import applies
  them before, with their messages, per row (``measures.course_files.values``);
- the writes: the course rows by one ``UPDATE … FROM`` a temporary table, links, keywords and
  modules replaced where they differ, dates matched as ``course_edit``'s callers match them
  (by their external id, else by equal values; matched dates updated, the others deleted,
  new ones inserted) — a statement per table, so that the database's statement triggers
  summarise every course once;
- one ``CourseChange`` per changed course with the same lines as ``course_edit`` writes
  ("geändert" or "Bagatelländerung");
- the search refreshed once (``_refresh``: inside ``one_search_refresh``, with the rest of
  the import).

Changes kept for review are set-based too, as ``course_edit``'s ``_keep_for_review`` keeps
them: a **major change of a published course where a network reviews** writes its minor part
live (``_live_part``, with the other changes) and makes a new version waiting for review — a
copy of the course row with ``revision_of`` set, submitted, its address ``…-neu-<id>``, no
external id, the major fields, links, keywords and modules the change wants, no dates
(``_new_revisions``, ``_write_major_parts``: a statement per table for all of them); a course
that **already has a version waiting** has the change's major part set on that version, which
is submitted again (a returned one). The log entries are ``_keep_for_review``'s
("neue Fassung eingereicht" on the live course, "eingereicht" on the version, "Bagatelländerung"
for a minor part), written with the others. An import of 1,000 published courses with a major
change each (a new summary and price, four dates each, a reviewing network) took 201.5 s and
233.8 s when these went through ``course_edit`` one by one (two runs on ``main``, load about
2.4) and 2.7 s set-based; importing the same file again (every change joins its waiting
version) 128.1 s and 1.8 s.

All of it runs in the caller's transaction (``transaction.atomic``): an error anywhere leaves
no trace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from taggit.models import Tag, TaggedItem

from measures import versions
from measures.models import Course, CourseDate, Module
from measures.models.dates import VENUE_NOT_OF_PROVIDER
from measures.synthetic import copy_rows, copy_text, reserve_ids
from network.models import Contact, Venue
from workspace.changes import display
from workspace.models import CourseChange
from workspace.scopes import courses_for_user
from workspace.services.courses import (
    KEPT_FOR_REVIEW_MESSAGE,
    _refresh,
    content_change_needs_review,
    needs_review,
    revision_slugs,
)

LINKS = {
    "subjects": "subject_id",
    "target_groups": "targetgroup_id",
    "funding": "fundingtype_id",
}
# A date's columns as a caller gives them (``venue_id`` for the venue).
DATE_NAMES = [name for name in versions.DATE_FIELDS if name not in ("id", "course", "venue")]
DATE_COLUMNS = [*DATE_NAMES, "venue_id"]
# A date's part of a state, in the order of ``versions.course_state`` (its change lines follow it).
STATE_DATE_NAMES = [
    name for name, kind in versions.DATE_FIELDS.items() if kind != versions.SYSTEM or name == "id"
]
MODULE_NAMES = ["position", "title", "contents", "teaching_units"]
# Modules are compared in their order (a file numbers them 1, 2 …; the admin may not).
MODULE_COMPARED = ["title", "contents", "teaching_units"]
# The fields a caller may set by attribute name that a state names otherwise.
STATE_NAMES = {
    Course._meta.get_field(name).attname: name
    for name in versions.MAJOR_COURSE_FIELDS | versions.MINOR_COURSE_FIELDS
    if name not in versions.MANY and name != "keywords"
}
CONTACT_NOT_OF_PROVIDER = gettext_lazy("Die Ansprechperson gehört nicht zu diesem Anbieter.")
NOT_SET = frozenset({"id", "provider_id", "status", "revision_of_id", *Course.KEPT_BY_DATABASE})


@dataclass
class CourseWrite:
    """What one course should hold after the write. ``fields`` by attribute name (the fields
    not given stay as they are); ``links`` the ids of the linked vocabularies by link name (a
    link not given stays as it is); ``keywords``, ``modules`` (rows of ``MODULE_NAMES``) and
    ``dates`` (rows of ``DATE_COLUMNS``) are the whole of them: what is not listed goes;
    ``key`` whatever the caller wants back with an error (an import's row)."""

    course: Course
    fields: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[int]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    modules: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)
    key: Any = None


class CourseWriteError(ValidationError):
    """A wanted value that a course may not hold; ``write`` names the course."""

    def __init__(self, write: CourseWrite, error: ValidationError):
        super().__init__(error.messages)
        self.write = write


@dataclass
class BulkEdit:
    """What ``courses_edit_bulk`` did: the writes that changed a course, and those kept as a
    new version for review."""

    changed: list[CourseWrite] = field(default_factory=list)
    kept_for_review: list[CourseWrite] = field(default_factory=list)


@transaction.atomic
def courses_edit_bulk(*, user, writes: list[CourseWrite]) -> BulkEdit:
    """Write many courses at once under ``course_edit``'s rules; see the module's docstring."""
    result = BulkEdit()
    if not writes:
        return result
    ids = [write.course.pk for write in writes]
    if len(set(ids)) != len(ids):
        raise ValueError("each course once")
    in_ids = RawSQL("SELECT unnest(%s::bigint[])", (ids,))  # one parameter, not one per id
    reachable = set(courses_for_user(user).filter(pk__in=in_ids).values_list("pk", flat=True))
    if reachable != set(ids):
        raise Course.DoesNotExist
    rows = {
        pk: (status, provider_id)
        for pk, status, provider_id in Course.objects.select_for_update()
        .filter(pk__in=in_ids)
        .order_by("pk")
        .values_list("pk", "status", "provider_id")
    }
    waiting = dict(
        Course.objects.filter(revision_of__in=in_ids).values_list("revision_of_id", "pk")
    )
    reviews = {
        provider: needs_review(Course(provider_id=provider))
        for provider in {provider for _status, provider in rows.values()}
    }
    states = versions.course_states(ids)
    tags = _tags({word for write in writes for word in write.keywords})
    planned, reviewed = [], []
    for write in writes:
        status, provider = rows[write.course.pk]
        change = _plan(write, states[write.course.pk], tags, status=status, provider=provider)
        if not (change.major or change.minor):
            continue
        result.changed.append(write)
        live = Course(pk=write.course.pk, status=status, provider_id=provider)
        if change.major and content_change_needs_review(live, reviews=reviews[provider]):
            reviewed.append(change)
            result.kept_for_review.append(write)
        else:
            planned.append(change)
    _validate(planned + reviewed)
    _write(planned + [_live_part(change) for change in reviewed], tags)
    revisions = _keep_for_review(reviewed, waiting)
    _log_all(planned + reviewed, user=user, revisions=revisions)
    _refresh(
        [change.write.course.pk for change in planned + reviewed]
        + [revision for revision, _status, _title in revisions.values()]
    )
    return result


# Planning -------------------------------------------------------------------------------------


def _match_dates(existing: list[dict], wanted: list[dict], *, key=lambda row: row):
    """Which stored dates (rows with ``id`` and ``DATE_COLUMNS``, in the model's order) the
    wanted ones (``DATE_COLUMNS``, compared as ``key`` gives them) keep: by their external id,
    or else by equal values. Returns the kept ids, the kept dates as (id, wanted row, whether
    a value changes) and the new rows."""
    by_id = {date["external_id"]: date for date in existing if date["external_id"]}
    keep: set[int] = set()
    matched, new = [], []
    for given in wanted:
        given = {name: given[name] for name in DATE_COLUMNS}
        row = key(given)
        match = by_id.get(row["external_id"]) if row["external_id"] else None
        if match is None:
            match = next(
                (
                    date
                    for date in existing
                    if date["id"] not in keep
                    and all(date[name] == value for name, value in row.items())
                ),
                None,
            )
        if match is None or match["id"] in keep:
            new.append(given)
            continue
        keep.add(match["id"])
        changed = any(match[name] != value for name, value in row.items())
        matched.append((match["id"], given, changed))
    return keep, matched, new


def _date_order(row: dict):
    """The model's order of dates (rolling start, start day, start time; nulls last), with
    the id last, on a state's plain values."""
    return (
        row["rolling_start"],
        row["start_date"] is None,
        row["start_date"] or "",
        row["start_time"] is None,
        row["start_time"] or "",
        row["id"],
    )


def _state_dates(before: dict) -> list[dict]:
    rows = []
    for date in sorted(before["dates"], key=_date_order):
        row = {name: date[name] for name in DATE_NAMES}
        rows.append({"id": date["id"], **row, "venue_id": date["venue"]})
    return rows


def _plain_date(row: dict) -> dict:
    return {name: versions.plain(row[name]) for name in DATE_COLUMNS}


@dataclass
class _Change:
    """One course's write planned: its states before and after, what differs, and how its
    dates are matched (kept ids, kept dates with their wanted values, new rows)."""

    write: CourseWrite
    status: str
    provider: int
    before: dict
    after: dict
    major: set[str]
    minor: set[str]
    keep: set[int]
    matched: list[tuple[int, dict, bool]]
    new_dates: list[dict]
    modules: bool
    keywords: bool


def _plan(write: CourseWrite, before: dict, tags, *, status, provider) -> _Change:
    """The state ``versions.course_state`` will read once ``write`` is written, compared."""
    after = dict(before)
    for name, value in write.fields.items():
        if name in STATE_NAMES:
            after[STATE_NAMES[name]] = versions.plain(value)
    for name, ids in write.links.items():
        after[name] = sorted(set(ids))
    keywords = sorted(before["keywords"]) != sorted(write.keywords)
    if keywords:
        after["keywords"] = sorted({tags[word.casefold()][1] for word in write.keywords})
    modules = _modules_differ(before, write)
    if modules:
        after["modules"] = [
            {"id": None, **{name: versions.plain(module[name]) for name in MODULE_NAMES}}
            for module in write.modules
        ]
    keep, matched, new = _match_dates(_state_dates(before), write.dates, key=_plain_date)
    changed = {pk: _plain_date(row) for pk, row, differs in matched if differs}
    kept = []
    for date in before["dates"]:  # in the order of their ids
        if date["id"] in keep:
            row = dict(date)
            for name, value in changed.get(date["id"], {}).items():
                row["venue" if name == "venue_id" else name] = value
            kept.append(row)
    added = [
        {
            name: None
            if name == "id"
            else versions.plain(row["venue_id" if name == "venue" else name])
            for name in STATE_DATE_NAMES
        }
        for row in new
    ]
    after["dates"] = kept + added
    major, minor = versions.changed(before, after)
    return _Change(
        write=write,
        status=status,
        provider=provider,
        before=before,
        after=after,
        major=major,
        minor=minor,
        keep=keep,
        matched=matched,
        new_dates=new,
        modules=modules,
        keywords=keywords,
    )


def _modules_differ(before: dict, write: CourseWrite) -> bool:
    stored = [{name: module[name] for name in MODULE_COMPARED} for module in before["modules"]]
    wanted = [
        {name: versions.plain(module[name]) for name in MODULE_COMPARED} for module in write.modules
    ]
    return stored != wanted


# Validation -----------------------------------------------------------------------------------


def _validate(changes: list[_Change]) -> None:
    """What ``full_clean`` checks of a course, its modules and dates, for the values that
    change (what is stored passed before): each field's checks (``Field.clean``, as
    ``clean_fields`` runs them, no query), the venue's and the contact's organisation (the
    models' ``clean``) in one query each. Foreign keys and check constraints are the
    database's."""
    venue_ids = {
        row["venue_id"]
        for change in changes
        for row in _changed_dates(change)
        if row["venue_id"] is not None
    }
    venues = dict(Venue.objects.filter(pk__in=venue_ids).values_list("pk", "organisation_id"))
    contact_ids = {change.write.fields.get("contact_id") for change in changes} - {None}
    contacts = dict(Contact.objects.filter(pk__in=contact_ids).values_list("pk", "organisation_id"))
    for change in changes:
        write = change.write
        try:
            for name, value in write.fields.items():
                if name in NOT_SET:
                    raise ValueError(f"{name} is not set by an edit")
                state_name = STATE_NAMES.get(name)
                if state_name is None or change.before[state_name] != change.after[state_name]:
                    _clean(Course, name, value)
            contact = write.fields.get("contact_id")
            if contact is not None and contacts.get(contact) != change.provider:
                raise ValidationError({"contact": CONTACT_NOT_OF_PROVIDER})
            if change.modules:
                for module in write.modules:
                    for name in MODULE_NAMES:
                        _clean(Module, name, module[name])
            for row in _changed_dates(change):
                for name in DATE_COLUMNS:
                    _clean(CourseDate, name, row[name])
                if row["venue_id"] is not None and venues.get(row["venue_id"]) != change.provider:
                    raise ValidationError({"venue": VENUE_NOT_OF_PROVIDER})
        except ValidationError as error:
            raise CourseWriteError(write, error) from error


def _changed_dates(change: _Change) -> list[dict]:
    return [row for _pk, row, differs in change.matched if differs] + change.new_dates


def _clean(model, attname: str, value) -> None:
    """One field's checks as ``Model.clean_fields`` runs them (foreign keys: the database's)."""
    field = _FIELDS[model].get(attname)
    if field is None or field.is_relation:
        return
    if field.blank and value in field.empty_values:
        return
    try:
        field.clean(value, None)
    except ValidationError as error:
        raise ValidationError({field.name: error.error_list}) from error


_FIELDS = {
    model: {field.attname: field for field in model._meta.concrete_fields}
    for model in (Course, CourseDate, Module)
}


# Writing --------------------------------------------------------------------------------------


def _write(changes: list[_Change], tags) -> None:
    if not changes:
        return
    now = timezone.now()
    with connection.wrap_database_errors, connection.cursor() as cursor:
        _update_courses(cursor, [change.write for change in changes], now)
        for name, column in LINKS.items():
            through = Course._meta.get_field(name).remote_field.through
            changed = [
                change.write
                for change in changes
                if name in change.write.links and change.after[name] != change.before[name]
            ]
            _replace(
                cursor,
                through,
                [write.course.pk for write in changed],
                [
                    {"course_id": write.course.pk, column: target}
                    for write in changed
                    for target in sorted(set(write.links[name]))
                ],
            )
        _replace_keywords(
            cursor,
            {
                change.write.course.pk: [tags[word.casefold()][0] for word in change.write.keywords]
                for change in changes
                if change.keywords
            },
        )
        changed = [change.write for change in changes if change.modules]
        _replace(
            cursor,
            Module,
            [write.course.pk for write in changed],
            [
                {"course_id": write.course.pk, **{name: module[name] for name in MODULE_NAMES}}
                for write in changed
                for module in write.modules
            ],
        )
        _write_dates(cursor, changes)


def _update_courses(cursor, writes: list[CourseWrite], now) -> None:
    """The course rows: the given fields and ``updated_at`` (as ``save`` writes them), by one
    ``UPDATE … FROM`` a temporary table filled with ``COPY``."""
    names = sorted({name for write in writes for name in write.fields} - NOT_SET)
    columns = [Course._meta.get_field(STATE_NAMES.get(name, name)).column for name in names]
    _update_from(
        cursor,
        Course,
        ["id", *columns, "updated_at"],
        [
            [write.course.pk, *(_field_value(write, name) for name in names), now]
            for write in writes
        ],
    )


def _field_value(write: CourseWrite, name: str):
    if name in write.fields:
        return write.fields[name]
    return _KEEP


_KEEP = object()


def _update_from(cursor, model, columns: list[str], rows: list[list]) -> None:
    """``UPDATE`` the model's rows (``id`` first) from a temporary table filled with ``COPY``;
    a value ``_KEEP`` leaves a column of that row as it is."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    keep_flags = any(value is _KEEP for row in rows for value in row)
    cursor.execute("DROP TABLE IF EXISTS bulk_edit")
    selected = ", ".join(q(column) for column in columns)
    kept = ", ARRAY[]::text[] AS kept" if keep_flags else ""
    cursor.execute(
        f"CREATE TEMPORARY TABLE bulk_edit ON COMMIT DROP AS SELECT {selected}{kept}"  # noqa: S608
        f" FROM {table} WITH NO DATA"
    )
    copied = [*columns, "kept"] if keep_flags else columns
    with cursor.cursor.copy(
        f"COPY bulk_edit ({', '.join(q(c) for c in copied)}) FROM STDIN"  # noqa: S608
    ) as copy:
        lines = []
        for row in rows:
            values = [None if value is _KEEP else value for value in row]
            if keep_flags:
                kept = [c for c, value in zip(columns, row, strict=True) if value is _KEEP]
                values.append("{" + ",".join(kept) + "}")
            lines.append("\t".join(copy_text(value) for value in values))
            if len(lines) == 1000:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")

    def assignment(column):
        if keep_flags:
            return (
                f"{q(column)} = CASE WHEN %s = ANY(t.kept) THEN m.{q(column)} "
                f"ELSE t.{q(column)} END"
            )
        return f"{q(column)} = t.{q(column)}"

    sets = ", ".join(assignment(column) for column in columns[1:])
    params = [column for column in columns[1:]] if keep_flags else []
    cursor.execute(
        f"UPDATE {table} AS m SET {sets} FROM bulk_edit AS t WHERE m.id = t.id",  # noqa: S608
        params,
    )
    cursor.execute("DROP TABLE bulk_edit")


def _replace_keywords(cursor, keywords: dict[int, list[int]]) -> None:
    """The keywords of the given courses replaced by these tags (ids by the course's)."""
    if not keywords:
        return
    course_type = ContentType.objects.get_for_model(Course).pk
    cursor.execute(
        "DELETE FROM taggit_taggeditem WHERE content_type_id = %s AND object_id = ANY(%s)",
        [course_type, list(keywords)],
    )
    _insert(
        cursor,
        TaggedItem,
        [
            {"tag_id": tag, "content_type_id": course_type, "object_id": pk}
            for pk, tags in sorted(keywords.items())
            for tag in sorted(set(tags))
        ],
    )


def _replace(cursor, model, course_ids: list[int], rows: list[dict]) -> None:
    """The rows of the given courses in the model's table replaced by ``rows``."""
    if not course_ids:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cursor.execute(f"DELETE FROM {table} WHERE course_id = ANY(%s)", [course_ids])  # noqa: S608
    _insert(cursor, model, rows)


def _insert(cursor, model, rows: list[dict]) -> None:
    for pk, row in zip(reserve_ids(cursor, model, len(rows)), rows, strict=True):
        row["id"] = pk
    copy_rows(cursor, model, rows)


def _write_dates(cursor, changes: list[_Change]) -> None:
    """Dates as ``course_edit``'s callers write them: matched ones updated, the others
    deleted, new ones inserted in the order given (their ids rise in it, as ``bulk_create``'s
    do)."""
    updates, deleted, new = [], [], []
    for change in changes:
        updates += [
            [pk, *(row[name] for name in DATE_COLUMNS)]
            for pk, row, differs in change.matched
            if differs
        ]
        deleted += [date["id"] for date in change.before["dates"] if date["id"] not in change.keep]
        new += [{"course_id": change.write.course.pk, **row} for row in change.new_dates]
    if deleted:
        cursor.execute("DELETE FROM measures_coursedate WHERE id = ANY(%s)", [deleted])
    _update_from(cursor, CourseDate, ["id", *DATE_COLUMNS], updates)
    _insert(cursor, CourseDate, new)


# Changes kept for review ----------------------------------------------------------------------

# The attribute names of a course's major fields (the links and keywords are ``CourseWrite``'s
# ``links`` and ``keywords``).
MAJOR_ATTNAMES = frozenset(
    Course._meta.get_field(name).attname
    for name in versions.MAJOR_COURSE_FIELDS
    if name not in versions.MANY and name != "keywords"
)
# What a new version does not take over from the published course (``_keep_for_review``).
REVISION_OWN = frozenset(
    {
        "id",
        "revision_of_id",
        "slug",
        "external_id",
        "status",
        "published_at",
        "last_confirmed_at",
        "created_at",
        "updated_at",
        *Course.KEPT_BY_DATABASE,
    }
)


def _live_part(change: _Change) -> _Change:
    """What of a change kept for review goes live at once: its minor part (``course_edit``
    puts the published course's major part back as it was) and ``updated_at``."""
    fields = {
        name: value for name, value in change.write.fields.items() if name not in MAJOR_ATTNAMES
    }
    after = {
        name: change.before[name] if name in change.major else value
        for name, value in change.after.items()
    }
    return replace(
        change,
        write=replace(change.write, fields=fields, links={}),
        after=after,
        major=set(),
        keywords=False,
        modules=False,
    )


def _keep_for_review(
    changes: list[_Change], waiting: dict[int, int]
) -> dict[int, tuple[int, str, str]]:
    """The major parts of changes that wait for review, kept as ``course_edit``'s
    ``_keep_for_review`` keeps them (after the live parts are written): in a new version of
    the published course (``_new_revisions``), or, where one waits (``waiting``: its id by the
    live course's), in that one — the major fields, links, keywords and modules the change
    touches are set on it (as ``versions.apply_major`` sets them: the row's ``updated_at``
    stays) and it is submitted again (a returned one). Returns, by the live course's id, the
    version's id, its status before and its title after (for the log)."""
    if not changes:
        return {}
    joined = [
        waiting[change.write.course.pk] for change in changes if change.write.course.pk in waiting
    ]
    stored = versions.course_states(joined)
    statuses = dict(Course.objects.filter(pk__in=joined).values_list("pk", "status"))
    empty = {**{name: [] for name in LINKS}, "keywords": [], "modules": []}
    now = timezone.now()
    columns = sorted(MAJOR_ATTNAMES - NOT_SET)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        revisions = _new_revisions(
            cursor, [change for change in changes if change.write.course.pk not in waiting], now
        )
        updates, targets = [], []
        for change in changes:
            pk, major = change.write.course.pk, change.major
            if pk not in waiting:
                targets.append((revisions[pk][0], change.before, empty, change))
                continue
            revision, status = waiting[pk], statuses[waiting[pk]]
            state = stored[revision]
            again = status != Course.Status.SUBMITTED
            updates.append(
                [
                    revision,
                    *(
                        change.write.fields[name] if STATE_NAMES[name] in major else _KEEP
                        for name in columns
                    ),
                    Course.Status.SUBMITTED if again else _KEEP,
                    now if again else _KEEP,
                ]
            )
            title = change.after["title"] if "title" in major else state["title"]
            revisions[pk] = (revision, status, title)
            targets.append((revision, state, state, change))
        _update_from(cursor, Course, ["id", *columns, "status", "updated_at"], updates)
        _write_major_parts(cursor, targets)
    return revisions


def _new_revisions(cursor, changes: list[_Change], now) -> dict[int, tuple[int, str, str]]:
    """New versions of published courses: a copy of the published course's row (its live
    part written) with the major fields the change wants, its own address (``…-neu-<id>``),
    no external id, submitted, never published or confirmed, the columns the database keeps
    empty; no dates (their links, keywords and modules: ``_write_major_parts``)."""
    if not changes:
        return {}
    live_ids = [change.write.course.pk for change in changes]
    names = [f.attname for f in Course._meta.concrete_fields if f.attname not in REVISION_OWN]
    stored = {
        row["id"]: row
        for row in Course.objects.filter(pk__in=live_ids).values("id", "slug", *names)
    }
    slugs = revision_slugs({pk: stored[pk]["slug"] for pk in live_ids})
    rows = []
    for change in changes:
        pk = change.write.course.pk
        row = {name: stored[pk][name] for name in names}
        row.update(
            {name: value for name, value in change.write.fields.items() if name in MAJOR_ATTNAMES}
        )
        row.update(
            revision_of_id=pk,
            slug=slugs[pk],
            external_id="",
            status=Course.Status.SUBMITTED,
            published_at=None,
            last_confirmed_at=None,
            created_at=now,
            updated_at=now,
        )
        rows.append(row)
    _insert(cursor, Course, rows)
    submitted = Course.Status.SUBMITTED
    return {
        row["revision_of_id"]: (row["id"], submitted, change.after["title"])
        for row, change in zip(rows, changes, strict=True)
    }


def _write_major_parts(cursor, targets: list[tuple[int, dict, dict, _Change]]) -> None:
    """The links, keywords and modules of versions waiting for review, as ``apply_major``
    writes a major part: ``targets`` are (the version's id, the state its major part starts
    from, the state it holds now, the change); the change's major names take the change's
    values, and each part is replaced where it differs from what the version holds."""
    wanted = []
    for revision, base, held, change in targets:
        part = {
            name: change.after[name] if name in change.major else base[name]
            for name in (*LINKS, "keywords", "modules")
        }
        wanted.append((revision, held, part))
    for name, column in LINKS.items():
        changed = [(revision, part) for revision, held, part in wanted if part[name] != held[name]]
        _replace(
            cursor,
            Course._meta.get_field(name).remote_field.through,
            [revision for revision, _part in changed],
            [
                {"course_id": revision, column: target}
                for revision, part in changed
                for target in part[name]
            ],
        )
    changed = [
        (revision, part)
        for revision, held, part in wanted
        if sorted(part["keywords"]) != sorted(held["keywords"])
    ]
    tags = _tags({word for _revision, part in changed for word in part["keywords"]})
    _replace_keywords(
        cursor,
        {
            revision: [tags[word.casefold()][0] for word in part["keywords"]]
            for revision, part in changed
        },
    )

    def modules(state):
        return [{name: module[name] for name in MODULE_NAMES} for module in state["modules"]]

    changed = [
        (revision, part) for revision, held, part in wanted if modules(part) != modules(held)
    ]
    _replace(
        cursor,
        Module,
        [revision for revision, _part in changed],
        [
            {"course_id": revision, **module}
            for revision, part in changed
            for module in modules(part)
        ],
    )


# The change log ---------------------------------------------------------------------------


def _log_all(changes: list[_Change], *, user, revisions: dict[int, tuple[int, str, str]]) -> None:
    """The entries ``course_edit`` writes, in its order: for a change that goes live one per
    course ("geändert" or "Bagatelländerung"); for a change kept for review (``revisions``:
    the version's id, its status before and its title by the live course's) the live
    course's "neue Fassung eingereicht", the version's "eingereicht" (both with the major
    lines) and, where a minor part went live, the live course's "Bagatelländerung"."""
    now = timezone.now()
    Action = CourseChange.Action
    rows = []

    def entry(course_id, title, action, lines, status_before, status_after, message=""):
        rows.append(
            {
                "course_id": course_id,
                "course_title": title,
                "user_id": user.pk if user else None,
                "username": user.get_username() if user else "",
                "action": action,
                "changes": json.dumps(lines),
                "status_before": status_before,
                "status_after": status_after,
                "message": message,
                "created_at": now,
            }
        )

    states = [state for change in changes for state in (change.before, change.after)]
    with versions.cached_names(states):
        for change in changes:
            before, after, major, status = change.before, change.after, change.major, change.status
            pk, line = change.write.course.pk, versions.change_lines
            if pk not in revisions:
                action = Action.EDITED if major else Action.MINOR_EDIT
                lines = line(before, after, major | change.minor, display)
                entry(pk, after["title"], action, lines, status, status)
                continue
            revision, revision_status, revision_title = revisions[pk]
            lines = line(before, after, major, display)
            message = str(KEPT_FOR_REVIEW_MESSAGE)
            entry(pk, before["title"], Action.REVISION_SUBMITTED, lines, status, status, message)
            submitted = Course.Status.SUBMITTED
            entry(revision, revision_title, Action.SUBMITTED, lines, revision_status, submitted)
            if change.minor:
                lines = line(before, after, change.minor, display)
                entry(pk, before["title"], Action.MINOR_EDIT, lines, status, status)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        _insert(cursor, CourseChange, rows)


# Keywords -----------------------------------------------------------------------------------


def _tags(words: set[str]) -> dict[str, tuple[int, str]]:
    """The tag (id, name) of each keyword by its folded form (case-insensitive, as taggit is
    configured), made where new."""
    folded = {word.casefold(): word for word in words}
    found: dict[str, tuple[int, str]] = {}
    if not folded:
        return found
    rows = (
        Tag.objects.annotate(folded=Lower("name"))
        # PostgreSQL's lower() keeps an "ß" that casefold() makes "ss": both forms asked for.
        .filter(folded__in=sorted(set(folded) | {word.lower() for word in words}))
        .order_by("pk")
        .values_list("pk", "name")
    )
    for pk, name in rows:
        found.setdefault(name.casefold(), (pk, name))
    rest = [word for key, word in folded.items() if key not in found]
    if rest:
        used = set(
            Tag.objects.filter(slug__in=[_tag_slug(word) for word in rest]).values_list(
                "slug", flat=True
            )
        )
        new = []
        for word in rest:
            slug, number = _tag_slug(word), 1
            while slug in used:
                number += 1
                slug = f"{_tag_slug(word)[:90]}_{number}"
            used.add(slug)
            new.append(Tag(name=word, slug=slug))
        for tag in Tag.objects.bulk_create(new):
            found[tag.name.casefold()] = (tag.pk, tag.name)
    return found


UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def _tag_slug(text: str) -> str:
    return slugify(text.translate(UMLAUTS))[:100] or "x"


def tag_ids(words: set[str]) -> dict[str, int]:
    """The tag id of each keyword by its folded form, made where new (the import's new
    courses)."""
    return {key: pk for key, (pk, _name) in _tags(words).items()}
