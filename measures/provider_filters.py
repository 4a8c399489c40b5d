"""The filters of the provider search (django-filter): every state is a GET URL.

A filter set validates the parameters once and ``apply(queryset, exclude=…)`` applies every
valid filter except the named ones, so that facets count each option with all other filters
applied.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from core.listing import (
    DEFAULT_RADIUS,
    MAX_RADIUS,
    MIN_RADIUS,
    ApplyMixin,
    SharedFormMixin,
    SlugMultipleChoiceFilter,
)
from core.sql import AnyOf
from measures import search_index
from measures.models import Course, Subject
from network.models import (
    Certification,
    Network,
    Organisation,
    OrganisationCertification,
    Region,
    Venue,
)
from network.places import Place

METRES_PER_KM = 1000

# Accessibility of premises: the organisation's own address or one of its venues.
PREMISES = [
    ("step_free", _("stufenloser Zugang")),
    ("toilet", _("barrierefreies WC")),
    ("hearing_loop", _("Induktionsschleife")),
]
PREMISES_FIELDS = {
    "step_free": "step_free_access",
    "toilet": "accessible_toilet",
    "hearing_loop": "hearing_loop",
}

PROVIDER_SORT_CHOICES = [
    ("relevance", _("Relevanz")),
    ("name", _("Name")),
    ("courses", _("Anzahl aktueller Kurse")),
    ("distance", _("Entfernung")),
]


_ORGANISATIONS_NEAR = """
SELECT o.id FROM network_organisation o
WHERE o.latitude IS NOT NULL AND o.longitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(o.latitude, o.longitude)
  AND earth_distance(ll_to_earth(%s, %s), ll_to_earth(o.latitude, o.longitude)) <= %s
UNION
SELECT v.organisation_id FROM network_venue v
WHERE v.latitude IS NOT NULL AND v.longitude IS NOT NULL
  AND earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(v.latitude, v.longitude)
  AND earth_distance(ll_to_earth(%s, %s), ll_to_earth(v.latitude, v.longitude)) <= %s
"""


def near(place: Place, radius_km: float) -> Q:
    """Organisations whose address or one of whose venues lies within the radius."""
    metres = radius_km * METRES_PER_KM
    point = (place.latitude, place.longitude, metres)
    params = point * 4
    return Q(pk__in=RawSQL(_ORGANISATIONS_NEAR, params))  # noqa: S611 - constant SQL


def in_region(region: Region) -> Q:
    """Organisations whose address or one of whose venues lies in the region."""
    here = region.contains_q("region")
    return here | Q(Exists(Venue.objects.filter(here, organisation=OuterRef("pk"))))


def with_premises(features: list[str]) -> Q:
    """Organisations with one place (their address or a venue) that has all the features."""
    flags = {PREMISES_FIELDS[feature]: True for feature in features}
    return Q(**flags) | Q(Exists(Venue.objects.filter(organisation=OuterRef("pk"), **flags)))


def public_courses_of_provider():
    return Course.objects.public().filter(provider=OuterRef("pk"))


class ProviderFilter(SharedFormMixin, ApplyMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name oder Stichwort"), method="filter_nothing", max_length=200
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
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.searchable(),
        to_field_name="key",
        method="filter_region",
        empty_label=_("alle Regionen"),
    )
    subject = django_filters.ModelChoiceFilter(
        label=_("Thema aktueller Kurse"),
        queryset=Subject.objects.all(),
        to_field_name="slug",
        method="filter_subject",
        empty_label=_("alle Themen"),
    )
    certification = SlugMultipleChoiceFilter(
        label=_("Zertifizierung (gültig)"),
        queryset=Certification.objects.all(),
        method="filter_certification",
    )
    access = django_filters.MultipleChoiceFilter(
        label=_("Barrierefreiheit der Räume"),
        choices=PREMISES,
        method="filter_access",
        widget=forms.CheckboxSelectMultiple,
    )
    network = django_filters.ModelChoiceFilter(
        label=_("Netzwerk"),
        queryset=Network.objects.all(),
        to_field_name="slug",
        method="filter_network",
        empty_label=_("alle Netzwerke"),
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Art der Einrichtung"),
        choices=Organisation.Kind.choices,
        method="filter_kind",
        widget=forms.CheckboxSelectMultiple,
    )
    current = django_filters.BooleanFilter(
        label=_("nur mit aktuellen Kursen"), method="filter_current", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sortierung"),
        choices=PROVIDER_SORT_CHOICES,
        method="filter_nothing",
        empty_label=None,
    )

    class Meta:
        model = Organisation
        fields: list[str] = []

    def __init__(self, data=None, *args, place=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.place = place

    def apply(self, queryset, *, exclude=frozenset()):
        queryset = super().apply(queryset, exclude=exclude)
        if self.place is not None and "place" not in exclude:
            queryset = queryset.filter(near(self.place, self.radius_km))
        return queryset

    @property
    def radius_km(self) -> int:
        cleaned = getattr(self.form, "cleaned_data", {})
        radius = cleaned.get("radius") if "radius" not in self.form.errors else None
        return int(radius) if radius else DEFAULT_RADIUS

    def filter_region(self, queryset, name, value):
        return queryset.filter(in_region(value))

    def filter_subject(self, queryset, name, value):
        if getattr(self, "_subject_ids", (None, None))[0] != value.pk:
            self._subject_ids = (value.pk, sorted(value.descendant_ids()))
        # The providers with a public course in it, from the search index (as a condition
        # on every provider's courses it took seconds at 1,000,000 courses).
        offering = search_index.current_index().providers_offering(self._subject_ids[1])
        return queryset.filter(AnyOf("pk", offering))

    def filter_certification(self, queryset, name, value):
        valid = OrganisationCertification.objects.valid_on().filter(
            organisation=OuterRef("pk"), certification__in=value
        )
        return queryset.filter(Exists(valid))

    def filter_access(self, queryset, name, value):
        return queryset.filter(with_premises(list(value)))

    def filter_network(self, queryset, name, value):
        return queryset.public_members_of(value)

    def filter_kind(self, queryset, name, value):
        return queryset.filter(kind__in=value)

    def filter_current(self, queryset, name, value):
        return queryset.filter(Exists(public_courses_of_provider()))
