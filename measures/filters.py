"""The course search's parameters (django-filter): every state of the search is a GET URL.

``CourseFilter`` names the parameters, their labels and choices, and validates them; the
filters themselves run in the search index (``measures.search_index``). The tests restate
every filter in SQL as an oracle for the index (``tests/measures/sql_filters.py``).
"""

from __future__ import annotations

from datetime import time

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.listing import DEFAULT_RADIUS, MAX_RADIUS, MIN_RADIUS, SharedFormMixin
from measures.models import Course, CourseDate
from measures.models.dates import WEEKDAYS
from measures.vocabulary import vocabulary
from network.models import Organisation

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


class CourseFilter(SharedFormMixin, django_filters.FilterSet):
    """The search's parameters, validated; ``measures.search_index`` applies them.

    Filtering a queryset with it is not supported: the index is the one implementation of
    the filters (the tests' SQL restatement subclasses this class).
    """

    q = django_filters.CharFilter(label=_("Suchbegriff"), max_length=200)
    region = VocabularyFilter(
        label=_("Region"),
        entries="regions",
        empty_label=_("alle Regionen"),
    )
    place = django_filters.CharFilter(label=_("Postleitzahl oder Ort"), max_length=100)
    radius = django_filters.NumberFilter(
        label=_("Umkreis in km"),
        min_value=MIN_RADIUS,
        max_value=MAX_RADIUS,
    )
    date_from = django_filters.DateFilter(
        label=_("Beginn ab"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Beginn bis"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    rolling = django_filters.BooleanFilter(
        label=_("nur mit Einstieg jederzeit"),
        widget=forms.CheckboxInput,
    )
    weekday = django_filters.MultipleChoiceFilter(
        label=_("Wochentage"),
        choices=[(str(number), name) for number, name in WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
    )
    time = django_filters.MultipleChoiceFilter(
        label=_("Tageszeit"),
        choices=TIME_OF_DAY,
        widget=forms.CheckboxSelectMultiple,
    )
    mode = django_filters.MultipleChoiceFilter(
        label=_("Form"),
        choices=CourseDate.Mode.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    max_price = django_filters.NumberFilter(
        label=_("Preis bis (Euro)"), min_value=0, max_value=1_000_000
    )
    free = django_filters.BooleanFilter(
        label=_("nur kostenfreie Angebote"), widget=forms.CheckboxInput
    )
    funding = VocabularyFilter(label=_("Förderung"), entries="funding", multiple=True)
    certificate = VocabularyFilter(label=_("Abschluss"), entries="certificates", multiple=True)
    target_group = VocabularyFilter(label=_("Zielgruppe"), entries="target_groups", multiple=True)
    subject = VocabularyFilter(label=_("Thema"), entries="subjects", empty_label=_("alle Themen"))
    language = django_filters.MultipleChoiceFilter(
        label=_("Unterrichtssprache"),
        choices=Course.Language.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    access = django_filters.MultipleChoiceFilter(
        label=_("Barrierefreiheit"),
        choices=ACCESSIBILITY,
        widget=forms.CheckboxSelectMultiple,
    )
    provider = django_filters.ModelChoiceFilter(
        label=_("Anbieter"),
        queryset=Organisation.objects.filter(is_provider=True),
        to_field_name="slug",
        empty_label=_("alle Anbieter"),
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Art des Angebots"),
        choices=Course.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sortierung"), choices=SORT_CHOICES, empty_label=None
    )

    class Meta:
        model = Course
        fields: list[str] = []

    def __init__(self, data=None, *args, place=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.place = place  # the resolved place (``network.places``), if any

    def filter_queryset(self, queryset):
        raise NotImplementedError("The course search filters in measures.search_index.")

    @property
    def radius_km(self) -> int:
        radius = (
            self.form.cleaned_data.get("radius") if hasattr(self.form, "cleaned_data") else None
        )
        return int(radius) if radius else DEFAULT_RADIUS
