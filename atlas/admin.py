"""The admin site's titles; the models' admins live in their apps (network, measures)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Bildungsatlas – Verwaltung")
admin.site.site_title = _("Bildungsatlas – Verwaltung")
admin.site.index_title = _("Übersicht")
from atlas import admin_pages  # noqa: E402, F401 - registers the info pages and feedback
