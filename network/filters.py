"""The filters of the partner directory (django-filter).

Every state of the listing is a GET URL. As in the course and provider searches, a filter set
validates the parameters once and ``apply(queryset, exclude=…)`` applies every valid filter
except the named ones, so that facets count each option with all other filters applied.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.listing import ApplyMixin, SharedFormMixin
from network.models import Membership, Network, Organisation, Region, WorkingGroup

PARTNER_SORT_CHOICES = [
    ("name", _("Name")),
    ("role", _("Rolle")),
    ("since", _("Mitglied seit")),
]


class PartnerFilter(SharedFormMixin, ApplyMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_q", max_length=200)
    network = django_filters.ModelChoiceFilter(
        label=_("Netzwerk"),
        queryset=Network.objects.all(),
        to_field_name="slug",
        method="filter_network",
        empty_label=_("alle Netzwerke"),
    )
    role = django_filters.MultipleChoiceFilter(
        label=_("Rolle im Netzwerk"),
        choices=Membership.Role.choices,
        method="filter_role",
        widget=forms.CheckboxSelectMultiple,
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Art der Einrichtung"),
        choices=Organisation.Kind.choices,
        method="filter_kind",
        widget=forms.CheckboxSelectMultiple,
    )
    working_group = django_filters.ModelChoiceFilter(
        label=_("Arbeitsgruppe"),
        queryset=WorkingGroup.objects.all(),
        method="filter_working_group",
        empty_label=_("alle Arbeitsgruppen"),
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.searchable(),
        to_field_name="key",
        method="filter_region",
        empty_label=_("alle Regionen"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sortierung"),
        choices=PARTNER_SORT_CHOICES,
        method="filter_nothing",
        empty_label=None,
    )

    class Meta:
        model = Membership
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        words = value.split()[:8]
        for word in words:
            queryset = queryset.filter(
                Q(organisation__name__unaccent__icontains=word)
                | Q(organisation__short_name__unaccent__icontains=word)
            )
        return queryset

    def filter_network(self, queryset, name, value):
        return queryset.filter(network=value)

    def filter_role(self, queryset, name, value):
        return queryset.filter(role__in=value)

    def filter_kind(self, queryset, name, value):
        return queryset.filter(organisation__kind__in=value)

    def filter_working_group(self, queryset, name, value):
        members = WorkingGroup.members.through.objects.filter(
            workinggroup=value, organisation=OuterRef("organisation")
        )
        return queryset.filter(Exists(members), network=value.network_id)

    def filter_region(self, queryset, name, value):
        return queryset.filter(value.contains_q("organisation__region"))
