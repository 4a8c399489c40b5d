"""The admin site of the workspace.

Adds to Django's admin: the log-in with lock and second factor, the two-factor set-up that
coordinators and superusers must finish before anything else (where the settings require it),
password reset by email, and the dashboard on the index page.
"""

from django.contrib import admin
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from workspace import security
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
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(
                    request.get_full_path(), reverse("admin:login", current_app=self.name)
                )
            return view(request, *args, **kwargs)

        from django.views.decorators.cache import never_cache
        from django.views.decorators.csrf import csrf_protect

        return csrf_protect(never_cache(inner))

    def get_urls(self):
        from workspace import views

        reset = "registration/"
        urls = [
            path(
                "zwei-faktor/",
                self.staff_view(views.TwoFactorSetupView.as_view(admin_site=self)),
                name="two_factor",
            ),
            path(
                "passwort-vergessen/",
                auth_views.PasswordResetView.as_view(
                    template_name=reset + "password_reset_form.html",
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
        return urls + super().get_urls()

    def index(self, request, extra_context=None):
        from workspace.dashboard import dashboard_for

        context = {"dashboard": dashboard_for(request), **(extra_context or {})}
        return super().index(request, context)
