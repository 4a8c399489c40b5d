"""Courses with their dates and modules.

The course form follows the public course page: Was (with the curriculum modules) /
Wann & Wo (with the dates) / Preis & Förderung / Kontakt / Verwaltung.
"""

import csv
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.sql import AnyOf
from measures import versions
from measures.models import Course, CourseDate, Module
from measures.models.dates import WEEKDAYS
from network.models import Membership, Network, Organisation, Venue
from workspace import services
from workspace.access import access_for
from workspace.admin.base import (
    EMPTY,
    AtlasModelAdmin,
    AtlasStackedInline,
    AtlasTabularInline,
    YesNoFilter,
    search_words,
)
from workspace.completeness import (
    completeness_of,
    filter_by_completeness,
    with_completeness,
)
from workspace.forms import ReviewForm
from workspace.scopes import course_changes_for_user, courses_for_user, reviews_for_user

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


# Above this many courses, a course or date search matches the courses by a subquery, not a list.
MANY_COURSES = 50_000
# A word in more providers' names than this is matched in the course list directly.
SPREAD_PROVIDERS = 200


def providers_named(word: str) -> list[int]:
    """The ids of the organisations whose name or short name holds ``word`` (any case): the
    course and date searches match them by id, on the courses' own index."""
    return list(
        Organisation.objects.filter(
            Q(name__icontains=word) | Q(short_name__icontains=word)
        ).values_list("pk", flat=True)
    )


# Above this many providers in reach, the provider filter is not offered (see its lookups).
MAX_PROVIDER_CHOICES = 100


def provider_filter(field_path: str):
    """A filter by provider for the organisation foreign key at ``field_path``."""

    class ProviderListFilter(admin.SimpleListFilter):
        title = _("Anbieter")
        parameter_name = "anbieter"

        def lookups(self, request, model_admin):
            """The providers in reach by name. With more than ``MAX_PROVIDER_CHOICES`` (a
            country's 20,000 providers are no list to choose from; the search finds a
            provider by name) only the chosen one, as when a link elsewhere chose it."""
            providers = (
                model_admin.related_queryset(request, Organisation)
                .filter(
                    Q(is_provider=True) | Exists(Course.objects.filter(provider=OuterRef("pk")))
                )
                .order_by("name", "pk")
                .values_list("pk", "name")
            )
            rows = list(providers[: MAX_PROVIDER_CHOICES + 1])
            if len(rows) > MAX_PROVIDER_CHOICES:
                chosen = self.value()
                rows = list(providers.filter(pk=chosen)) if chosen and chosen.isdigit() else []
            return [(str(pk), name) for pk, name in rows]

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
        return queryset.over()


# Forms --------------------------------------------------------------------------------------


# Told before saving (next to the fields and the save buttons) and after.
REVIEW_FIELD_HINT = _(
    "Eine Änderung hier wird als neue Fassung zur Prüfung eingereicht; die veröffentlichte "
    "Fassung bleibt bis zur Freigabe durch die Netzwerkkoordination online."
)
KEPT_FOR_REVIEW_MESSAGE = _(
    "Ihre inhaltlichen Änderungen sind als neue Fassung zur Prüfung eingereicht. Die "
    "veröffentlichte Fassung bleibt online, bis die Netzwerkkoordination die neue freigibt; "
    "Termine und Preise gelten sofort."
)


class CourseForm(forms.ModelForm):
    """On a published course that a network reviews, the fields whose change waits as a new
    version for review say so. (What a course must satisfy is checked by the model.)"""

    review_on_change = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.review_on_change:
            for name in sorted(versions.MAJOR_COURSE_FIELDS & set(self.fields)):
                help_text = str(self.fields[name].help_text or "")
                self.fields[name].help_text = f"{help_text} {REVIEW_FIELD_HINT}".strip()


# Provider staff keep their organisation's offers; coordinators their network's.
COURSE_PARTS = {"coordinator": "vacd", "provider_staff": "vacd"}


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
    role_permissions = COURSE_PARTS
    fields = DATE_FIELDS
    autocomplete_fields = ["venue"]
    after_fieldset = WHEN_WHERE

    def get_queryset(self, request):
        # The row label (str) names the course.
        return super().get_queryset(request).select_related("course")


