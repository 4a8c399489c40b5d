"""The review rule, field by field, and the state of a course that it is applied to.

Every field of a course and of its parts (dates, curriculum modules) is classified here, once:

- ``MINOR``: goes live at once on a published course and is logged ("Bagatelle"): every field
  of a date, the price fields, and what only the provider's own systems read;
- ``MAJOR``: on a published course in a network that reviews offers, a change is kept as a new
  version for review while the published one stays live (``workspace.services``);
- ``SYSTEM``: not edited by people — kept by the workflow, the database or the search.

``tests/measures/test_versions.py`` fails when a field is added without a classification.

A course's *state* is a plain, JSON-ready dict of everything classified (the course's fields,
its linked vocabularies and keywords, its modules and its dates); the services take it before
and after a write and compare.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from taggit.models import TaggedItem

from measures.models import Course, CourseDate, Module

MINOR, MAJOR, SYSTEM = "minor", "major", "system"

COURSE_FIELDS = {
    "id": SYSTEM,
    "provider": MAJOR,
    "title": MAJOR,
    # The address of the page: changing it is no change of content (and is logged).
    "slug": MINOR,
    "kind": MAJOR,
    "summary": MAJOR,
    "description": MAJOR,
    "objectives": MAJOR,
    "contents": MAJOR,
    "prerequisites": MAJOR,
    "subjects": MAJOR,
    "keywords": MAJOR,
    "target_groups": MAJOR,
    "language": MAJOR,
    "certificate_kind": MAJOR,
    "certificate_details": MAJOR,
    "funding": MAJOR,
    "hours": MAJOR,
    "teaching_units": MAJOR,
    "price": MINOR,
    "price_kind": MINOR,
    "price_notes": MINOR,
    "easy_language": MAJOR,
    "childcare": MAJOR,
    "contact": MAJOR,
    "registration_url": MAJOR,
    "registration_notes": MAJOR,
    # The provider's own key for imports; not shown to learners.
    "external_id": MINOR,
    "status": SYSTEM,
    "revision_of": SYSTEM,
    "created_at": SYSTEM,
    "updated_at": SYSTEM,
    "last_confirmed_at": SYSTEM,
    "published_at": SYSTEM,
    "current_until": SYSTEM,
    "facet_subjects": SYSTEM,
    "facet_funding": SYSTEM,
    "facet_target_groups": SYSTEM,
    "summary_next_start": SYSTEM,
    "summary_valid_until": SYSTEM,
    # Made by the demo loader or the synthetic benchmark data (not editable).
    "demo": SYSTEM,
    "synthetic": SYSTEM,
    # The course's parts, as wholes (their own fields below).
    "dates": MINOR,
    "modules": MAJOR,
}

DATE_FIELDS = {
    "id": SYSTEM,
    "course": SYSTEM,
    "start_date": MINOR,
    "end_date": MINOR,
    "rolling_start": MINOR,
    "weekdays": MINOR,
    "start_time": MINOR,
    "end_time": MINOR,
    "schedule_notes": MINOR,
    "mode": MINOR,
    "venue": MINOR,
    "seats": MINOR,
    "booking_status": MINOR,
    "registration_deadline": MINOR,
    "price": MINOR,
    "external_id": MINOR,
}

MODULE_FIELDS = {
    "id": SYSTEM,
    "course": SYSTEM,
    "position": MAJOR,
    "title": MAJOR,
    "contents": MAJOR,
    "teaching_units": MAJOR,
}

CLASSIFICATION = {Course: COURSE_FIELDS, CourseDate: DATE_FIELDS, Module: MODULE_FIELDS}


def classified_fields(model) -> list[str]:
    """The names a model has that the review rule must know: its own fields and many-to-many
    links, and for a course its parts."""
    names = [
        field.name
        for field in model._meta.get_fields()
        if not field.auto_created or getattr(field, "primary_key", False)
        if field.concrete or field.many_to_many or getattr(field, "primary_key", False)
    ]
    if model is Course:
        names += ["dates", "modules"]
    return names


def _names(kind) -> list[str]:
    return [name for name, klass in COURSE_FIELDS.items() if klass == kind]


MAJOR_COURSE_FIELDS = frozenset(_names(MAJOR)) - {"modules"}
MINOR_COURSE_FIELDS = frozenset(_names(MINOR)) - {"dates"}
MANY = ("subjects", "target_groups", "funding")


# State --------------------------------------------------------------------------------------


_AS_IS = (str, int, bool, type(None))


def _plain(value):
    if type(value) in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


plain = _plain  # the form values take in a state (the course import compares with it)


def _row(obj, classification) -> dict:
    row = {}
    for name, kind in classification.items():
        if kind == SYSTEM and name != "id":
            continue
        field = obj._meta.get_field(name)
        row[name] = _plain(getattr(obj, field.attname))
    return row


def course_state(course) -> dict:
    """Everything the review rule classifies, as the database holds it now."""
    course = Course.objects.get(pk=course.pk)
    state = {
        name: _plain(getattr(course, course._meta.get_field(name).attname))
        for name in sorted(MAJOR_COURSE_FIELDS | MINOR_COURSE_FIELDS)
        if name not in MANY and name != "keywords"
    }
    for name in MANY:
        state[name] = sorted(getattr(course, name).values_list("pk", flat=True))
    state["keywords"] = sorted(course.keywords.names())
    state["modules"] = [
        _row(module, MODULE_FIELDS) for module in course.modules.order_by("position", "pk")
    ]
    state["dates"] = [_row(date, DATE_FIELDS) for date in course.dates.order_by("pk")]
    return state


def course_states(course_ids) -> dict[int, dict]:
    """``course_state`` of many courses at once, in a fixed number of queries (an import
    compares every course of a file with what it holds); the same dicts, as
    ``tests/measures/test_versions.py`` checks."""
    ids = list(course_ids)
    # One array parameter, not a placeholder per id (psycopg's conversion of a query with
    # 15,000 placeholders costs more than the query).
    in_ids = RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    names = sorted(name for name in MAJOR_COURSE_FIELDS | MINOR_COURSE_FIELDS if name not in MANY)
    names.remove("keywords")
    attnames = [Course._meta.get_field(name).attname for name in names]
    states: dict[int, dict] = {}
    plain_at = _needs_plain(Course, attnames)
    for row in Course.objects.filter(pk__in=in_ids).values_list("pk", *attnames):
        values = list(row[1:])
        for index in plain_at:
            values[index] = _plain(values[index])
        state = dict(zip(names, values, strict=True))
        for name in MANY:
            state[name] = []
        state["keywords"] = []
        state["modules"] = []
        state["dates"] = []
        states[row[0]] = state
    for name in MANY:
        through = Course._meta.get_field(name).remote_field.through
        target = Course._meta.get_field(name).m2m_reverse_field_name()
        rows = through.objects.filter(course_id__in=in_ids).values_list("course_id", f"{target}_id")
        for course_id, pk in rows:
            states[course_id][name].append(pk)
    course_type = ContentType.objects.get_for_model(Course)
    for course_id, tag in TaggedItem.objects.filter(
        content_type=course_type, object_id__in=in_ids
    ).values_list("object_id", "tag__name"):
        states[course_id]["keywords"].append(tag)
    for model, classification, order, part in (
        (Module, MODULE_FIELDS, ("course_id", "position", "pk"), "modules"),
        (CourseDate, DATE_FIELDS, ("course_id", "pk"), "dates"),
    ):
        kept = [name for name, kind in classification.items() if kind != SYSTEM or name == "id"]
        columns = [model._meta.get_field(name).attname for name in kept]
        rows = model.objects.filter(course_id__in=in_ids).order_by(*order)
        plain_at = _needs_plain(model, columns)
        for course_id, *values in rows.values_list("course_id", *columns):
            for index in plain_at:
                values[index] = _plain(values[index])
            states[course_id][part].append(dict(zip(kept, values, strict=True)))
    for state in states.values():
        for name in MANY:
            state[name].sort()
        state["keywords"].sort()
    return states


def _needs_plain(model, attnames) -> list[int]:
    """The positions of the columns whose values ``_plain`` changes (numbers, days, times,
    arrays); the others (text, integers, booleans, ids) it gives back as they are."""
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    plain_types = (models.DecimalField, models.DateField, models.TimeField)
    return [
        index
        for index, attname in enumerate(attnames)
        if isinstance(by_attname[attname], plain_types)
        or by_attname[attname].get_internal_type() == "ArrayField"
        or not isinstance(
            by_attname[attname],
            models.CharField
            | models.TextField
            | models.IntegerField
            | models.BooleanField
            | models.ForeignKey
            | models.AutoField
            | models.BigAutoField,
        )
    ]


def major_part(state: dict) -> dict:
    """What a reviewer approves: the major fields and the curriculum, without ids of rows."""
    part = {name: state[name] for name in sorted(MAJOR_COURSE_FIELDS)}
    part["modules"] = [
        {key: value for key, value in module.items() if key != "id"} for module in state["modules"]
    ]
    return part


def fingerprint(state: dict) -> str:
    """A short digest of the major part of a state: the version a reviewer saw."""
    text = json.dumps(major_part(state), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def changed(before: dict, after: dict) -> tuple[set[str], set[str]]:
    """The names of the major and minor parts that differ (``modules`` and ``dates`` stand for
    the course's modules and dates)."""
    names = {name for name in after if before.get(name) != after.get(name)}
    if major_part(before)["modules"] == major_part(after)["modules"]:
        names.discard("modules")
    return names & (MAJOR_COURSE_FIELDS | {"modules"}), names & (MINOR_COURSE_FIELDS | {"dates"})


def apply_major(course, part: dict) -> None:
    """Write a major part (``major_part``) onto a course row: fields, links, keywords and the
    curriculum (the modules are replaced). The caller validates and logs."""
    fields = {}
    for name in MAJOR_COURSE_FIELDS:
        if name in MANY or name == "keywords":
            continue
        field = Course._meta.get_field(name)
        fields[field.attname] = part[name]
    Course.objects.filter(pk=course.pk).update(**fields)
    course.refresh_from_db()
    for name in MANY:
        getattr(course, name).set(part[name])
    if sorted(course.keywords.names()) != sorted(part["keywords"]):
        course.keywords.set(part["keywords"], clear=True)
    current = [
        {name: value for name, value in _row(module, MODULE_FIELDS).items() if name != "id"}
        for module in course.modules.order_by("position", "pk")
    ]
    if current != part["modules"]:
        course.modules.all().delete()
        Module.objects.bulk_create(Module(course=course, **module) for module in part["modules"])


# Display ------------------------------------------------------------------------------------


def _label(model, name) -> str:
    if name in ("dates", "modules"):
        return str(capfirst(model._meta.get_field(name).related_model._meta.verbose_name_plural))
    return str(capfirst(model._meta.get_field(name).verbose_name))


# While ``cached_names`` runs (many courses' change lines at once), the names of related rows
# are asked for once each.
_cache: ContextVar[dict | None] = ContextVar("versions_names", default=None)


@contextmanager
def cached_names(states=()):
    """Within the block, ``change_lines`` looks the names of related rows (vocabularies,
    venues, contacts) up once each, those the given states name at the start with one query
    per model: the lines of many courses take a fixed number of queries, not one per line."""
    cache: dict = {}
    wanted: dict = {}
    for state in states:
        for model, classification, rows in (
            (Course, COURSE_FIELDS, [state]),
            (CourseDate, DATE_FIELDS, state.get("dates", [])),
        ):
            for name, kind in classification.items():
                if kind == SYSTEM or name in ("dates", "modules", "keywords"):
                    continue
                field = model._meta.get_field(name)
                if not (field.many_to_many or isinstance(field, models.ForeignKey)):
                    continue
                ids = wanted.setdefault(field.related_model, set())
                for row in rows:
                    value = row.get(name)
                    ids.update(value if isinstance(value, list) else [value])
    for model, ids in wanted.items():
        ids.discard(None)
        known = cache.setdefault(model, {pk: None for pk in ids})
        if ids:
            known.update({item.pk: str(item) for item in model.objects.filter(pk__in=list(ids))})
    token = _cache.set(cache)
    try:
        yield
    finally:
        _cache.reset(token)


def _related_names(model, pks) -> dict:
    """The names (``str``) of the model's rows with these ids."""
    cache = _cache.get()
    if cache is None:
        return {item.pk: str(item) for item in model.objects.filter(pk__in=list(pks))}
    known = cache.setdefault(model, {})
    missing = [pk for pk in pks if pk not in known]
    if missing:
        known.update({item.pk: str(item) for item in model.objects.filter(pk__in=missing)})
        known.update({pk: None for pk in missing if pk not in known})
    return {pk: known[pk] for pk in pks if known.get(pk) is not None}


def _shown(model, name, value, display) -> str:
    field = model._meta.get_field(name)
    if value in (None, "", []):
        return display(None)
    if isinstance(field, models.ForeignKey):
        return _related_names(field.related_model, [value]).get(value) or str(value)
    if name in MANY:
        found = _related_names(field.related_model, value)
        return display(sorted(found[pk] for pk in value if pk in found))
    if name == "keywords":
        return display(value)
    if isinstance(field, models.DecimalField):
        return display(Decimal(value))
    if isinstance(field, models.DateField):
        return display(dt.date.fromisoformat(value))
    if isinstance(field, models.TimeField):
        return display(dt.time.fromisoformat(value))
    base = getattr(field, "base_field", None)
    if base is not None and base.choices:
        return display(value, base.choices)
    return display(value, field.choices)


def _part_label(model, row) -> str:
    if model is Module:
        return row.get("title") or "–"
    if row.get("rolling_start"):
        return str(_("Einstieg jederzeit"))
    start = row.get("start_date")
    return dt.date.fromisoformat(start).strftime("%d.%m.%Y") if start else "–"


def _part_lines(model, before_rows, after_rows, display) -> list[dict]:
    singular = str(model._meta.verbose_name)
    lines = []
    old = {row["id"]: row for row in before_rows if row.get("id")}
    new_ids = set()
    for row in after_rows:
        previous = old.get(row.get("id"))
        if previous is None:
            lines.append(
                {"field": f"{singular}: {_part_label(model, row)}", "old": "–", "new": _("neu")}
            )
            continue
        new_ids.add(row["id"])
        for name, value in row.items():
            if name == "id" or previous.get(name) == value:
                continue
            lines.append(
                {
                    "field": f"{singular} {_part_label(model, previous)}: {_label(model, name)}",
                    "old": _shown(model, name, previous.get(name), display),
                    "new": _shown(model, name, value, display),
                }
            )
    for key, row in old.items():
        if key not in new_ids:
            lines.append(
                {
                    "field": f"{singular}: {_part_label(model, row)}",
                    "old": singular,
                    "new": _("gelöscht"),
                }
            )
    return lines


def change_lines(before: dict, after: dict, names, display) -> list[dict]:
    """Readable lines ``{"field", "old", "new"}`` for the change log, for the given names."""
    lines = []
    for name in sorted(names - {"dates", "modules"}, key=list(COURSE_FIELDS).index):
        lines.append(
            {
                "field": _label(Course, name),
                "old": _shown(Course, name, before.get(name), display),
                "new": _shown(Course, name, after.get(name), display),
            }
        )
    if "modules" in names:
        lines += _part_lines(Module, before["modules"], after["modules"], display)
    if "dates" in names:
        lines += _part_lines(CourseDate, before["dates"], after["dates"], display)
    return lines
