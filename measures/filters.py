"""The course search's filters (django-filter): every state of the search is a GET URL.

Filters on a course's dates (where, when, weekdays, time of day, mode, the venue's
accessibility, price) must hold for the *same* current date, so they are collected as
conditions on :class:`CourseDate` and applied together as one ``EXISTS``.
"""

from __future__ import annotations

from datetime import time

import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.listing import DEFAULT_RADIUS, MAX_RADIUS, MIN_RADIUS, is_empty
from measures.models import (
    Course,
    CourseDate,
)
from measures.models.dates import WEEKDAYS
from measures.vocabulary import vocabulary
from network.models import Organisation, Region

MORNING_END = time(12, 0)
EVENING_START = time(17, 0)

TIME_OF_DAY = [
    ("morning", _("vormittags (Beginn vor 12 Uhr)")),
    ("afternoon", _("nachmittags (Beginn 12 bis 17 Uhr)")),
    ("evening", _("abends (Beginn ab 17 Uhr)")),
    ("weekend", _("am Wochenende")),
]

ACCESSIBILITY = [
    ("step_free", _("stufenloser Zugang")),
    ("toilet", _("barrierefreies WC")),
    ("hearing_loop", _("Induktionsschleife")),
    ("childcare", _("Kinderbetreuung")),
    ("easy_language", _("Beschreibung in Leichter Sprache")),
]
VENUE_ACCESSIBILITY = {
    "step_free": "venue__step_free_access",
    "toilet": "venue__accessible_toilet",
    "hearing_loop": "venue__hearing_loop",
}
COURSE_ACCESSIBILITY = {"childcare": "childcare", "easy_language": "easy_language"}

SORT_CHOICES = [
    ("relevance", _("Relevanz")),
    ("date", _("nächster Beginn")),
    ("distance", _("Entfernung")),
    ("price", _("Preis")),
]


class VocabularyField(forms.Field):
    """One entry (or several) of a search vocabulary, by slug or key, checked in memory
    against ``measures.vocabulary`` instead of one query per parameter."""

    default_error_messages = {
        "invalid_choice": _("„%(value)s“ ist keine der angebotenen Möglichkeiten."),
    }

    def __init__(self, *, entries: str, multiple: bool = False, empty_label=None, **kwargs):
        self.entries, self.multiple, self.empty_label = entries, multiple, empty_label
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple if multiple else forms.Select)
        super().__init__(**kwargs)

    def to_python(self, value):
        known = getattr(vocabulary(), self.entries)
        values = [item for item in (value or []) if item] if self.multiple else [value]
        if not self.multiple and value in self.empty_values:
            return None
        found = []
        for item in values:
            entry = known.get(str(item))
            if entry is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": "".join(ch for ch in str(item) if ch.isprintable())[:40]},
                )
            found.append(entry)
        return found if self.multiple else found[0]

    def prepare_value(self, value):
        """An entry as the form submits it: a region by its key, the others by their slug."""
        if isinstance(value, list | tuple):
            return [self.prepare_value(item) for item in value]
        if isinstance(value, str) or value is None:
            return value
        return value.key if self.entries == "regions" else value.slug

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class VocabularyFilter(django_filters.Filter):
    field_class = VocabularyField


