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

Two cases go through ``course_edit`` itself, one course at a time (they are rare and they make
a second row): a **major change of a published course where a network reviews** (kept as a
new version waiting for review, the published one stays live) and a course that **already
has a new version waiting** (the change joins it). For those ``write_course`` sets the same
values inside the block.

All of it runs in the caller's transaction (``transaction.atomic``): an error anywhere leaves
no trace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
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
    _refresh,
    content_change_needs_review,
    course_edit,
    needs_review,
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
    not given stay as they are); ``links`` the ids of the linked vocabularies by link name;
    ``modules`` rows of ``MODULE_NAMES``; ``dates`` rows of ``DATE_COLUMNS``; ``key`` whatever
    the caller wants back with an error (an import's row)."""

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
    reachable = set(courses_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    if reachable != set(ids):
        raise Course.DoesNotExist
    rows = {
        pk: (status, provider_id)
        for pk, status, provider_id in Course.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status", "provider_id")
    }
    waiting = set(
        Course.objects.filter(revision_of__in=ids).values_list("revision_of_id", flat=True)
    )
    reviews = {
        provider: needs_review(Course(provider_id=provider))
        for provider in {provider for _status, provider in rows.values()}
    }
    states = versions.course_states(ids)
    tags = _tags({word for write in writes for word in write.keywords})
    one_by_one, planned = [], []
    for write in writes:
        status, provider = rows[write.course.pk]
        before = states[write.course.pk]
        after = _after(before, write, tags)
        major, minor = versions.changed(before, after)
        if not (major or minor):
            continue
        result.changed.append(write)
        live = Course(pk=write.course.pk, status=status, provider_id=provider)
        if write.course.pk in waiting or (
            major and content_change_needs_review(live, reviews=reviews[provider])
        ):
            one_by_one.append(write)
            continue
        planned.append((write, before, after, major, minor, status))
    _validate([item[0] for item in planned], rows)
    _write([item[0] for item in planned], [item[1] for item in planned], tags)
    _log_all(planned, user=user)
    _refresh([write.course.pk for write, *_rest in planned])
    for write in one_by_one:
        try:
            with course_edit(course=write.course, user=user) as edit:
                write_course(edit.course, write)
        except ValidationError as error:
            raise CourseWriteError(write, error) from error
        if edit.kept_for_review:
            result.kept_for_review.append(write)
    return result


def write_course(course, write: CourseWrite) -> None:
    """Set ``write``'s values on one course (inside ``course_edit``'s block)."""
    for name, value in write.fields.items():
        setattr(course, name, value)
    course.save()
    for name, ids in write.links.items():
        getattr(course, name).set(ids)
    if sorted(course.keywords.names()) != sorted(write.keywords):
        course.keywords.set(write.keywords, clear=True)
    wanted = [{name: module[name] for name in MODULE_NAMES} for module in write.modules]
    stored = [
        {name: getattr(module, name) for name in MODULE_COMPARED}
        for module in course.modules.order_by("position", "pk")
    ]
    if [{name: module[name] for name in MODULE_COMPARED} for module in wanted] != stored:
        course.modules.all().delete()
        Module.objects.bulk_create(Module(course=course, **module) for module in wanted)
    existing = [
        {"id": date.pk, **{name: getattr(date, name) for name in DATE_COLUMNS}}
        for date in course.dates.all()
    ]
    keep, matched, new = _match_dates(existing, write.dates)
    stored = {date["id"]: date for date in existing}
    for pk, row, changed in matched:
        if changed:
            fields = {name: value for name, value in row.items() if stored[pk][name] != value}
            CourseDate.objects.filter(pk=pk).update(**fields)
    course.dates.exclude(pk__in=keep).delete()
    CourseDate.objects.bulk_create(CourseDate(course=course, **row) for row in new)


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


def _after(before: dict, write: CourseWrite, tags: dict[str, tuple[int, str]]) -> dict:
    """The state ``versions.course_state`` will read once ``write`` is written."""
    after = dict(before)
    for name, value in write.fields.items():
        if name in STATE_NAMES:
            after[STATE_NAMES[name]] = versions.plain(value)
    for name, ids in write.links.items():
        after[name] = sorted(set(ids))
    if sorted(before["keywords"]) != sorted(write.keywords):
        after["keywords"] = sorted({tags[word.casefold()][1] for word in write.keywords})
    if _modules_differ(before, write):
        after["modules"] = [
            {"id": None, **{name: versions.plain(module[name]) for name in MODULE_NAMES}}
            for module in write.modules
        ]
    keep, matched, new = _dates_plan(before, write)
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
    return after


def _modules_differ(before: dict, write: CourseWrite) -> bool:
    stored = [{name: module[name] for name in MODULE_COMPARED} for module in before["modules"]]
    wanted = [
        {name: versions.plain(module[name]) for name in MODULE_COMPARED} for module in write.modules
    ]
    return stored != wanted


def _dates_plan(before: dict, write: CourseWrite):
    """``_match_dates`` on a state's plain values."""
    return _match_dates(_state_dates(before), write.dates, key=_plain_date)


# Validation -----------------------------------------------------------------------------------


def _validate(writes: list[CourseWrite], rows) -> None:
    """The model's field checks per object (no query), the foreign keys that ``full_clean``
    and the models' ``clean`` check per object here in one query each."""
    date_fk = {"course", "venue"}
    course_fk = {
        f.name for f in Course._meta.concrete_fields if f.is_relation and f.many_to_one
    } | {"revision_of"}
    loaded = Course.objects.in_bulk([write.course.pk for write in writes])
    venues = {}
    venue_ids = {date["venue_id"] for write in writes for date in write.dates} - {None}
    if venue_ids:
        venues = dict(Venue.objects.filter(pk__in=venue_ids).values_list("pk", "organisation_id"))
    contact_ids = {write.fields.get("contact_id") for write in writes} - {None}
    contacts = dict(Contact.objects.filter(pk__in=contact_ids).values_list("pk", "organisation_id"))
    for write in writes:
        course = loaded[write.course.pk]
        provider = rows[course.pk][1]
        try:
            for name, value in write.fields.items():
                if name in NOT_SET:
                    raise ValueError(f"{name} is not set by an edit")
                setattr(course, name, value)
            course.clean_fields(exclude=course_fk)
            contact = course.contact_id
            if contact is not None and contacts.get(contact) != provider:
                raise ValidationError({"contact": CONTACT_NOT_OF_PROVIDER})
            for module in write.modules:
                Module(course=course, **module).clean_fields(exclude={"course"})
            for date in write.dates:
                CourseDate(course_id=course.pk, **date).clean_fields(exclude=date_fk)
                if date["venue_id"] is not None and venues.get(date["venue_id"]) != provider:
                    raise ValidationError({"venue": VENUE_NOT_OF_PROVIDER})
        except ValidationError as error:
            raise CourseWriteError(write, error) from error


# Writing --------------------------------------------------------------------------------------


def _write(writes: list[CourseWrite], befores: list[dict], tags) -> None:
    if not writes:
        return
    now = timezone.now()
    with connection.wrap_database_errors, connection.cursor() as cursor:
        _update_courses(cursor, writes, now)
        for name, column in LINKS.items():
            through = Course._meta.get_field(name).remote_field.through
            changed = [
                (write, before)
                for write, before in zip(writes, befores, strict=True)
                if name in write.links and sorted(set(write.links[name])) != before[name]
            ]
            _replace(
                cursor,
                through,
                [write.course.pk for write, _b in changed],
                [
                    {"course_id": write.course.pk, column: target}
                    for write, _b in changed
                    for target in sorted(set(write.links[name]))
                ],
            )
        course_type = ContentType.objects.get_for_model(Course).pk
        changed = [
            write
            for write, before in zip(writes, befores, strict=True)
            if sorted(before["keywords"]) != sorted(write.keywords)
        ]
        if changed:
            cursor.execute(
                "DELETE FROM taggit_taggeditem WHERE content_type_id = %s AND object_id = ANY(%s)",
                [course_type, [write.course.pk for write in changed]],
            )
            tagged = {
                (tags[word.casefold()][0], write.course.pk)
                for write in changed
                for word in write.keywords
            }
            _insert(
                cursor,
                TaggedItem,
                [
                    {"tag_id": tag, "content_type_id": course_type, "object_id": pk}
                    for tag, pk in sorted(tagged, key=lambda pair: (pair[1], pair[0]))
                ],
            )
        changed = [
            write
            for write, before in zip(writes, befores, strict=True)
            if _modules_differ(before, write)
        ]
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
        _write_dates(cursor, writes, befores)


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


def _write_dates(cursor, writes: list[CourseWrite], befores: list[dict]) -> None:
    """Dates as ``write_course`` writes them: matched ones updated, the others deleted, new
    ones inserted in the order given (their ids rise in it, as ``bulk_create``'s do)."""
    updates, deleted, new = [], [], []
    for write, before in zip(writes, befores, strict=True):
        keep, matched, added = _dates_plan(before, write)
        updates += [
            [pk, *(row[name] for name in DATE_COLUMNS)] for pk, row, changed in matched if changed
        ]
        deleted += [date["id"] for date in before["dates"] if date["id"] not in keep]
        new += [{"course_id": write.course.pk, **row} for row in added]
    if deleted:
        cursor.execute("DELETE FROM measures_coursedate WHERE id = ANY(%s)", [deleted])
    _update_from(cursor, CourseDate, ["id", *DATE_COLUMNS], updates)
    _insert(cursor, CourseDate, new)


# The change log ---------------------------------------------------------------------------


def _log_all(planned, *, user) -> None:
    """One entry per course, as ``course_edit`` writes it for a change that goes live."""
    now = timezone.now()
    username = user.get_username() if user else ""
    rows = []
    for write, before, after, major, minor, status in planned:
        rows.append(
            {
                "course_id": write.course.pk,
                "course_title": after["title"],
                "user_id": user.pk if user else None,
                "username": username,
                "action": CourseChange.Action.EDITED if major else CourseChange.Action.MINOR_EDIT,
                "changes": json.dumps(versions.change_lines(before, after, major | minor, display)),
                "status_before": status,
                "status_after": status,
                "message": "",
                "created_at": now,
            }
        )
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
        .filter(folded__in=list(folded))
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
