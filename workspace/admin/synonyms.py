"""Synonyms for the search: coordinators turn searches that found nothing into synonyms."""

from django.contrib import admin

from measures.models import Synonym
from workspace.admin.base import AtlasModelAdmin


@admin.register(Synonym)
class SynonymAdmin(AtlasModelAdmin):
    role_permissions = {"coordinator": "vacd"}
    list_display = ["term", "alternatives", "two_way", "is_active", "shipped", "created_at"]
    list_editable = ["is_active"]
    list_filter = ["is_active", "two_way", "shipped"]
    search_fields = ["term", "alternatives"]
    ordering = ["term"]
    fields = ["term", "alternatives", "two_way", "is_active"]

    def has_delete_permission(self, request, obj=None):
        # A shipped entry would come back with the next load_reference: switch it off instead.
        if obj is not None and obj.shipped:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(shipped=False))
