"""The vocabularies that describe courses: subjects, target groups, funding, certificates."""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from measures.models import CertificateKind, FundingType, Subject, TargetGroup
from workspace import services
from workspace.admin.base import AtlasModelAdmin, StaffViewableMixin


class VocabularyAdmin(StaffViewableMixin, AtlasModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "description"]
    ordering = ["position", "name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "position"]

    def save_model(self, request, obj, form, change):
        with services.vocabulary_edit(entry=obj, created=not change):
            super().save_model(request, obj, form, change)


class TopLevelFilter(admin.SimpleListFilter):
    title = _("Ebene")
    parameter_name = "ebene"

    def lookups(self, request, model_admin):
        return [("top", _("Hauptgebiete")), ("sub", _("Untergebiete"))]

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "sub":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Subject)
class SubjectAdmin(VocabularyAdmin):
    list_display = ["name", "parent", "slug", "position"]
    list_filter = [TopLevelFilter]
    search_fields = ["name", "slug", "description", "parent__name"]
    ordering = [F("parent__name").asc(nulls_first=True), "position", "name"]
    autocomplete_fields = ["parent"]
    fields = ["name", "slug", "parent", "description", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


@admin.register(TargetGroup)
class TargetGroupAdmin(VocabularyAdmin):
    pass


@admin.register(CertificateKind)
class CertificateKindAdmin(VocabularyAdmin):
    pass


@admin.register(FundingType)
class FundingTypeAdmin(VocabularyAdmin):
    list_display = ["name", "kind", "state", "slug", "position"]
    list_filter = ["kind"]
    autocomplete_fields = ["state"]
    fields = ["name", "slug", "kind", "state", "description", "website", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("state").defer("state__boundary")
