"""Courses with their dates and modules.

The course form follows the public course page: Was (with the curriculum modules) /
Wann & Wo (with the dates) / Preis & Förderung / Kontakt / Verwaltung.
"""

from django import forms
from django.contrib import admin
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from atlas.admin_base import (
    EMPTY,
    GROUPED_CHANGE_FORM,
    AtlasModelAdmin,
    AtlasStackedInline,
    AtlasTabularInline,
    YesNoFilter,
)
from measures.models import Course, CourseDate, Module
from measures.models.dates import WEEKDAYS
from measures.search import refresh_search_vectors
from network.models import Membership, Network, Organisation

WHAT = _("Was")
WHEN_WHERE = _("Wann & Wo")
PRICE_FUNDING = _("Preis & Förderung")
CONTACT = _("Kontakt")
ADMINISTRATION = _("Verwaltung")

DATE_FIELDS = [
    ("start_date", "end_date", "rolling_start"),
    "weekdays",
    ("start_time", "end_time"),
    "schedule_notes",
    ("mode", "venue"),
    ("booking_status", "seats", "registration_deadline"),
    ("price", "external_id"),
]


# Filters ------------------------------------------------------------------------------------


def provider_filter(field_path: str):
    """A filter by provider for the organisation foreign key at ``field_path``."""

    class ProviderListFilter(admin.SimpleListFilter):
        title = _("Anbieter")
        parameter_name = "anbieter"

        def lookups(self, request, model_admin):
            organisations = model_admin.related_queryset(request, Organisation).filter(
                Q(is_provider=True) | Exists(Course.objects.filter(provider=OuterRef("pk")))
            )
            return [(str(organisation.pk), str(organisation)) for organisation in organisations]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            if not self.value().isdigit():
                return queryset.none()
            return queryset.filter(**{f"{field_path}__pk": self.value()})

    return ProviderListFilter


def network_filter(provider_path: str):
    """A filter by network: the provider at ``provider_path`` is a member of it."""

    class NetworkListFilter(admin.SimpleListFilter):
        title = _("Netzwerk")
        parameter_name = "netzwerk"

        def lookups(self, request, model_admin):
            networks = model_admin.related_queryset(request, Network)
            return [(str(network.pk), str(network)) for network in networks]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            if not self.value().isdigit():
                return queryset.none()
            members = Membership.objects.filter(
                organisation=OuterRef(provider_path), network=self.value()
            )
            return queryset.filter(Exists(members))

    return NetworkListFilter


class CourseCurrentFilter(YesNoFilter):
    """Current (a current or future date, or a rolling start) or out of date."""

    title = _("Aktualität")
    parameter_name = "aktuell"
    yes_label = _("aktuell")
    no_label = _("veraltet")

    def filter_yes(self, queryset):
        return queryset.current()

    def filter_no(self, queryset):
        return queryset.out_of_date()


class CourseModeFilter(admin.SimpleListFilter):
    title = _("Form")
    parameter_name = "form"

    def lookups(self, request, model_admin):
        return CourseDate.Mode.choices

    def queryset(self, request, queryset):
        if self.value() not in CourseDate.Mode.values:
            return queryset
        dates = CourseDate.objects.filter(course=OuterRef("pk"), mode=self.value())
        return queryset.filter(Exists(dates))


class DateCurrentFilter(YesNoFilter):
    title = _("Aktualität")
    parameter_name = "aktuell"
    yes_label = _("aktuell oder künftig")
    no_label = _("vergangen oder abgesagt")

    def filter_yes(self, queryset):
        return queryset.current()

    def filter_no(self, queryset):
        return queryset.exclude(pk__in=CourseDate.objects.current().values("pk"))


# Inlines ------------------------------------------------------------------------------------


