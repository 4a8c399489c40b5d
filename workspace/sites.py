"""The admin site of the workspace.

Adds to Django's admin: the log-in with lock and second factor, the two-factor set-up that
coordinators and superusers must finish before anything else (where the settings require it),
password reset by email, and the dashboard on the index page.
"""

from django.contrib import admin
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from workspace import import_views, security, views
from workspace.dashboard import dashboard_for
from workspace.forms import LoginForm


class WorkspaceAdminSite(admin.AdminSite):
    site_header = _("Bildungsatlas – Verwaltung")
    site_title = _("Bildungsatlas – Verwaltung")
    index_title = _("Übersicht")
    login_form = LoginForm
    login_template = "admin/workspace_login.html"

    def has_permission(self, request):
        return super().has_permission(request) and not security.two_factor_missing(request)

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and security.two_factor_missing(request)
        ):
            if not security.has_two_factor(user):
                # Required but not set up yet: set it up first.
                return HttpResponseRedirect(reverse("admin:two_factor", current_app=self.name))
            # Set up, but this session never gave a code: log in again, with the code.
            auth_logout(request)
        return super().login(request, extra_context)

    def each_context(self, request):
        context = super().each_context(request)
        user = request.user
        if user.is_authenticated:
            context["two_factor_required"] = security.two_factor_required(user)
        return context

    def staff_view(self, view):
        """A view for any logged-in staff member, even one whose second factor is missing."""

        def inner(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff):
                return redirect_to_login(
                    request.get_full_path(), reverse("admin:login", current_app=self.name)
                )
            return view(request, *args, **kwargs)

        return csrf_protect(never_cache(inner))

    def get_urls(self):
        reset = "registration/"
        urls = [
            path(
                "zwei-faktor/",
                self.staff_view(views.TwoFactorSetupView.as_view(admin_site=self)),
                name="two_factor",
            ),
            path(
                "passwort-vergessen/",
                views.PasswordResetView.as_view(
                    template_name="admin/workspace/password_reset_form.html",
                    email_template_name="workspace/email/password_reset.txt",
                    subject_template_name="workspace/email/password_reset_subject.txt",
                    success_url=reverse_lazy("admin:password_reset_done"),
                    extra_context={"site_header": self.site_header, "site_title": self.site_title},
                ),
                name="password_reset",
            ),
            path(
                "passwort-vergessen/gesendet/",
                auth_views.PasswordResetDoneView.as_view(
                    template_name=reset + "password_reset_done.html",
                    extra_context={"site_header": self.site_header, "site_title": self.site_title},
                ),
                name="password_reset_done",
            ),
            path(
                "passwort-neu/<uidb64>/<token>/",
                auth_views.PasswordResetConfirmView.as_view(
                    template_name=reset + "password_reset_confirm.html",
                    success_url=reverse_lazy("admin:password_reset_complete"),
                    extra_context={"site_header": self.site_header, "site_title": self.site_title},
                ),
                name="password_reset_confirm",
            ),
            path(
                "passwort-neu/fertig/",
                auth_views.PasswordResetCompleteView.as_view(
                    template_name=reset + "password_reset_complete.html",
                    extra_context={
                        "site_header": self.site_header,
                        "site_title": self.site_title,
                        "login_url": reverse_lazy("admin:login"),
                    },
                ),
                name="password_reset_complete",
            ),
        ]
        # The course import (issue 14): upload, dry run, confirm; templates and export.
        imports = [
            ("import/", import_views.import_start, "course_import_start"),
            ("import/spalten/", import_views.import_columns, "course_import_columns"),
            ("import/vorlage.<str:kind>", import_views.import_template, "course_import_template"),
            ("import/<slug:organisation>/", import_views.import_upload, "course_import"),
            (
                "import/<slug:organisation>/<int:pk>/",
                import_views.import_job,
                "course_import_job",
            ),
            (
                "import/<slug:organisation>/export.<str:kind>",
                import_views.import_export,
                "course_import_export",
            ),
        ]
        for route, view, name in imports:
            urls.append(path(route, self.admin_view(self._with_site(view)), name=name))
        # Before Django's own: "view on site" resolves only objects within the user's scope.
        urls.append(
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            )
        )
        return urls + super().get_urls()

    def _with_site(self, view):
        # The export also writes openQ-cat (xml); the templates are tables only.
        kinds = ("csv", "xlsx", "xml") if view is import_views.import_export else ("csv", "xlsx")

        def inner(request, **kwargs):
            if kwargs.get("kind", "csv") not in kinds:
                raise Http404(_("Dieses Format gibt es nicht."))
            return view(request, self, **kwargs)

        return inner

    def view_on_site(self, request, content_type_id, object_id):
        """Django's shortcut redirect to an object's page, for objects the user may see."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
            model_admin = self._registry[model]
            found = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ContentType.DoesNotExist, KeyError, ValidationError) as error:
            raise Http404(_("Dieser Eintrag existiert nicht.")) from error
        if not (found and model_admin.has_view_or_change_permission(request)):
            raise Http404(_("Dieser Eintrag existiert nicht."))
        return shortcut(request, content_type_id, object_id)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard_for(request), **(extra_context or {})}
        return super().index(request, context)