class CourseFilter(django_filters.FilterSet):
    """Validates the search parameters and applies them; see ``measures.selectors``."""

    q = django_filters.CharFilter(label=_("Suchbegriff"), method="filter_nothing", max_length=200)
    region = VocabularyFilter(
        label=_("Region"),
        entries="regions",
        method="filter_region",
        empty_label=_("alle Regionen"),
    )
    place = django_filters.CharFilter(
        label=_("Postleitzahl oder Ort"), method="filter_nothing", max_length=100
    )
    radius = django_filters.NumberFilter(
        label=_("Umkreis in km"),
        method="filter_nothing",
        min_value=MIN_RADIUS,
        max_value=MAX_RADIUS,
    )
    date_from = django_filters.DateFilter(
        label=_("Beginn ab"),
        method="filter_date_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Beginn bis"),
        method="filter_date_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    rolling = django_filters.BooleanFilter(
        label=_("nur mit Einstieg jederzeit"),
        method="filter_rolling",
        widget=forms.CheckboxInput,
    )
    weekday = django_filters.MultipleChoiceFilter(
        label=_("Wochentage"),
        choices=[(str(number), name) for number, name in WEEKDAYS],
        method="filter_weekday",
        widget=forms.CheckboxSelectMultiple,
    )
    time = django_filters.MultipleChoiceFilter(
        label=_("Tageszeit"),
        choices=TIME_OF_DAY,
        method="filter_time",
        widget=forms.CheckboxSelectMultiple,
    )
    mode = django_filters.MultipleChoiceFilter(
        label=_("Form"),
        choices=CourseDate.Mode.choices,
        method="filter_mode",
        widget=forms.CheckboxSelectMultiple,
    )
    max_price = django_filters.NumberFilter(
        label=_("Preis bis (Euro)"), method="filter_max_price", min_value=0, max_value=1_000_000
    )
    free = django_filters.BooleanFilter(
        label=_("nur kostenfreie Angebote"), method="filter_free", widget=forms.CheckboxInput
    )
    funding = VocabularyFilter(
        label=_("Förderung"), entries="funding", multiple=True, method="filter_funding"
    )
    certificate = VocabularyFilter(
        label=_("Abschluss"), entries="certificates", multiple=True, method="filter_certificate"
    )
    target_group = VocabularyFilter(
        label=_("Zielgruppe"), entries="target_groups", multiple=True, method="filter_target_group"
    )
    subject = VocabularyFilter(
        label=_("Thema"), entries="subjects", method="filter_subject", empty_label=_("alle Themen")
    )
    language = django_filters.MultipleChoiceFilter(
        label=_("Unterrichtssprache"),
        choices=Course.Language.choices,
        method="filter_language",
        widget=forms.CheckboxSelectMultiple,
    )
    access = django_filters.MultipleChoiceFilter(
        label=_("Barrierefreiheit"),
        choices=ACCESSIBILITY,
        method="filter_access",
        widget=forms.CheckboxSelectMultiple,
    )
    provider = django_filters.ModelChoiceFilter(
        label=_("Anbieter"),
        queryset=Organisation.objects.filter(is_provider=True),
        to_field_name="slug",
        method="filter_provider",
        empty_label=_("alle Anbieter"),
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Art des Angebots"),
        choices=Course.Kind.choices,
        method="filter_kind",
        widget=forms.CheckboxSelectMultiple,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sortierung"), choices=SORT_CHOICES, method="filter_nothing", empty_label=None
    )

    # Names of the filters that act on a course's dates.
    DATE_FILTERS = (
        "region",
        "place",
        "radius",
        "date_from",
        "date_to",
        "rolling",
        "weekday",
        "time",
        "mode",
        "max_price",
        "free",
        "access",
    )

    class Meta:
        model = Course
        fields: list[str] = []

    def __init__(self, data=None, *args, place=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.place = place
        self.date_conditions: list[Q] = []
        self._summary_conditions: list[Q | None] = []

    # The queryset ---------------------------------------------------------------------------

    def filter_queryset(self, queryset):
        return self.apply(queryset)

    def apply(self, queryset, *, exclude=frozenset(), radius_km=None):
        """The queryset with every valid filter applied except those in ``exclude``.

        Facets and the "drop this filter" help call this with the same validated form, so a
        search builds one form however many variants it counts. ``date_conditions`` holds the
        conditions on the dates afterwards (for counting per date).

        Conditions on the dates must hold for one and the same date, so together they are one
        ``EXISTS`` over the dates. A single condition that the course's date summary answers
        as well (region, place, mode) is tested on the course instead: an indexed array test.
        """
        self.date_conditions = []
        self._summary_conditions = []
        for name, value in self.form.cleaned_data.items():
            if name in exclude or is_empty(value):
                continue
            queryset = self.filters[name].filter(queryset, value)
        if self.place is not None and "place" not in exclude:
            from measures.search_geo import course_within_radius, within_radius

            radius = radius_km or self.radius_km
            self._on_dates(
                within_radius(self.place, radius),
                summary=course_within_radius(self.place, radius),
            )
        if len(self.date_conditions) == 1 and self._summary_conditions[0] is not None:
            queryset = queryset.filter(self._summary_conditions[0])
        elif self.date_conditions:
            dates = CourseDate.objects.current().filter(course=OuterRef("pk"))
            for condition in self.date_conditions:
                dates = dates.filter(condition)
            queryset = queryset.filter(Exists(dates))
        return queryset

    def _on_dates(self, condition: Q, *, summary: Q | None = None) -> None:
        """Add a condition on the dates, with its equivalent on the course summary if any."""
        self.date_conditions.append(condition)
        self._summary_conditions.append(summary)

    @property
    def radius_km(self) -> int:
        radius = (
            self.form.cleaned_data.get("radius") if hasattr(self.form, "cleaned_data") else None
        )
        return int(radius) if radius else DEFAULT_RADIUS

    # Filter methods: course-level ones filter the queryset, date-level ones add conditions ----

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_region(self, queryset, name, value):
        if value.kind == Region.Kind.COUNTRY:
            condition = Q(venue__region__country=value.country)
        else:
            condition = Q(venue__region__key__startswith=value.key)
        keys = ArraySubquery(Region.objects.within(value).values("key"))
        self._on_dates(condition, summary=Q(facet_regions__overlap=keys))
        return queryset

    def filter_date_from(self, queryset, name, value):
        self._on_dates(Q(rolling_start=True) | Q(start_date__gte=value))
        return queryset

    def filter_date_to(self, queryset, name, value):
        self._on_dates(Q(rolling_start=True) | Q(start_date__lte=value))
        return queryset

    def filter_rolling(self, queryset, name, value):
        self._on_dates(Q(rolling_start=True))
        return queryset

    def filter_weekday(self, queryset, name, value):
        self._on_dates(Q(weekdays__overlap=[int(day) for day in value]))
        return queryset

    def filter_time(self, queryset, name, value):
        condition = Q()
        if "morning" in value:
            condition |= Q(start_time__lt=MORNING_END)
        if "afternoon" in value:
            condition |= Q(start_time__gte=MORNING_END, start_time__lt=EVENING_START)
        if "evening" in value:
            condition |= Q(start_time__gte=EVENING_START)
        if "weekend" in value:
            condition |= Q(weekdays__overlap=[5, 6])
        self._on_dates(condition)
        return queryset

    def filter_mode(self, queryset, name, value):
        self._on_dates(Q(mode__in=value), summary=Q(facet_modes__overlap=list(value)))
        return queryset

    def filter_max_price(self, queryset, name, value):
        self._on_dates(
            Q(price__lte=value)
            | Q(price__isnull=True, course__price__lte=value)
            | Q(price__isnull=True, course__price_kind=Course.PriceKind.FREE)
        )
        return queryset

    def filter_free(self, queryset, name, value):
        self._on_dates(
            Q(price=0)
            | Q(price__isnull=True, course__price_kind=Course.PriceKind.FREE)
            | Q(price__isnull=True, course__price=0)
        )
        return queryset

    def filter_access(self, queryset, name, value):
        for key in value:
            if key in VENUE_ACCESSIBILITY:
                self._on_dates(Q(**{VENUE_ACCESSIBILITY[key]: True}))
            else:
                queryset = queryset.filter(**{COURSE_ACCESSIBILITY[key]: True})
        return queryset

    # The course's id arrays (kept by the database) stand in for the link tables.
    def filter_funding(self, queryset, name, value):
        return queryset.filter(facet_funding__overlap=[item.pk for item in value])

    def filter_certificate(self, queryset, name, value):
        return queryset.filter(certificate_kind__in=[item.pk for item in value])

    def filter_target_group(self, queryset, name, value):
        return queryset.filter(facet_target_groups__overlap=[item.pk for item in value])

    def filter_subject(self, queryset, name, value):
        return queryset.filter(facet_subjects__overlap=vocabulary().descendant_ids(value))

    def filter_language(self, queryset, name, value):
        return queryset.filter(language__in=value)

    def filter_provider(self, queryset, name, value):
        return queryset.filter(provider=value)

    def filter_kind(self, queryset, name, value):
        return queryset.filter(kind__in=value)
