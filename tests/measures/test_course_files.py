"""The course file format's own rules: every check constraint of a course and a date is
applied by the import's value checks, and the bulk state equals the state of one course."""

from __future__ import annotations

import pytest
from django.db import models

from measures import versions
from measures.course_files.columns import COLUMNS, KEYS
from measures.course_files.readers import clean_text
from measures.course_files.values import CHECKED_CONSTRAINTS
from measures.course_files.writers import neutralise
from measures.models import Course, CourseDate, Module
from tests.factories import make_course, make_provider, make_venue


def test_every_check_constraint_is_applied_by_the_import():
    checks = {
        constraint.name
        for model in (Course, CourseDate)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    }
    assert checks == CHECKED_CONSTRAINTS


def test_columns_are_unique_and_name_model_fields():
    assert len(KEYS) == len(set(KEYS))
    models_by_part = {"course": Course, "date": CourseDate, "module": Module}
    for column in COLUMNS:
        if column.field:
            models_by_part[column.part]._meta.get_field(column.field)


@pytest.mark.parametrize("text", ["=SUMME(A1)", "+49 6131", "-Text", "@Name", "Normal", "'x"])
def test_neutralised_cells_read_back_unchanged(text):
    assert clean_text(neutralise(text)) == text


@pytest.mark.django_db
def test_bulk_states_equal_single_states():
    provider = make_provider()
    venue = make_venue(provider, "55116")
    first = make_course(provider, "Eins", keywords=["a", "B"], dates=[{"venue": venue}, {}])
    Module.objects.create(course=first, title="M", position=2, teaching_units=4)
    second = make_course(provider, "Zwei", dates=[])
    states = versions.course_states([first.pk, second.pk])
    assert states == {
        first.pk: versions.course_state(first),
        second.pk: versions.course_state(second),
    }
