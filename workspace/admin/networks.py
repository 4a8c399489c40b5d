"""Networks with their phases and memberships; working groups, projects and events."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from network.models import (
    Event,
    Membership,
    Network,
    NetworkPhase,
    Project,
    Region,
    WorkingGroup,
)
from workspace import services
from workspace.admin.base import (
    GROUPED_CHANGE_FORM,
    AtlasModelAdmin,
    AtlasTabularInline,
    ScopedRelatedFieldListFilter,
    SubqueryCount,
    state_filter,
)
from workspace.models import QualityCriterion


def _constraint_message(model, name):
    return next(c for c in model._meta.constraints if c.name == name).violation_error_message


COORDINATOR_ALL = {"coordinator": "vacd"}


class NetworkPhaseInline(AtlasTabularInline):
    model = NetworkPhase
    role_permissions = COORDINATOR_ALL
    fields = ["kind", "name", "start", "end", "notes"]
    after_fieldset = _("Netzwerk")


class MembershipInlineFormSet(BaseInlineFormSet):
    """Checks across the rows what the database holds per network: one lead partner.

    The per-row validation cannot check it for new or changed rows (the network is the inline's
    own key), so without this a second lead partner would end in an IntegrityError.
    """

    def _rows(self):
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and not self._should_delete_form(form):
                yield form, data

    def clean(self):
        super().clean()
        leads = [form for form, data in self._rows() if data.get("role") == Membership.Role.LEAD]
        if len(leads) > 1:
            raise ValidationError(
                _constraint_message(Membership, "membership_one_lead_per_network"),
                code="one_lead",
            )

    def save_existing_objects(self, commit=True):
        # Changing the lead partner in one go: the former lead steps down first, whatever
        # order the rows are in (services.membership_lead_step_down).
        if commit:
            for form in self.initial_forms:
                if form.instance.pk is None or form.initial.get("role") != Membership.Role.LEAD:
                    continue
                deleted = self._should_delete_form(form)
                if deleted or form.cleaned_data.get("role") != Membership.Role.LEAD:
                    services.membership_lead_step_down(
                        membership=form.instance,
                        role=None if deleted else form.cleaned_data["role"],
                    )
        return super().save_existing_objects(commit)


class MembershipInline(AtlasTabularInline):
    model = Membership
    role_permissions = COORDINATOR_ALL
    formset = MembershipInlineFormSet
    fields = ["organisation", "role", "since", "declaration", "declaration_date", "is_public"]
    autocomplete_fields = ["organisation"]
    after_fieldset = _("Gebiet & Leitung")

    def get_queryset(self, request):
        # The row label (str) names organisation and network.
        return super().get_queryset(request).select_related("organisation", "network")


class QualityCriterionInline(AtlasTabularInline):
    """The checklist coordinators review offers against (where the network reviews)."""

    model = QualityCriterion
    role_permissions = COORDINATOR_ALL
    fields = ["position", "title", "description", "is_active"]
    after_fieldset = _("Gebiet & Leitung")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "description":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Network)
class NetworkAdmin(AtlasModelAdmin):
    # Coordinators keep their networks; creating or removing one is for superusers.
    role_permissions = {"coordinator": "vc"}
    change_form_template = GROUPED_CHANGE_FORM
    list_display = [
        "name",
        "short_name",
        "lead_partner",
        "region_list",
        "member_count",
        "reviews_offers",
    ]
    list_filter = ["reviews_offers"]
    search_fields = ["name", "short_name", "slug", "funding_programme"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["regions", "lead_partner"]
    save_on_top = True
    fieldsets = [
        (
            _("Netzwerk"),
            {"fields": ["name", "short_name", "slug", "motto", "description", "aims"]},
        ),
        (
            _("Gebiet & Leitung"),
            {"fields": ["regions", "lead_partner", "funding_programme", "reviews_offers"]},
        ),
        (_("Kontakt"), {"fields": ["contact_name", "email", "phone", "website"]}),
    ]
    inlines = [NetworkPhaseInline, MembershipInline, QualityCriterionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("lead_partner")
            .prefetch_related(
                Prefetch("regions", queryset=Region.objects.defer("boundary").order_by("key"))
            )
            .annotate(member_count=SubqueryCount(Membership.objects.filter(network=OuterRef("pk"))))
        )

    @admin.display(description=_("Regionen"))
    def region_list(self, obj):
        return ", ".join(str(region) for region in obj.regions.all())

    @admin.display(description=_("Mitglieder"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Membership)
class MembershipAdmin(AtlasModelAdmin):
    role_permissions = COORDINATOR_ALL
    list_display = [
        "organisation",
        "network",
        "role",
        "since",
        "declaration",
        "declaration_date",
        "is_public",
    ]
    list_display_links = ["organisation"]
    list_filter = [
        ("network", ScopedRelatedFieldListFilter),
        "role",
        "declaration",
        "is_public",
    ]
    search_fields = ["organisation__name", "organisation__short_name", "network__name"]
    ordering = ["network__name", "role", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["network", "organisation", "role", "since", "is_public"]}),
        (_("Erklärung"), {"fields": ["declaration", "declaration_date"]}),
        (_("Beitrag"), {"fields": ["contribution"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "network")


@admin.register(WorkingGroup)
class WorkingGroupAdmin(AtlasModelAdmin):
    role_permissions = COORDINATOR_ALL
    list_display = ["name", "network", "parent", "lead", "member_count"]
    list_filter = [("network", ScopedRelatedFieldListFilter)]
    search_fields = ["name", "topic", "network__name", "network__short_name"]
    ordering = ["network__name", "name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "lead", "members"]
    fieldsets = [
        (
            _("Was"),
            {"fields": ["network", "parent", "name", "slug", "topic", "goals", "description"]},
        ),
        (_("Wer"), {"fields": ["lead", "members"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("network", "parent", "lead")
            .annotate(
                member_count=SubqueryCount(
                    WorkingGroup.members.through.objects.filter(workinggroup=OuterRef("pk"))
                )
            )
        )

    @admin.display(description=_("Mitglieder"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Project)
class ProjectAdmin(AtlasModelAdmin):
    role_permissions = COORDINATOR_ALL
    list_display = ["title", "network", "working_group", "status", "start", "end", "lead"]
    list_filter = [
        "status",
        ("network", ScopedRelatedFieldListFilter),
        ("working_group", ScopedRelatedFieldListFilter),
    ]
    search_fields = ["title", "summary", "goals", "network__name", "working_group__name"]
    ordering = ["network__name", "-start", "title"]
    date_hierarchy = "start"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["working_group", "lead", "participants", "target_groups"]
    fieldsets = [
        (
            _("Was"),
            {
                "fields": [
                    "network",
                    "working_group",
                    "title",
                    "slug",
                    "summary",
                    "goals",
                    "target_groups",
                ]
            },
        ),
        (_("Wer"), {"fields": ["lead", "participants"]}),
        (_("Wann"), {"fields": ["status", ("start", "end"), "website"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "working_group", "lead")


@admin.register(Event)
class EventAdmin(AtlasModelAdmin):
    role_permissions = COORDINATOR_ALL
    list_display = ["title", "network", "kind", "starts_at", "ends_at", "place", "organiser"]
    list_filter = [
        "kind",
        ("network", ScopedRelatedFieldListFilter),
        state_filter("region"),
    ]
    search_fields = ["title", "description", "place", "network__name"]
    ordering = ["-starts_at"]
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["project", "working_group", "region", "organiser"]
    fieldsets = [
        (
            _("Was"),
            {
                "fields": [
                    "network",
                    "title",
                    "slug",
                    "kind",
                    "description",
                    "project",
                    "working_group",
                ]
            },
        ),
        (_("Wann & Wo"), {"fields": [("starts_at", "ends_at"), "place", "address", "region"]}),
        (_("Kontakt"), {"fields": ["organiser", "website"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "organiser")