class ModuleInline(AtlasTabularInline):
    model = Module
    role_permissions = COURSE_PARTS
    fields = ["position", "title", "contents", "teaching_units"]
    after_fieldset = WHAT

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "contents":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 50})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# Admins -------------------------------------------------------------------------------------


class CompletenessFilter(YesNoFilter):
    title = _("Vollständigkeit")
    parameter_name = "vollstaendig"
    yes_label = _("vollständig genug")
    no_label = _("unvollständig")

    def filter_yes(self, queryset):
        return filter_by_completeness(queryset, timezone.localdate(), complete=True)

    def filter_no(self, queryset):
        return filter_by_completeness(queryset, timezone.localdate(), complete=False)


def short_date(day) -> str:
    """A date as 02.11.2026; "–" for none."""
    return date_format(day, "SHORT_DATE_FORMAT") if day else EMPTY


def csv_cell(value) -> str:
    """A cell that a spreadsheet does not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


REVISION_DISCARD = _("Neue Fassung verwerfen")

TRANSITIONS = {
    # name: (service, label, success message)
    "submit": (services.course_submit, _("Einreichen"), _("Das Angebot ist eingereicht.")),
    "archive": (services.course_archive, _("Archivieren"), _("Das Angebot ist archiviert.")),
    "reopen": (
        services.course_reopen,
        _("Wieder als Entwurf öffnen"),
        _("Das Angebot ist wieder ein Entwurf."),
    ),
}


@admin.register(Course)
class CourseAdmin(AtlasModelAdmin):
    # Provider staff delete drafts that were never published; coordinators archive instead.
    role_permissions = {"coordinator": "vac", "provider_staff": "vacd"}
    form = CourseForm
    change_form_template = "admin/measures/course/workspace_change_form.html"
    list_display = [
        "title",
        "provider",
        "kind",
        "status",
        "next_date",
        "is_current",
        "completeness",
        "confirmed_on",
        "updated_on",
    ]
    list_filter = [
        "status",
        CourseCurrentFilter,
        CompletenessFilter,
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
        "status",
        "review_state",
        "completeness_report",
        "created_at",
        "updated_at",
        "last_confirmed_at",
        "published_at",
    ]
    actions = ["confirm_selected", "submit_selected", "archive_selected", "export_csv"]
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
                    "review_state",
                    "completeness_report",
                    ("created_at", "updated_at"),
                    ("last_confirmed_at", "published_at"),
                ]
            },
        ),
    ]
    inlines = [ModuleInline, CourseDateInline]

    # Scope and list ------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """Every word in the title, the slug, the provider's name or as the external id, as
        Django's search does, but each condition on an index of the course table (titles and
        slugs by trigram, the providers looked up first): Django's joins the providers and
        reads every course (1.5 s at 100,000 courses). A word that names at most
        ``MANY_COURSES`` courses is matched first and the list takes them by id: given the
        condition alone, PostgreSQL walks the title order until a page is full (1.4 s for
        "Excel" at 1,000,000 courses)."""
        for word in search_words(search_term):
            providers = providers_named(word)
            condition = (
                Q(title__icontains=word)
                | Q(slug__icontains=word)
                | Q(external_id=word)
                | AnyOf("provider", providers)
            )
            if len(providers) > SPREAD_PROVIDERS:
                # A word in many providers' names matches courses all over the title order:
                # the list finds its page at once (reading the ids first took 0.7 s).
                queryset = queryset.filter(condition)
                continue
            named = (
                courses_for_user(request.user)  # what is in reach only: fewer to match
                .filter(condition)
                .values_list("pk", flat=True)
            )
            few = list(named.order_by()[: MANY_COURSES + 1])
            queryset = queryset.filter(
                AnyOf("pk", few) if len(few) <= MANY_COURSES else Q(pk__in=named)
            )
        return queryset, False

    def get_queryset(self, request):
        today = timezone.localdate()
        current_dates = CourseDate.objects.current(today).filter(course=OuterRef("pk"))
        queryset = (
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
        return with_completeness(queryset, today)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not access_for(request.user).is_superuser:
            # Provider staff delete single drafts; published offers are archived.
            actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return services.course_may_delete(request.user, obj)

    @admin.display(description=_("nächster Termin"), ordering=F("next_start").asc(nulls_last=True))
    def next_date(self, obj):
        if obj.next_start:
            return short_date(obj.next_start)
        if obj.has_rolling_start:
            return _("Einstieg jederzeit")
        if obj.has_current_date:
            return _("läuft")
        return EMPTY

    # Dates without the time and the month's name keep the list within 1280 px (issue 11).
    @admin.display(description=_("zuletzt bestätigt"), ordering="last_confirmed_at")
    def confirmed_on(self, obj):
        moment = obj.last_confirmed_at
        return short_date(moment and timezone.localdate(moment))

    @admin.display(description=_("zuletzt aktualisiert"), ordering="updated_at")
    def updated_on(self, obj):
        return short_date(timezone.localdate(obj.updated_at))

    @admin.display(description=_("aktuell"), boolean=True, ordering="has_current_date")
    def is_current(self, obj):
        return obj.has_current_date

    @admin.display(description=_("Vollständigkeit"), ordering="completeness")
    def completeness(self, obj):
        return f"{obj.completeness} %"

    @admin.display(description=_("Summe der Modul-UE"))
    def module_units(self, obj):
        if obj is None or obj.pk is None:
            return EMPTY
        return obj.module_units

    @admin.display(description=_("Vollständigkeit"))
    def completeness_report(self, obj):
        if obj is None or obj.pk is None:
            return _("Wird nach dem Speichern berechnet.")
        report = completeness_of(obj)
        if not report.missing:
            return format_html("{} %", report.score)
        return format_html(
            '{} % – {}<ul class="completeness-hints">{}</ul>',
            report.score,
            _("Was noch fehlt:"),
            format_html_join("", "<li>{}</li>", ((part.hint,) for part in report.missing)),
        )

    @admin.display(description=_("Prüfung"))
    def review_state(self, obj):
        if obj is None or obj.pk is None:
            return EMPTY
        review = obj.reviews.select_related("network").first()
        if review is None:
            if obj.status == Course.Status.SUBMITTED:
                return _("wartet auf Prüfung")
            return EMPTY
        text = _("%(decision)s am %(date)s (%(network)s)") % {
            "decision": review.get_decision_display(),
            "date": date_format(timezone.localtime(review.created_at), "SHORT_DATE_FORMAT"),
            "network": review.network,
        }
        if review.reason:
            return format_html("{}: „{}“", text, review.reason)
        return text

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.pk is not None and services.content_change_needs_review(obj):
            form = type(form.__name__, (form,), {"review_on_change": True})
        return form

    # Saving: every write happens inside the course's edit (``services.course_edit``), which
    # validates, applies the review rule, logs and refreshes the search.

    def save_model(self, request, obj, form, change):
        """Written in ``save_related``, together with the inlines, within the course's edit."""

    def save_related(self, request, form, formsets, change):
        with services.course_edit(
            course=form.instance, user=request.user, created=not change
        ) as edit:
            form.instance.save()
            super().save_related(request, form, formsets, change)
        if edit.kept_for_review:
            messages.warning(request, KEPT_FOR_REVIEW_MESSAGE)

    def delete_model(self, request, obj):
        services.course_delete(course=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for course in queryset:
            services.course_delete(course=course, user=request.user)

    # Workflow ----------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/aktion/<str:transition>/",
                wrap(self.transition_view),
                name=f"{prefix}_transition",
            ),
            path(
                "<path:object_id>/bestaetigen/",
                wrap(self.confirm_view),
                name=f"{prefix}_confirm",
            ),
            path(
                "<path:object_id>/pruefung/",
                wrap(self.review_view),
                name=f"{prefix}_review",
            ),
            *super().get_urls(),
        ]

    def _course_or_404(self, request, object_id):
        course = self.get_object(request, unquote(object_id))
        if course is None:
            raise Http404(_("Dieser Eintrag existiert nicht."))
        return course

    def _change_url(self, course):
        return reverse("admin:measures_course_change", args=[course.pk])

    def available_transitions(self, request, course):
        if not self.has_change_permission(request, course):
            return []
        names = []
        if course.status in (Course.Status.DRAFT, Course.Status.RETURNED):
            names.append("submit")
        if course.status != Course.Status.ARCHIVED:
            names.append("archive")
        elif not course.revision_of_id:
            names.append("reopen")
        return names

    def transition_view(self, request, object_id, transition):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        course = self._course_or_404(request, object_id)
        if transition not in TRANSITIONS:
            raise Http404(_("Diese Aktion gibt es nicht."))
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        service, _label, success = TRANSITIONS[transition]
        was_revision = bool(course.revision_of_id)
        try:
            course = service(course=course, user=request.user)
        except services.WorkflowError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if was_revision and transition == "archive":
                messages.success(request, _("Die neue Fassung ist verworfen."))
            elif was_revision and not course.revision_of_id:
                messages.success(request, _("Die neue Fassung ist übernommen."))
            elif transition == "submit" and course.status == Course.Status.PUBLISHED:
                messages.success(request, _("Das Angebot ist veröffentlicht."))
            else:
                messages.success(request, success)
        return HttpResponseRedirect(self._change_url(course))

    def confirm_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        course = self._course_or_404(request, object_id)
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        if services.courses_confirm(user=request.user, course_ids=[course.pk]):
            messages.success(request, _("Als aktuell bestätigt."))
        else:
            messages.error(request, _("Archivierte Angebote können nicht bestätigt werden."))
        return HttpResponseRedirect(self._change_url(course))

    def review_view(self, request, object_id):
        course = self._course_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, course):
            raise PermissionDenied
        networks = services.review_networks_for(request.user, course)
        if not networks.exists():
            raise PermissionDenied
        if course.status != Course.Status.SUBMITTED:
            messages.info(request, _("Dieses Angebot wartet nicht auf eine Prüfung."))
            return HttpResponseRedirect(self._change_url(course))
        seen = services.course_fingerprint(course)
        form = ReviewForm(request.POST or None, networks=networks, initial={"seen": seen})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data["seen"] != seen:
                # Changed since the reviewer opened it: read it again before deciding.
                messages.error(request, services.CHANGED_SINCE_SEEN)
                return HttpResponseRedirect(request.path)
            try:
                if data["decision"] == ReviewForm.APPROVE:
                    services.course_approve(
                        course=course,
                        user=request.user,
                        seen=data["seen"],
                        network=data["network"],
                        criteria=data["criteria"],
                    )
                    messages.success(request, _("Das Angebot ist freigegeben und veröffentlicht."))
                else:
                    services.course_return(
                        course=course,
                        user=request.user,
                        network=data["network"],
                        criteria=data["criteria"],
                        reason=data["reason"],
                    )
                    messages.success(request, _("Das Angebot ist an den Anbieter zurückgegeben."))
            except services.WorkflowError as error:
                form.add_error(None, error)
            else:
                return HttpResponseRedirect(self._change_url(course))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Angebot prüfen: %(title)s") % {"title": course.title},
            "subtitle": None,
            "opts": self.opts,
            "original": course,
            "course": course,
            "form": form,
            "completeness": completeness_of(course),
            "revision_changes": services.review_changes(course),
            "dates": (course.revision_of or course)
            .dates.select_related("venue")
            .order_by("start_date")[:20],
        }
        return TemplateResponse(request, "admin/workspace/course_review.html", context)

    def response_change(self, request, obj):
        """The workflow buttons belong to the course form: what was typed is saved first
        (through the course's edit), then the transition is made; an invalid form never gets
        here and is shown again with the input kept."""
        transition = request.POST.get("_transition")
        if transition is None:
            return super().response_change(request, obj)
        messages.success(request, _("Ihre Änderungen sind gespeichert."))
        if transition == "confirm":
            return self.confirm_view(request, str(obj.pk))
        return self.transition_view(request, str(obj.pk), transition)

    def get_inlines(self, request, obj):
        if obj is not None and obj.revision_of_id:
            # The dates stay with the published course (they change there, at once).
            return [ModuleInline]
        return super().get_inlines(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["workflow"] = [
                (
                    name,
                    TRANSITIONS[name][1]
                    if name != "archive" or not obj.revision_of_id
                    else REVISION_DISCARD,
                )
                for name in self.available_transitions(request, obj)
            ]
            context["revision"] = services.pending_revision(obj)
            context["can_confirm"] = (
                self.has_change_permission(request, obj) and obj.status != Course.Status.ARCHIVED
            )
            context["can_review"] = services.can_review(request.user, obj)
            context["needs_review"] = services.needs_review(obj)
            context["review_on_change"] = services.content_change_needs_review(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        course = self._course_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, course):
            raise PermissionDenied
        entries = (
            course_changes_for_user(request.user)
            .filter(course=course)
            .select_related("user")
            .order_by("-created_at", "-pk")[:500]
        )
        reviews = (
            reviews_for_user(request.user)
            .filter(course=course)
            .select_related("network", "reviewer")
            .order_by("-created_at")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Verlauf: %(title)s") % {"title": course.title},
            "subtitle": None,
            "opts": self.opts,
            "original": course,
            "object": course,
            "entries": entries,
            "reviews": reviews,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/workspace/course_history.html", context)

    # Bulk actions: Django passes the selected rows of the scoped changelist; the services
    # filter the ids through the user's scope once more.

    @admin.action(description=_("Als aktuell bestätigen"))
    def confirm_selected(self, request, queryset):
        count = services.courses_confirm(
            user=request.user, course_ids=list(queryset.values_list("pk", flat=True))
        )
        messages.success(
            request,
            ngettext(
                "%(count)d Angebot als aktuell bestätigt.",
                "%(count)d Angebote als aktuell bestätigt.",
                count,
            )
            % {"count": count},
        )

    def _bulk_message(self, request, done, problems, text):
        if done:
            messages.success(request, text % {"count": done})
        for problem in problems:
            messages.warning(request, problem)

    @admin.action(description=_("Einreichen (ohne Prüfung: veröffentlichen)"))
    def submit_selected(self, request, queryset):
        done, problems = services.courses_submit(
            user=request.user, course_ids=list(queryset.values_list("pk", flat=True))
        )
        self._bulk_message(request, done, problems, _("%(count)d Angebote eingereicht."))

    @admin.action(description=_("Archivieren"))
    def archive_selected(self, request, queryset):
        done, problems = services.courses_archive(
            user=request.user, course_ids=list(queryset.values_list("pk", flat=True))
        )
        self._bulk_message(request, done, problems, _("%(count)d Angebote archiviert."))

    @admin.action(description=_("Als CSV exportieren"))
    def export_csv(self, request, queryset):
        courses = courses_for_user(request.user, queryset)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kurse.csv"'
        response.write("\ufeff")  # spreadsheets read UTF-8 with a byte-order mark
        writer = csv.writer(response, delimiter=";")
        writer.writerow(
            [
                _("Kennung"),
                _("Titel"),
                _("Anbieter"),
                _("Status"),
                _("nächster Termin"),
                _("aktuell"),
                _("Vollständigkeit"),
                _("zuletzt bestätigt"),
                _("zuletzt aktualisiert"),
                _("externe Kennung"),
            ]
        )
        for course in courses.order_by("title", "pk"):
            writer.writerow(
                [
                    csv_cell(value)
                    for value in (
                        course.pk,
                        course.title,
                        course.provider,
                        course.get_status_display(),
                        course.next_start or "",
                        _("ja") if course.has_current_date else _("nein"),
                        course.completeness,
                        course.last_confirmed_at.date() if course.last_confirmed_at else "",
                        course.updated_at.date(),
                        course.external_id,
                    )
                ]
            )
        return response

    def get_view_on_site_url(self, obj=None):
        # Only a published offer has a public page: no "view on site" link to a 404.
        if obj is not None and not Course.objects.published().filter(pk=obj.pk).exists():
            return None
        return super().get_view_on_site_url(obj)


@admin.register(CourseDate)
class CourseDateAdmin(WeekdaysFieldMixin, AtlasModelAdmin):
    role_permissions = COURSE_PARTS
    # Eight columns, so that all of them fit beside the filters at 1280 px (issue 11).
    list_display = [
        "course",
        "provider",
        "period",
        "schedule",
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
    # Read along the index coursedate_start_order_idx. No date hierarchy: its list of years
    # reads every date (1.8 s at 1,000,000 courses); "Aktualität" filters by time instead.
    ordering = [F("start_date").asc(nulls_first=True), "start_time", "pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    autocomplete_fields = ["course", "venue"]
    fieldsets = [(None, {"fields": ["course"]}), (WHEN_WHERE, {"fields": DATE_FIELDS})]

    def get_readonly_fields(self, request, obj=None):
        # A date belongs to its course; it is not moved to another.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "course"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        with services.course_edit(course=obj.course, user=request.user):
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.course_dates_delete(user=request.user, date_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.course_dates_delete(
            user=request.user, date_ids=list(queryset.values_list("pk", flat=True))
        )

    def get_search_results(self, request, queryset, search_term):
        """As the course list's search: every word in the course's title, its provider's
        name, the venue's name or town, or as the external id; courses, providers and venues
        are looked up first by their own indexes instead of joining them to every date (a
        word that names more than ``MANY_COURSES`` courses is matched by a subquery)."""
        few = True
        for word in search_words(search_term):
            providers = providers_named(word)
            courses = Course.objects.filter(
                Q(title__icontains=word) | Q(provider__in=providers)
            ).values_list("pk", flat=True)
            named = list(courses.order_by()[: MANY_COURSES + 1])
            venues = list(
                Venue.objects.filter(Q(name__icontains=word) | Q(city__icontains=word)).values_list(
                    "pk", flat=True
                )
            )
            few = few and len(named) <= MANY_COURSES
            queryset = queryset.filter(
                (AnyOf("course", named) if len(named) <= MANY_COURSES else Q(course__in=courses))
                | AnyOf("venue", venues)
                | Q(external_id=word)
            )
        if few and search_words(search_term) and not request.GET.get(ORDER_VAR):
            # The list's order as an expression the start-date index cannot give: PostgreSQL
            # sorts the few matches instead of walking every date in that index until a page
            # is full (a second at 1,000,000 courses when the matches are rare).
            queryset = queryset.order_by(
                Coalesce("start_date", Value(date.min)).asc(), "start_time", "pk"
            )
        return queryset, False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course__provider", "venue")

    @admin.display(description=_("Anbieter"), ordering="course__provider__name")
    def provider(self, obj):
        return obj.course.provider

    @admin.display(description=_("Zeitraum"), ordering=F("start_date").asc(nulls_first=True))
    def period(self, obj):
        """Start and end date in one column; a rolling start says so."""
        days = [day for day in (obj.start_date, obj.end_date) if day]
        # A single day is shown once.
        dates = " – ".join(dict.fromkeys(short_date(day) for day in days))
        if obj.rolling_start:
            return f"{_('Einstieg jederzeit')} ({dates})" if dates else _("Einstieg jederzeit")
        return dates or EMPTY

    @admin.display(description=_("Wochentage, Uhrzeit"), ordering="start_time")
    def schedule(self, obj):
        days = ", ".join(name[:2] for name in obj.weekday_names())
        times = "–".join(f"{time:%H:%M}" for time in (obj.start_time, obj.end_time) if time)
        return " ".join(part for part in (days, times) if part) or EMPTY


@admin.register(Module)
class ModuleAdmin(AtlasModelAdmin):
    role_permissions = COURSE_PARTS
    show_facets = admin.ShowFacets.NEVER
    list_display = ["title", "course", "position", "teaching_units"]
    list_filter = [provider_filter("course__provider")]
    search_fields = ["title", "contents", "course__title"]
    ordering = ["course__title", "position", "pk"]
    autocomplete_fields = ["course"]
    fields = ["course", "position", "title", "contents", "teaching_units"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "course"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        with services.course_edit(course=obj.course, user=request.user) as edit:
            super().save_model(request, obj, form, change)
        request._course_edit = edit

    def _kept_for_review(self, request, obj):
        """A module of a published course that a network reviews changes in the course's new
        version: the change page of that version is where it is now."""
        edit = getattr(request, "_course_edit", None)
        if edit is None or not edit.kept_for_review:
            return None
        messages.warning(request, KEPT_FOR_REVIEW_MESSAGE)
        return HttpResponseRedirect(
            reverse("admin:measures_course_change", args=[edit.revision.pk])
        )

    def response_add(self, request, obj, post_url_continue=None):
        return self._kept_for_review(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._kept_for_review(request, obj) or super().response_change(request, obj)

    def delete_model(self, request, obj):
        services.course_modules_delete(user=request.user, module_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.course_modules_delete(
            user=request.user, module_ids=list(queryset.values_list("pk", flat=True))
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course")
