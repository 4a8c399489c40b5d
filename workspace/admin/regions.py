"""Regions and postal codes: official reference data, loaded by a command, view-mostly.

The boundary GeoJSON is large: it is never loaded for lists, forms or choices (deferred in
every queryset here, including the joined parent region).
"""

from django.contrib import admin
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext_lazy as _

from network.models import PostalCode, Region
from workspace.admin.base import ReferenceDataAdmin, state_filter


@admin.register(Region)
class RegionAdmin(ReferenceDataAdmin):
    list_display = ["key", "name", "kind", "official_kind", "parent", "country", "has_boundary"]
    list_display_links = ["key", "name"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "^key"]
    ordering = ["key"]
    list_per_page = 100
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["key", "name", "kind", "official_kind", "country", "parent"]}),
        (_("Lage"), {"fields": [("latitude", "longitude")]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .defer("boundary", "parent__boundary")
            .annotate(
                has_boundary=ExpressionWrapper(
                    Q(boundary__isnull=False), output_field=BooleanField()
                )
            )
        )

    @admin.display(description=_("Grenze"), boolean=True, ordering="has_boundary")
    def has_boundary(self, obj):
        return obj.has_boundary


@admin.register(PostalCode)
class PostalCodeAdmin(ReferenceDataAdmin):
    list_display = ["code", "place", "district", "latitude", "longitude"]
    list_display_links = ["code", "place"]
    list_filter = [state_filter("district")]
    search_fields = ["^code", "place"]
    ordering = ["code", "place"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    autocomplete_fields = ["district"]
    fields = ["code", "place", "district", ("latitude", "longitude")]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("district").defer("district__boundary")
