"""What the listings share — the course search, the provider search and the partner directory:
one pipeline (:class:`Listing`: scope → validate → filter → search → order → paginate → facets,
chips and filter groups), bounded parameters, page numbers, validation messages, facets counted
in one query, filter groups and removable chips.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, Model, QuerySet, Value
from django.http import QueryDict
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

MAX_PAGE = 500
# Radius searches around a place (postal code or place name), in km.
RADIUS_CHOICES = [5, 10, 25, 50, 100]
DEFAULT_RADIUS = 25
MIN_RADIUS, MAX_RADIUS = 5, 100
MAX_KEYS, MAX_VALUES, MAX_KEY_LENGTH, MAX_VALUE_LENGTH = 40, 20, 40, 200


def escape_html(value) -> str:
    """``django.utils.html.escape`` without its wrapper for lazy strings and ``SafeString``
    (0.5 instead of 2.2 µs a call; a page's inputs and cards make hundreds): the same
    characters escaped, as a plain ``str`` to be marked safe once joined."""
    return html.escape(str(value))


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


@dataclass(frozen=True)
class FieldText:
    """What a filter form's field says, as plain strings in one language."""

    label: str
    empty_label: str  # the option for none, where the field has one
    choices: tuple[tuple[str, str], ...] | None  # None: none, or read from the database


class SharedFormMixin:
    """For a django-filter FilterSet whose fields are the same for every request (no queryset
    that depends on the request): the form class is built once per filter set class, and the
    filters are copied only when asked for (``apply`` needs them, the course search never).

    django-filter deep-copies every filter, builds a field for each and a form class for each
    instance: 1.0 of the 1.5 ms it took to build the course search's form. Each form still
    gets its own copies of the fields (Django's deep copy), so nothing one request does reaches
    another.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's ``BaseFilterSet.__init__`` without the copy of every filter.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = self._meta.model._default_manager.all() if queryset is None else queryset
        self.request = request
        self.form_prefix = prefix

    @cached_property
    def filters(self) -> dict:
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
        return filters

    @classmethod
    def shared_form_class(cls) -> type[forms.Form]:
        form_class = cls.__dict__.get("_shared_form_class")
        if form_class is None:
            filters = copy.deepcopy(cls.base_filters)
            for name, filter_ in filters.items():
                if callable(getattr(filter_, "queryset", None)):
                    raise TypeError(f"{cls.__name__}.{name}: its choices depend on the request")
                filter_.model = cls._meta.model
            fields = {name: filter_.field for name, filter_ in filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._shared_form_class = form_class
        return form_class

    def get_form_class(self):
        return self.shared_form_class()

    @classmethod
    def field_text(cls, name: str) -> FieldText:
        """A field's label, option for none and choices, translated once per language (a lazy
        translation is looked up again at every use: a search used about 60)."""
        texts = cls.__dict__.get("_field_texts")
        if texts is None:
            texts = cls._field_texts = {}
        key = (name, get_language())
        text = texts.get(key)
        if text is None:
            field_ = cls.shared_form_class().base_fields[name]
            empty_label = getattr(field_, "empty_label", None)
            choices = None
            if hasattr(field_, "choices") and not hasattr(field_, "queryset"):
                choices = tuple((str(value), str(label)) for value, label in field_.choices)
            text = FieldText(
                label=str(field_.label),
                empty_label="" if empty_label is None else str(empty_label),
                choices=choices,
            )
            texts[key] = text
        return text


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
    name: str = ""  # the parameter, where it is not the group's (a yes/no filter in a group)


@dataclass
class FilterField:
    """An input of a filter group that is not an option to tick: a date, a number."""

    name: str
    label: str
    value: str
    input_type: str = "text"
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class FilterGroup:
    """One fieldset of a filter form: a legend and its options (checkboxes or radios)."""

    name: str
    legend: str
    options: list[FilterOption]
    input_type: str = "checkbox"
    all_label: str = ""  # radios: the option that chooses none
    fields: list[FilterField] = field(default_factory=list)  # shown before the options

    @property
    def nothing_checked(self) -> bool:
        return not any(option.checked for option in self.options)

    def options_html(self):
        """The group's inputs, built here rather than by the template engine: the course
        search has about 150 of them. Every value and label is escaped."""
        name, kind = escape_html(self.name), escape_html(self.input_type)
        parts = []
        for number, option in enumerate(self.options, start=1):
            count = ""
            if option.count is not None:
                count = f' <span class="count">({option.count:d})</span>'
            parameter = escape_html(option.name) if option.name else name
            parts.append(
                f'<div class="option"><input type="{kind}" id="f-{name}-{number}" '
                f'name="{parameter}" '
                f'value="{escape_html(option.value)}"{" checked" if option.checked else ""}>'
                f'<label for="f-{name}-{number}">{escape_html(option.label)}{count}</label></div>'
            )
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def html(self):
        """The group as a fieldset: its legend, its fields, a radio group's option for none,
        and its options (or a note that there are none). Every value is escaped."""
        name = escape_html(self.name)
        parts = [
            f'<fieldset class="filter-group">\n  <legend>{escape_html(self.legend)}</legend>\n'
        ]
        for field_ in self.fields:
            field_name = escape_html(field_.name)
            attrs = "".join(
                f' {escape_html(attribute)}="{escape_html(value)}"'
                for attribute, value in field_.attrs.items()
            )
            parts.append(
                f'  <label for="id_{field_name}">{escape_html(field_.label)}</label>\n'
                f'  <input type="{escape_html(field_.input_type)}" id="id_{field_name}" '
                f'name="{field_name}" value="{escape_html(field_.value)}"{attrs}>\n'
            )
        if self.input_type == "radio":
            checked = " checked" if self.nothing_checked else ""
            parts.append(
                f'  <div class="option"><input type="radio" id="f-{name}-all" name="{name}" '
                f'value=""{checked}><label for="f-{name}-all">{escape_html(self.all_label)}'
                "</label></div>\n"
            )
        if self.options:
            parts.append(f"  {self.options_html()}\n")
        elif not self.fields:
            parts.append(f'  <p class="muted">{escape_html(gettext("keine Angaben"))}</p>\n')
        parts.append("</fieldset>\n")
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


# Chips ----------------------------------------------------------------------------------------


@dataclass
class Chip:
    """An active filter value, removable: its label, the URL without it, the filter's name."""

    label: str
    url: str
    name: str