class WeekdaysFieldMixin:
    """Weekdays as checkboxes instead of a comma-separated list of numbers."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "weekdays":
            return forms.TypedMultipleChoiceField(
                choices=WEEKDAYS,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=capfirst(db_field.verbose_name),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class CourseDateInline(WeekdaysFieldMixin, AtlasStackedInline):
    model = CourseDate
    fields = DATE_FIELDS
    autocomplete_fields = ["venue"]
    after_fieldset = WHEN_WHERE

    def get_queryset(self, request):
        # The row label (str) names the course.
        return super().get_queryset(request).select_related("course")


class ModuleInline(AtlasTabularInline):
    model = Module
    fields = ["position", "title", "contents", "teaching_units"]
    after_fieldset = WHAT

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "contents":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# Admins -------------------------------------------------------------------------------------


@admin.register(Course)
class CourseAdmin(AtlasModelAdmin):
    change_form_template = GROUPED_CHANGE_FORM
    list_display = [
        "title",
        "provider",
        "kind",
        "status",
        "next_date",
        "is_current",
        "updated_at",
    ]
    list_filter = [
        "status",
        CourseCurrentFilter,
        "kind",
        provider_filter("provider"),
        network_filter("provider"),
        CourseModeFilter,
        "price_kind",
        "language",
    ]
    search_fields = ["title", "slug", "=external_id", "provider__name", "provider__short_name"]
    ordering = ["title", "pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["provider", "contact", "subjects", "target_groups", "funding"]
    readonly_fields = [
        "module_units",
        "created_at",
        "updated_at",
        "last_confirmed_at",
        "published_at",
    ]
    save_on_top = True
    fieldsets = [
        (
            WHAT,
            {
                "fields": [
                    "provider",
                    "title",
                    "slug",
                    "kind",
                    "summary",
                    "description",
                    "objectives",
                    "contents",
                    "prerequisites",
                    "subjects",
                    "target_groups",
                    "keywords",
                    ("language", "easy_language"),
                    ("certificate_kind", "certificate_details"),
                ]
            },
        ),
        (
            WHEN_WHERE,
            {"fields": [("hours", "teaching_units", "module_units"), "childcare"]},
        ),
        (PRICE_FUNDING, {"fields": [("price_kind", "price"), "price_notes", "funding"]}),
        (CONTACT, {"fields": ["contact", "registration_url", "registration_notes"]}),
        (
            ADMINISTRATION,
            {
                "fields": [
                    ("status", "external_id"),
                    ("created_at", "updated_at"),
                    ("last_confirmed_at", "published_at"),
                ]
            },
        ),
    ]
    inlines = [ModuleInline, CourseDateInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Keywords, subjects and the dates' places are part of the indexed text.
        refresh_search_vectors([form.instance.pk])

    def get_queryset(self, request):
        today = timezone.localdate()
        current_dates = CourseDate.objects.current(today).filter(course=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .select_related("provider")
            .annotate(
                has_current_date=Exists(current_dates),
                next_start=Subquery(
                    current_dates.filter(start_date__gte=today)
                    .order_by("start_date")
                    .values("start_date")[:1]
                ),
                has_rolling_start=Exists(current_dates.filter(rolling_start=True)),
            )
        )

    @admin.display(description=_("nächster Termin"), ordering=F("next_start").asc(nulls_last=True))
    def next_date(self, obj):
        if obj.next_start:
            return obj.next_start
        if obj.has_rolling_start:
            return _("Einstieg jederzeit")
        if obj.has_current_date:
            return _("läuft")
        return EMPTY

    @admin.display(description=_("aktuell"), boolean=True, ordering="has_current_date")
    def is_current(self, obj):
        return obj.has_current_date

    @admin.display(description=_("Summe der Modul-UE"))
    def module_units(self, obj):
        if obj is None or obj.pk is None:
            return EMPTY
        return obj.module_units


@admin.register(CourseDate)
class CourseDateAdmin(WeekdaysFieldMixin, AtlasModelAdmin):
    list_display = [
        "course",
        "provider",
        "start_date",
        "end_date",
        "rolling_start",
        "weekday_list",
        "time_range",
        "mode",
        "venue",
        "booking_status",
    ]
    list_filter = [
        DateCurrentFilter,
        "booking_status",
        "mode",
        "rolling_start",
        provider_filter("course__provider"),
        network_filter("course__provider"),
    ]
    search_fields = [
        "course__title",
        "course__provider__name",
        "venue__name",
        "venue__city",
        "=external_id",
    ]
    ordering = [F("start_date").asc(nulls_first=True), "start_time", "pk"]
    date_hierarchy = "start_date"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    autocomplete_fields = ["course", "venue"]
    fieldsets = [(None, {"fields": ["course"]}), (WHEN_WHERE, {"fields": DATE_FIELDS})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_search_vectors([obj.course_id])

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course__provider", "venue")

    @admin.display(description=_("Anbieter"), ordering="course__provider__name")
    def provider(self, obj):
        return obj.course.provider

    @admin.display(description=_("Wochentage"))
    def weekday_list(self, obj):
        return ", ".join(name[:2] for name in obj.weekday_names()) or EMPTY

    @admin.display(description=_("Uhrzeit"), ordering="start_time")
    def time_range(self, obj):
        times = [f"{time:%H:%M}" for time in (obj.start_time, obj.end_time) if time]
        return "–".join(times) or EMPTY


@admin.register(Module)
class ModuleAdmin(AtlasModelAdmin):
    show_facets = admin.ShowFacets.NEVER
    list_display = ["title", "course", "position", "teaching_units"]
    list_filter = [provider_filter("course__provider")]
    search_fields = ["title", "contents", "course__title"]
    ordering = ["course__title", "position", "pk"]
    autocomplete_fields = ["course"]
    fields = ["course", "position", "title", "contents", "teaching_units"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course")
