"""Organisations (partners and providers) with their contacts, venues and certificates."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from measures.models import Course
from network.models import (
    Certification,
    Contact,
    Network,
    Organisation,
    OrganisationCertification,
    Venue,
)
from workspace import services
from workspace.access import access_for
from workspace.admin.base import (
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
from workspace.scopes import networks_for_user

ADDRESS_FIELDS = ["street", ("postal_code", "city"), "region", ("latitude", "longitude")]
ACCESSIBILITY_FIELDS = [
    ("step_free_access", "accessible_toilet", "hearing_loop"),
    "accessibility_notes",
]


# Provider staff keep their organisation's profile; coordinators their network's members.
ORGANISATION_PARTS = {"coordinator": "vacd", "provider_staff": "vacd"}


class ContactInline(AtlasTabularInline):
    model = Contact
    role_permissions = ORGANISATION_PARTS
    after_fieldset = _("Kontakt")
    fields = ["name", "role", "email", "phone"]

    def get_queryset(self, request):
        # The row label (str) names the organisation.
        return super().get_queryset(request).select_related("organisation")


class VenueInline(AtlasStackedInline):
    model = Venue
    role_permissions = ORGANISATION_PARTS
    after_fieldset = _("Barrierefreiheit")
    fields = ["name", "room_notes", *ADDRESS_FIELDS, *ACCESSIBILITY_FIELDS]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region").defer("region__boundary")


class OrganisationCertificationInline(AtlasTabularInline):
    model = OrganisationCertification
    role_permissions = ORGANISATION_PARTS
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


class OrganisationForm(forms.ModelForm):
    join_network = forms.ModelChoiceField(
        queryset=Network.objects.none(),
        label=_("Partner im Netzwerk"),
        required=False,
        help_text=_("Die neue Organisation wird Kooperationspartner dieses Netzwerks."),
    )


@admin.register(Organisation)
class OrganisationAdmin(AtlasModelAdmin):
    # Coordinators add organisations to their network; provider staff keep their profile.
    role_permissions = {"coordinator": "vac", "provider_staff": "vc"}
    form = OrganisationForm
    actions = ["send_reminders"]
    # What only coordinators and superusers set.
    staff_readonly_fields = ["slug", "is_provider"]
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

    def _is_staff_only(self, request):
        access = access_for(request.user)
        return not (access.is_superuser or access.is_coordinator)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._is_staff_only(request):
            fields += self.staff_readonly_fields
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if self._is_staff_only(request) else super().get_prepopulated_fields(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and not access_for(request.user).is_superuser:
            # A coordinator's new organisation joins their network (else it is out of reach).
            fieldsets = [(_("Netzwerk"), {"fields": ["join_network"]}), *fieldsets]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        required = obj is None and not access_for(request.user).is_superuser
        networks = networks_for_user(request.user) if required else Network.objects.none()

        class ScopedForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["join_network"].queryset = networks
                self.fields["join_network"].required = required

        return ScopedForm

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self._is_staff_only(request):
            actions.pop("send_reminders", None)
        return actions

    def save_related(self, request, form, formsets, change):
        with services.organisation_edit(
            organisation=form.instance,
            user=request.user,
            created=not change,
            join_network=form.cleaned_data.get("join_network"),
        ):
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("An veraltete Angebote erinnern (E-Mail)"))
    def send_reminders(self, request, queryset):
        result = services.send_outdated_reminders(
            user=request.user,
            organisation_ids=list(queryset.values_list("pk", flat=True)),
            request=request,
        )
        if result.sent:
            messages.success(
                request,
                ngettext(
                    "%(count)d Erinnerung gesendet.",
                    "%(count)d Erinnerungen gesendet.",
                    result.sent,
                )
                % {"count": result.sent},
            )
        if result.skipped:
            messages.warning(
                request,
                _("Nicht erinnert (nichts veraltet oder keine E-Mail-Adresse): %(names)s")
                % {"names": ", ".join(result.skipped)},
            )
        if result.failed:
            messages.error(
                request,
                _(
                    "Nicht gesendet (E-Mail-Adresse ungültig oder vom Mailserver abgelehnt): "
                    "%(names)s"
                )
                % {"names": ", ".join(result.failed)},
            )

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

    def get_view_on_site_url(self, obj=None):
        # Only a provider or a public member has a profile: no "view on site" link to a 404.
        if obj is not None and not Organisation.objects.public().filter(pk=obj.pk).exists():
            return None
        return super().get_view_on_site_url(obj)


@admin.register(Contact)
class ContactAdmin(AtlasModelAdmin):
    role_permissions = ORGANISATION_PARTS
    list_display = ["name", "role", "organisation", "email", "phone"]
    list_filter = [("organisation__memberships__network", ScopedRelatedFieldListFilter)]
    search_fields = ["name", "role", "email", "organisation__name", "organisation__short_name"]
    ordering = ["organisation__name", "name"]
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "name", "role", "email", "phone"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")


class VenueLocatedFilter(YesNoFilter):
    """Venues the place search can use (with coordinates) or cannot."""

    title = _("Lage bekannt")
    parameter_name = "lage"

    def filter_yes(self, queryset):
        return queryset.filter(latitude__isnull=False, longitude__isnull=False)

    def filter_no(self, queryset):
        return queryset.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))


@admin.register(Venue)
class VenueAdmin(AtlasModelAdmin):
    role_permissions = ORGANISATION_PARTS
    list_display = ["name", "organisation", "street", "postal_code", "city", "region"]
    list_filter = [
        VenueLocatedFilter,
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
        with services.venue_edit(venue=form.instance, created=not change):
            super().save_related(request, form, formsets, change)

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
