"""What the listings share — the course search, the provider search and the partner directory:
bounded parameters, page numbers, validation messages, facets counted in one query, filter
groups and removable chips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import django_filters
from django import forms
from django.db.models import CharField, Count, Model, QuerySet, Value
from django.http import QueryDict
from django.utils.html import escape
from django.utils.safestring import mark_safe

MAX_PAGE = 500
# Radius searches around a place (postal code or place name), in km.
RADIUS_CHOICES = [5, 10, 25, 50, 100]
DEFAULT_RADIUS = 25
MIN_RADIUS, MAX_RADIUS = 5, 100
MAX_KEYS, MAX_VALUES, MAX_KEY_LENGTH, MAX_VALUE_LENGTH = 40, 20, 40, 200


def bounded(params: QueryDict) -> QueryDict:
    """At most 20 values per key and 200 characters per value: nothing oversized reaches SQL."""
    result = QueryDict(mutable=True)
    for key, values in list(params.lists())[:MAX_KEYS]:
        result.setlist(
            key[:MAX_KEY_LENGTH], [value[:MAX_VALUE_LENGTH] for value in values[:MAX_VALUES]]
        )
    return result


def is_empty(value) -> bool:
    """Whether a cleaned filter value means "not filtered"."""
    if isinstance(value, QuerySet):
        return value.query.is_empty()
    return value in (None, "", [], (), False)


class ApplyMixin:
    """For a django-filter FilterSet: ``apply(queryset, exclude=…)`` applies every valid filter
    but the excluded ones (facets count each option with all other filters applied)."""

    def filter_queryset(self, queryset):
        return self.apply(queryset)

    def apply(self, queryset, *, exclude=frozenset()):
        for name, value in self.form.cleaned_data.items():
            if name in exclude or is_empty(value):
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_nothing(self, queryset, name, value):
        return queryset


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)


def page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def form_errors(form) -> list[str]:
    """The form's errors as "Label: message" lines (the form must have been validated)."""
    return [
        f"{form.fields[name].label}: {' '.join(messages)}"
        for name, messages in form.errors.items()
        if name in form.fields
    ]


@dataclass
class FacetOption:
    value: str
    label: str
    count: int


@dataclass
class FilterOption:
    value: str
    label: str
    checked: bool
    count: int | None = None


@dataclass
class FilterGroup:
    """One fieldset of a filter form: a legend and its options (checkboxes or radios)."""

    name: str
    legend: str
    options: list[FilterOption]
    input_type: str = "checkbox"
    all_label: str = ""

    @property
    def nothing_checked(self) -> bool:
        return not any(option.checked for option in self.options)

    def options_html(self):
        """The group's inputs, built here rather than by the template engine: the course
        search has about 150 of them. Every value and label is escaped."""
        name, kind = escape(self.name), escape(self.input_type)
        parts = []
        for number, option in enumerate(self.options, start=1):
            count = ""
            if option.count is not None:
                count = f' <span class="count">({option.count:d})</span>'
            parts.append(
                f'<div class="option"><input type="{kind}" id="f-{name}-{number}" name="{name}" '
                f'value="{escape(option.value)}"{" checked" if option.checked else ""}>'
                f'<label for="f-{name}-{number}">{escape(option.label)}{count}</label></div>'
            )
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@dataclass
class Facets:
    """Facet name -> options with counts."""

    options: dict[str, list[FacetOption]] = field(default_factory=dict)

    def counts(self, name: str) -> dict[str, int]:
        return {option.value: option.count for option in self.options.get(name, [])}

    def get(self, name: str) -> list[FacetOption]:
        return self.options.get(name, [])


def grouped(queryset, facet_name: str, key, label, counted: str):
    """``(facet, value, label, count)`` rows of one facet, ready to be united with others."""
    return (
        queryset.annotate(
            facet=Value(facet_name, output_field=CharField()),
            facet_value=key,
            facet_label=label,
        )
        .values("facet", "facet_value", "facet_label")
        .annotate(n=Count(counted, distinct=True))
        .values_list("facet", "facet_value", "facet_label", "n")
        .order_by()
    )


def count_facets(rows: list) -> dict[str, list[tuple[str, str, int]]]:
    """Run the facet queries as one UNION ALL; facet name -> [(value, label, count)]."""
    if not rows:
        return {}
    union = rows[0].union(*rows[1:], all=True)
    result: dict[str, list[tuple[str, str, int]]] = {}
    for facet_name, value, label, count in union:
        result.setdefault(facet_name, []).append((str(value), str(label), count))
    return result


def chips(params: QueryDict, form, names) -> list[tuple[str, str]]:
    """Each active, valid filter value as (label, URL without it); the page is dropped."""
    found = []
    for name in names:
        values = [value for value in params.getlist(name) if value]
        if not values or name not in form.fields or name in form.errors:
            continue
        field_ = form.fields[name]
        labels = _value_labels(form, name)
        for value in values:
            remaining = params.copy()
            remaining.setlist(name, [other for other in values if other != value])
            remaining.pop("page", None)
            if name == "place":
                remaining.pop("radius", None)
            if isinstance(field_, forms.BooleanField | forms.NullBooleanField):
                label = str(field_.label)
            else:
                label = f"{field_.label}: {labels.get(value, value)}"
            found.append((label, "?" + remaining.urlencode()))
    return found


def _value_labels(form, name) -> dict[str, str]:
    """Readable labels for the chosen values: the chosen objects' names, or choice labels.

    Model fields are labelled from the cleaned objects (no query); choice fields from their
    choices."""
    field_ = form.fields[name]
    if hasattr(field_, "queryset"):
        cleaned = form.cleaned_data.get(name)
        objects = [cleaned] if isinstance(cleaned, Model) else list(cleaned or [])
        key = getattr(field_, "to_field_name", None) or "pk"
        return {str(getattr(obj, key)): str(obj) for obj in objects}
    return {str(key): str(label) for key, label in getattr(field_, "choices", None) or []}
