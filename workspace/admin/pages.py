"""Admin for the information pages and the feedback on barriers.

Information pages (including the legal pages) belong to the installation, not to one network:
they are shared by every network it hosts, like the search synonyms. Coordinators run them —
they see, add and change every page (``workspace.scopes.info_pages_for_user``) — but only
superusers delete one, so that a coordinator of one network cannot remove a page another
network relies on (a coordinator unpublishes it instead); the legal pages cannot be deleted at
all. The feedback on barriers holds personal data (names, email addresses) and stays with the
operators (superusers).
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pages.models import AccessibilityFeedback, InfoPage
from pages.selectors import published_pages
from pages.services import info_page_save
from workspace.admin.base import AtlasModelAdmin


@admin.register(InfoPage)
class InfoPageAdmin(AtlasModelAdmin):
    role_permissions = {"coordinator": "vac"}
    list_display = ["title", "purpose", "menu", "position", "is_published", "updated_at", "link"]
    list_filter = ["purpose", "menu", "is_published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        (_("Ort und Sichtbarkeit"), {"fields": ["purpose", "menu", "position", "is_published"]}),
    ]

    @admin.display(description=_("Seite"))
    def link(self, page):
        if not page.is_published:
            return "–"
        return format_html('<a href="{}">{}</a>', page.get_absolute_url(), _("ansehen"))

    def get_view_on_site_url(self, obj=None):
        # An unpublished page has no public address: no "view on site" link to a 404.
        if obj is not None and not published_pages().filter(pk=obj.pk).exists():
            return None
        return super().get_view_on_site_url(obj)

    def save_model(self, request, obj, form, change):
        info_page_save(page=obj)  # renders the text to HTML once, at save

    def has_delete_permission(self, request, obj=None):
        # The legal pages must always exist.
        if obj is not None and obj.purpose:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(AtlasModelAdmin):
    list_display = ["created_at", "short_message", "page", "email", "is_resolved"]
    list_filter = ["is_resolved"]
    search_fields = ["message", "page", "name", "email"]
    readonly_fields = ["message", "page", "name", "email", "created_at"]
    fields = ["created_at", "message", "page", "name", "email", "is_resolved", "notes"]
    date_hierarchy = "created_at"

    @admin.display(description=_("Nachricht"))
    def short_message(self, feedback):
        return feedback.message[:80]

    def has_add_permission(self, request):
        return False
