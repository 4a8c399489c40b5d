"""Organisations (partners and providers) with their contacts, venues and certificates."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from atlas.admin_base import (
    GROUPED_CHANGE_FORM,
    AtlasModelAdmin,
    AtlasStackedInline,
    AtlasTabularInline,
    ScopedRelatedFieldListFilter,
    StaffViewableMixin,
    SubqueryCount,
    YesNoFilter,
    state_filter,
)
from measures.models import Course
from measures.search import refresh_courses_of
from network.models import (
    Certification,
    Contact,
    Organisation,
    OrganisationCertification,
    Venue,
)

ADDRESS_FIELDS = ["street", ("postal_code", "city"), "region", ("latitude", "longitude")]
ACCESSIBILITY_FIELDS = [
    ("step_free_access", "accessible_toilet", "hearing_loop"),
    "accessibility_notes",
]


class ContactInline(AtlasTabularInline):
    model = Contact
    after_fieldset = _("Kontakt")
    fields = ["name", "role", "email", "phone"]

    def get_queryset(self, request):
        # The row label (str) names the organisation.
        return super().get_queryset(request).select_related("organisation")


class VenueInline(AtlasStackedInline):
    model = Venue
    after_fieldset = _("Barrierefreiheit")
    fields = ["name", "room_notes", *ADDRESS_FIELDS, *ACCESSIBILITY_FIELDS]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region").defer("region__boundary")


class OrganisationCertificationInline(AtlasTabularInline):
    model = OrganisationCertification
    after_fieldset = _("Was")
    fields = ["certification", "valid_from", "valid_until", "certificate_number"]
    autocomplete_fields = ["certification"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("certification", "organisation")


class ValidCertificateFilter(YesNoFilter):
    title = _("gültige Zertifizierung")
    parameter_name = "zertifiziert"

    def filter_yes(self, queryset):
        return queryset.filter(
            Exists(OrganisationCertification.objects.valid_on().filter(organisation=OuterRef("pk")))
        )

    def filter_no(self, queryset):
        return queryset.exclude(
            Exists(OrganisationCertification.objects.valid_on().filter(organisation=OuterRef("pk")))
        )


@admin.register(Organisation)
class OrganisationAdmin(AtlasModelAdmin):
    change_form_template = GROUPED_CHANGE_FORM
    list_display = ["name", "kind", "city", "region", "is_provider", "course_count", "updated_at"]
    list_filter = [
        "is_provider",
        "kind",
        ("memberships__network", ScopedRelatedFieldListFilter),
        state_filter("region"),
        ValidCertificateFilter,
        "step_free_access",
    ]
    search_fields = ["name", "short_name", "slug", "city", "postal_code", "email"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["region"]
    readonly_fields = ["created_at", "updated_at"]
    save_on_top = True
    fieldsets = [
        (
            _("Was"),
            {
                "fields": [
                    "name",
                    "short_name",
                    "slug",
                    "kind",
                    "is_provider",
                    "description",
                    "core_competencies",
                ]
            },
        ),
        (_("Wo"), {"fields": ADDRESS_FIELDS}),
        (_("Barrierefreiheit"), {"fields": ACCESSIBILITY_FIELDS}),
        (_("Kontakt"), {"fields": ["email", "phone", "website"]}),
        (_("Verwaltung"), {"fields": [("created_at", "updated_at")]}),
    ]
    inlines = [ContactInline, VenueInline, OrganisationCertificationInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:  # the name and places are part of its courses' indexed text
            refresh_courses_of(providers=[form.instance])

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("region")
            .defer("region__boundary")
            .annotate(course_count=SubqueryCount(Course.objects.filter(provider=OuterRef("pk"))))
        )

    @admin.display(description=_("Kurse"), ordering="course_count")
    def course_count(self, obj):
        return obj.course_count


@admin.register(Contact)
class ContactAdmin(AtlasModelAdmin):
    list_display = ["name", "role", "organisation", "email", "phone"]
    list_filter = [("organisation__memberships__network", ScopedRelatedFieldListFilter)]
    search_fields = ["name", "role", "email", "organisation__name", "organisation__short_name"]
    ordering = ["organisation__name", "name"]
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "name", "role", "email", "phone"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")


@admin.register(Venue)
class VenueAdmin(AtlasModelAdmin):
    list_display = ["name", "organisation", "street", "postal_code", "city", "region"]
    list_filter = [
        state_filter("region"),
        "step_free_access",
        "accessible_toilet",
        "hearing_loop",
        ("organisation__memberships__network", ScopedRelatedFieldListFilter),
    ]
    search_fields = ["name", "city", "postal_code", "street", "organisation__name"]
    ordering = ["organisation__name", "name"]
    autocomplete_fields = ["organisation", "region"]
    fieldsets = [
        (_("Was"), {"fields": ["organisation", "name", "room_notes"]}),
        (_("Wo"), {"fields": ADDRESS_FIELDS}),
        (_("Barrierefreiheit"), {"fields": ACCESSIBILITY_FIELDS}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:  # the name and places are part of its courses' indexed text
            refresh_courses_of(venues=[form.instance])

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "region")
            .defer("region__boundary")
        )


@admin.register(Certification)
class CertificationAdmin(StaffViewableMixin, AtlasModelAdmin):
    list_display = ["name", "slug", "website", "certificate_count"]
    search_fields = ["name", "slug", "description"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "website"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                certificate_count=SubqueryCount(
                    OrganisationCertification.objects.valid_on().filter(
                        certification=OuterRef("pk")
                    )
                )
            )
        )

    @admin.display(description=_("gültige Zertifikate"), ordering="certificate_count")
    def certificate_count(self, obj):
        return obj.certificate_count
