"""How complete a course's description is: the IWWB rule (as WISY applies it).

What (content, goals, prerequisites, qualification), when, where and price make up half of the
score; the other half comes from the remaining descriptive fields. Each part is a condition the
database evaluates (``with_completeness`` annotates a queryset: one boolean per part and the
score), so a list shows and sorts the score without a query per row; ``completeness_of`` reads
the annotations back as the score and the hints on what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.models import TaggedItem

from measures.models import Course, CourseDate

INCOMPLETE_BELOW = 70  # a course below this score counts as incomplete (dashboard, filter)


@dataclass(frozen=True)
class Part:
    key: str
    points: int
    core: bool  # part of the core half (what, when, where, price)
    label: str
    hint: str


PARTS = [
    # The core half: what (20), when (10), where (10), price (10).
    Part("content", 5, True, _("Inhalte"), _("Beschreibung oder Inhalte ergänzen.")),
    Part("objectives", 5, True, _("Lernziele"), _("Lernziele angeben.")),
    Part(
        "prerequisites",
        5,
        True,
        _("Voraussetzungen"),
        _("Voraussetzungen nennen (auch „keine“)."),
    ),
    Part("qualification", 5, True, _("Abschluss"), _("Abschluss oder Zertifikat angeben.")),
    Part(
        "when",
        10,
        True,
        _("Termin"),
        _("Einen aktuellen Termin oder „Einstieg jederzeit“ eintragen."),
    ),
    Part(
        "where", 10, True, _("Ort"), _("Bei den Terminen einen Ort wählen oder „online“ angeben.")
    ),
    Part("price", 10, True, _("Preis"), _("Preis angeben (oder „kostenfrei“, „auf Anfrage“).")),
    # The other half: the remaining descriptive fields.
    Part("summary", 7, False, _("Kurzbeschreibung"), _("Eine Kurzbeschreibung schreiben.")),
    Part("subjects", 7, False, _("Fachgebiete"), _("Mindestens ein Fachgebiet wählen.")),
    Part("keywords", 6, False, _("Schlagwörter"), _("Schlagwörter ergänzen.")),
    Part("target_groups", 6, False, _("Zielgruppen"), _("Zielgruppen wählen.")),
    Part("duration", 6, False, _("Dauer"), _("Stunden oder Unterrichtseinheiten angeben.")),
    Part("contact", 6, False, _("Ansprechperson"), _("Eine Ansprechperson wählen.")),
    Part(
        "registration",
        6,
        False,
        _("Anmeldung"),
        _("Anmeldelink oder Hinweise zur Anmeldung ergänzen."),
    ),
    Part("funding", 6, False, _("Förderung"), _("Förderarten angeben, falls förderfähig.")),
]
assert sum(part.points for part in PARTS) == 100
assert sum(part.points for part in PARTS if part.core) == 50


def _first_row(rows) -> Q:
    """Whether the course has such rows, as "the first one's id is not null": PostgreSQL
    looks it up per listed course by index, where for ``EXISTS`` it hashed the whole link
    table first (8 tables of 100,000 rows for a page of 50 courses)."""
    return Q(IsNull(Subquery(rows.values("pk")[:1]), False))


def _any_row(rows) -> Q:
    """Whether the course has such rows, as ``EXISTS``: PostgreSQL may hash the whole table
    once, the better way when every course is asked (a filter by completeness)."""
    return Q(Exists(rows))


def _with_own_dates(dates, *, per_row: bool) -> Q:
    """Whether the course has such dates; a new version waiting for review has no dates of its
    own: the published course's count. For a page of courses two conditions, each on a plain
    column, so that PostgreSQL looks up each listed course's dates by index (on
    ``COALESCE(revision_of, id)`` it read every date of the catalogue for a page); for every
    course at once the one condition, which PostgreSQL answers from one hashed pass."""
    if not per_row:
        return Q(Exists(dates.filter(course=Coalesce(OuterRef("revision_of"), OuterRef("pk")))))
    own = Q(revision_of__isnull=True) & Q(Exists(dates.filter(course=OuterRef("pk"))))
    published = Q(revision_of__isnull=False) & Q(
        Exists(dates.filter(course=OuterRef("revision_of")))
    )
    return own | published


def _current(day) -> Q:
    """Whether the course (a new version waiting for review: the published one) has a current
    date, from ``current_until`` (the last day any of its dates is current, kept by the
    database's trigger): a comparison on the row instead of a search of its dates (0.04 ms a
    course, most of the filter "unvollständig" at 1,000,000 courses). The published course is
    looked up by its key, per row."""
    day = day or timezone.localdate()
    own = Q(revision_of__isnull=True) & Q(current_until__gte=day)
    published = Course.objects.filter(pk=OuterRef("revision_of"), current_until__gte=day).order_by()
    return own | (Q(revision_of__isnull=False) & _first_row(published))


def _conditions(day=None, *, per_row=True):
    _has = _first_row if per_row else _any_row
    through = Course.subjects.through
    return {
        "content": ~Q(description="") | ~Q(contents=""),
        "objectives": ~Q(objectives=""),
        "prerequisites": ~Q(prerequisites=""),
        "qualification": Q(certificate_kind__isnull=False) | ~Q(certificate_details=""),
        "when": _current(day),
        "where": _with_own_dates(
            CourseDate.objects.filter(Q(venue__isnull=False) | Q(mode=CourseDate.Mode.ONLINE)),
            per_row=per_row,
        ),
        "price": Q(price__isnull=False)
        | Q(price_kind__in=[Course.PriceKind.FREE, Course.PriceKind.ON_REQUEST]),
        "summary": ~Q(summary=""),
        "subjects": _has(through.objects.filter(course=OuterRef("pk"))),
        "keywords": _has(
            TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Course),
                object_id=OuterRef("pk"),
            )
        ),
        "target_groups": _has(Course.target_groups.through.objects.filter(course=OuterRef("pk"))),
        "duration": Q(hours__isnull=False) | Q(teaching_units__isnull=False),
        "contact": Q(contact__isnull=False),
        "registration": ~Q(registration_url="") | ~Q(registration_notes=""),
        "funding": _has(Course.funding.through.objects.filter(course=OuterRef("pk"))),
    }


def _score(conditions: dict) -> Case:
    total = Value(0)
    for part in PARTS:
        total = total + Case(
            When(conditions[part.key], then=Value(part.points)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return total


def with_completeness(queryset, day=None):
    """Annotate ``has_<part>`` for every part and ``completeness`` (0–100), computed for the
    rows read (a page of a list)."""
    conditions = _conditions(day)
    flags = {
        f"has_{part.key}": ExpressionWrapper(conditions[part.key], output_field=BooleanField())
        for part in PARTS
    }
    return queryset.annotate(**flags).annotate(completeness=_score(conditions))


def filter_by_completeness(queryset, day=None, *, complete: bool):
    """The courses at or above the threshold (``complete``) or below it, decided for every
    course at once (the link tables hashed, not looked up course by course)."""
    score = _score(_conditions(day, per_row=False))
    queryset = queryset.alias(completeness_score=score)
    if complete:
        return queryset.filter(completeness_score__gte=INCOMPLETE_BELOW)
    return queryset.filter(completeness_score__lt=INCOMPLETE_BELOW)


@dataclass(frozen=True)
class Completeness:
    score: int
    missing: list[Part]

    @property
    def is_incomplete(self) -> bool:
        return self.score < INCOMPLETE_BELOW


def completeness_of(course) -> Completeness:
    """The score and the missing parts, from the annotations (or one query when absent)."""
    if not hasattr(course, "has_content"):
        course = with_completeness(Course.objects.filter(pk=course.pk)).get()
    missing = [part for part in PARTS if not getattr(course, f"has_{part.key}")]
    return Completeness(score=100 - sum(part.points for part in missing), missing=missing)
