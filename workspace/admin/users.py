"""Users and their roles; Django's groups and per-user permissions are not used (roles are)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from workspace import services
from workspace.access import access_for
from workspace.admin.base import AtlasAdminMixin, AtlasTabularInline
from workspace.models import RoleAssignment

User = get_user_model()

for model in (User, Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class RoleFormSet(BaseInlineFormSet):
    """A coordinator who adds a user gives them a role at once (else the new user would be
    out of the coordinator's reach)."""

    def clean(self):
        super().clean()
        if self.instance.pk is not None or access_for(self.request.user).is_superuser:
            return
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)
        ]
        if not kept:
            raise ValidationError(_("Bitte mindestens eine Rolle vergeben."), code="role_required")


class RoleAssignmentInline(AtlasTabularInline):
    model = RoleAssignment
    formset = RoleFormSet
    fields = ["kind", "organisation", "network"]
    autocomplete_fields = ["organisation"]
    role_permissions = {"coordinator": "vacd"}
    verbose_name = _("Rolle")
    verbose_name_plural = _("Rollen")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "network")


@admin.register(User)
class UserAdmin(AtlasAdminMixin, DjangoUserAdmin):
    """Superusers manage every account; coordinators the accounts within their networks."""

    role_permissions = {"coordinator": "vac"}
    inlines = [RoleAssignmentInline]
    list_display = ["username", "full_name", "email", "role_list", "two_factor", "is_active"]
    list_filter = ["is_active", "is_superuser", "role_assignments__kind"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    readonly_fields = ["last_login", "date_joined"]
    actions = ["send_access_link", "reset_two_factor"]
    superuser_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Zugang"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Daten"), {"fields": [("last_login", "date_joined")]}),
    ]
    coordinator_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Zugang"), {"fields": ["is_active"]}),
        (_("Daten"), {"fields": [("last_login", "date_joined")]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if access_for(request.user).is_superuser:
            return self.superuser_fieldsets
        return self.coordinator_fieldsets

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "role_assignments",
                    queryset=RoleAssignment.objects.select_related("organisation", "network"),
                )
            )
            .annotate(
                has_two_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                )
            )
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not access_for(request.user).is_superuser:
            actions.pop("reset_two_factor", None)
        return actions

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.user_roles_changed(user=form.instance)

    @admin.display(description=_("Name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("Rollen"))
    def role_list(self, obj):
        roles = [str(role) for role in obj.role_assignments.all()]
        if obj.is_superuser:
            roles.insert(0, str(_("Superuser")))
        return "; ".join(roles) or "–"

    @admin.display(description=_("2FA"), boolean=True, ordering="has_two_factor")
    def two_factor(self, obj):
        return obj.has_two_factor

    @admin.action(description=_("Zugangslink (Passwort festlegen) per E-Mail senden"))
    def send_access_link(self, request, queryset):
        sent, missing = services.send_access_links(
            users=queryset, request=request, actor=request.user
        )
        if sent:
            messages.success(
                request,
                ngettext(
                    "%(count)d Zugangslink gesendet.", "%(count)d Zugangslinks gesendet.", sent
                )
                % {"count": sent},
            )
        if missing:
            messages.warning(
                request,
                _("Ohne E-Mail-Adresse, nicht gesendet: %(names)s") % {"names": ", ".join(missing)},
            )

    @admin.action(description=_("Zwei-Faktor-Anmeldung zurücksetzen"))
    def reset_two_factor(self, request, queryset):
        count = services.reset_two_factor(users=queryset, actor=request.user)
        messages.success(
            request,
            ngettext(
                "Zwei-Faktor-Anmeldung für %(count)d Benutzer zurückgesetzt.",
                "Zwei-Faktor-Anmeldung für %(count)d Benutzer zurückgesetzt.",
                count,
            )
            % {"count": count},
        )
