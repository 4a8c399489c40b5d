"""Synonyms for the search: coordinators turn searches that found nothing into synonyms."""

from django.contrib import admin

from measures.models import Synonym
from workspace.admin.base import AtlasModelAdmin


@admin.register(Synonym)
class SynonymAdmin(AtlasModelAdmin):
    role_permissions = {"coordinator": "vacd"}
    list_display = ["term", "alternatives", "is_active", "created_at"]
    list_editable = ["is_active"]
    list_filter = ["is_active"]
    search_fields = ["term", "alternatives"]
    ordering = ["term"]
    fields = ["term", "alternatives", "is_active"]