def value_labels(form, name) -> dict[str, str]:
    """Readable labels of a filter's values: the chosen objects' names (from the validated
    form, no query), or the labels of the field's choices."""
    field_ = form.fields[name]
    cleaned = form.cleaned_data.get(name)
    if isinstance(cleaned, Model):
        cleaned = [cleaned]
    if isinstance(cleaned, list | tuple | QuerySet) and any(
        isinstance(obj, Model) for obj in cleaned
    ):
        # The value an object is chosen by, as the form's field writes it (slug, key or pk).
        return {str(field_.prepare_value(obj)): str(obj) for obj in cleaned}
    if hasattr(field_, "queryset"):
        return {}  # nothing valid chosen: no query for the field's choices
    return {str(key): str(label) for key, label in getattr(field_, "choices", None) or []}


# The pipeline ---------------------------------------------------------------------------------


@dataclass
class Result:
    """What a listing page shows."""

    params: QueryDict
    filterset: Any
    sort: str
    sort_choices: list[tuple[str, str]]
    page: Page
    errors: list[str] = field(default_factory=list)
    query: Any = None  # the parsed search term, where the listing searches full text
    place_lookup: Any = None  # the place searched around, where the listing has one
    facets: Any = None
    chips: list[Chip] = field(default_factory=list)
    filter_groups: list[FilterGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def filter_count(self) -> int:
        """Active filters besides the search term, for the folded filter panel's label."""
        return sum(1 for chip in self.chips if chip.name != "q")


class Listing:
    """One listing: scope → validate → filter → search → order → paginate → facets, chips and
    filter groups, in that order (``run``).

    A listing configures the attributes below and overrides the steps that differ. The default
    steps filter, order and page a queryset with a django-filter ``FilterSet`` whose
    ``apply(queryset, exclude=…)`` applies every valid filter but the excluded ones (the
    provider search, the partner directory); the course search replaces filter, search, order,
    paginate and facets with its in-memory index. One instance runs one search.
    """

    # validates the parameters and applies the filters: a FilterSet with SharedFormMixin
    filterset_class: type
    sorts: Sequence[tuple[str, str]] = ()  # the whitelisted orders: key, label
    default_sort = ""  # the order without a search term or a place
    page_size = 20
    result_class: type[Result] = Result
    # Where a listing has them: the parser of the search term ``q``, and the resolver of the
    # place ``place`` (a lookup with ``place`` and ``error``; the filter set gets the place).
    parse_query: Callable | None = None
    resolve_place: Callable | None = None
    # Parameters of the filter set that are no filter of their own, and parameters that go
    # when a filter's chip is removed.
    not_filters: Sequence[str] = ("sort", "radius")
    companions: Sequence[tuple[str, str]] = (("place", "radius"),)

    def __init__(self, params: QueryDict):
        self.params = bounded(params)
        self.query = None
        self.place_lookup = None

    def run(self) -> Result:
        self.cleaned, errors = self.validate()
        self.sort = self.choose_sort(self.cleaned.get("sort"))
        found = self.matching()
        result = self.result_class(
            params=self.params,
            filterset=self.filterset,
            sort=self.sort,
            sort_choices=self.sort_choices(),
            page=self.paginate(found, self.order(found)),
            errors=errors,
            query=self.query,
            place_lookup=self.place_lookup,
        )
        result.facets = self.facets(found)
        result.chips = self.chips()
        self.finish(result, found)
        result.filter_groups = self.filter_groups(result)
        return result

    @property
    def place(self):
        return None if self.place_lookup is None else self.place_lookup.place

    # The steps ------------------------------------------------------------------------------

    def scope(self):
        """Everything the listing may show, before any filter."""
        raise NotImplementedError

    def validate(self) -> tuple[dict, list[str]]:
        """The cleaned parameters, and a message for each one that cannot be used (the
        listing shows results for the rest)."""
        self.filterset = self.filterset_class(self.params)
        form = self.filterset.form
        form.is_valid()
        cleaned, errors = form.cleaned_data, form_errors(form)
        if self.resolve_place is not None:
            self.place_lookup = self.resolve_place(cleaned.get("place") or "")
            if self.place_lookup.error:
                errors.append(self.place_lookup.error)
            self.filterset.place = self.place_lookup.place
        if self.parse_query is not None:
            self.query = self.parse_query(cleaned.get("q") or "")
        return cleaned, errors

    def filter(self, scope, *, exclude=frozenset()):
        """The scope with every valid filter applied but the excluded ones."""
        return self.filterset.apply(scope, exclude=exclude)

    def search(self, found):
        """What the search term finds among ``found`` (where the term is a filter: all)."""
        return found

    def matching(self, exclude=frozenset()):
        """Scope → filter → search, leaving out the excluded filters: the facets count each
        option with every other filter applied."""
        return self.search(self.filter(self.scope(), exclude=exclude))

    def order(self, found):
        return found

    def page_data(self, ordered):
        """The ordered results with what a result shows (joins, prefetches)."""
        return ordered

    def decorate(self, objects: list) -> list:
        """The objects of one page, made ready to show."""
        return objects

    def paginate(self, found, ordered) -> Page:
        paginator = Paginator(self.page_data(ordered), self.page_size)
        paginator.count = found.order_by().count()  # without the order and the page's data
        page = paginator.get_page(page_number(self.params.get("page")))
        page.object_list = self.decorate(list(page.object_list))
        return page

    def facets(self, found):
        return Facets()

    def finish(self, result: Result, found) -> None:
        """Whatever else the listing's page shows (help with few results, say)."""

    def filter_groups(self, result: Result) -> list[FilterGroup]:
        """The option groups of the filter form (built with the helpers below)."""
        return []

    # Orders ---------------------------------------------------------------------------------

    def sort_possible(self, key: str) -> bool:
        """Relevance needs a search term, distance a place."""
        if key == "relevance":
            return bool(self.query)
        if key == "distance":
            return self.place is not None
        return True

    def sort_choices(self) -> list[tuple[str, str]]:
        """The orders that make sense for this search."""
        return [(key, label) for key, label in self.sorts if self.sort_possible(key)]

    def choose_sort(self, requested) -> str:
        """The order asked for if it makes sense; else by relevance with a search term, by
        distance with a place, else the default."""
        possible = [key for key, _label in self.sort_choices()]
        if requested in possible:
            return requested
        return next(
            (key for key in ("relevance", "distance") if key in possible), self.default_sort
        )

    # Chips ----------------------------------------------------------------------------------

    def filter_names(self) -> list[str]:
        return [name for name in self.filterset.form.fields if name not in self.not_filters]

    def chips(self) -> list[Chip]:
        """Each active, valid filter value as a chip whose link drops it (and the page, and a
        companion such as the radius of a place). A yes/no filter's chip reads its label."""
        form, params = self.filterset.form, self.params
        found = []
        for name in self.filter_names():
            values = [value for value in params.getlist(name) if value]
            if not values or name in form.errors:
                continue
            field_ = form.fields[name]
            labels = value_labels(form, name)
            for value in values:
                remaining = params.copy()
                remaining.setlist(name, [other for other in values if other != value])
                remaining.pop("page", None)
                for owner, companion in self.companions:
                    if owner == name:
                        remaining.pop(companion, None)
                if isinstance(field_, forms.BooleanField | forms.NullBooleanField):
                    label = str(field_.label)
                else:
                    label = f"{field_.label}: {labels.get(value, value)}"
                found.append(Chip(label, "?" + remaining.urlencode(), name))
        return found

    # Filter groups --------------------------------------------------------------------------

    def chosen(self, name: str) -> list[str]:
        """The values given for a filter; none if they did not validate."""
        if name in self.filterset.form.errors:
            return []
        return list(dict.fromkeys(value for value in self.params.getlist(name) if value))

    def label(self, name: str) -> str:
        return self.filterset.field_text(name).label

    def radio_group(self, name: str, options: Sequence[FacetOption]) -> FilterGroup:
        """One value of a facet (a subject, a region), with an option for none. A chosen value
        the facet does not list (it finds nothing) is shown all the same."""
        chosen = next(iter(self.chosen(name)), "")
        group = [
            FilterOption(option.value, option.label, option.value == chosen, option.count)
            for option in options
            if option.count or option.value == chosen
        ]
        if chosen and not any(option.checked for option in group):
            value = self.cleaned.get(name)
            if value is not None:
                group.insert(0, FilterOption(chosen, str(value), True, 0))
        return FilterGroup(
            name,
            self.label(name),
            group,
            input_type="radio",
            all_label=self.filterset.field_text(name).empty_label,
        )

    def checkbox_group(
        self,
        name: str,
        choices: Sequence[tuple[str, str]] | None = None,
        counts: dict[str, int] | None = None,
        *,
        legend: str = "",
        found_only: bool = False,
    ) -> FilterGroup:
        """Several values: the field's choices (or those given), each with its count where
        there are counts; ``found_only``: only the options that find something or are chosen."""
        chosen = set(self.chosen(name))
        if choices is None:
            choices = self.filterset.field_text(name).choices
            if choices is None:  # from the database: this request's own
                choices = [
                    (str(value), str(label))
                    for value, label in self.filterset.form.fields[name].choices
                ]
        if found_only:
            choices = [(v, label) for v, label in choices if (counts or {}).get(v) or v in chosen]
        return FilterGroup(
            name,
            legend or self.label(name),
            [
                FilterOption(
                    value, label, value in chosen, None if counts is None else counts.get(value, 0)
                )
                for value, label in choices
            ],
        )

    def facet_group(self, name: str, options: Sequence[FacetOption]) -> FilterGroup:
        """Checkboxes for the options a facet found, and any chosen one it did not find."""
        listed = {option.value for option in options}
        labels = value_labels(self.filterset.form, name)
        missing = [v for v in self.chosen(name) if v not in listed and v in labels]
        return self.checkbox_group(
            name,
            [(option.value, option.label) for option in options]
            + [(v, labels[v]) for v in missing],
            {option.value: option.count for option in options},
        )
