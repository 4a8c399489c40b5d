from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """Roles, review, freshness and security of the admin workspace."""

    default = True
    name = "workspace"
    verbose_name = _("Arbeitsbereich")
    default_auto_field = "django.db.models.BigAutoField"


class WorkspaceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the workspace's admin site (scoping, 2FA, dashboard)."""

    default = False
    default_site = "workspace.sites.WorkspaceAdminSite"
