"""Base classes and list filters shared by the admins of all apps.

Every admin reads the database through two overridable places only:

* ``get_queryset(request)`` — the rows that changelists, change views, bulk actions and the
  autocomplete endpoint start from, together with what the list needs joined or annotated so
  that a changelist runs a constant number of queries. ``list_select_related`` is set to ``()``
  so that Django's changelist does not add a ``select_related()`` of its own (which would drop
  the nullable joins chosen in ``get_queryset`` and pull in large columns).
* ``choice_queryset(request, db_field)`` — the choices of a foreign-key or many-to-many field
  (used by ``formfield_for_foreignkey``/``formfield_for_manytomany`` and the relation list
  filters). By default it is the target model's own admin ``get_queryset``: scoping a model's
  admin per user therefore scopes every field, filter and autocomplete that points to it.

Both are scoped per user: ``get_queryset`` starts from the model's selector in
``workspace.scopes`` (``courses_for_user(user)`` …: provider staff see their organisations,
coordinators their networks, superusers everything, and a model without a selector is for
superusers only), so every list, detail, change, delete, history, bulk action, export,
autocomplete, relation filter and choice follows from that one function per model. An object
outside the scope is a 404 (``get_object``), never a redirect or a 403, and it is found out
before any permission is checked: a 403 answers only for a row the user sees.

What a role may do with a model (view, add, change, delete) is declared next to each admin in
``role_permissions``, e.g. ``{"coordinator": "vacd", "provider_staff": "vc"}``; superusers may do
everything, Django's per-user model permissions grant nothing beyond that.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from network.models import Region
from workspace.access import access_for
from workspace.scopes import scope_queryset

EMPTY = "–"
VIEW, ADD, CHANGE, DELETE = "v", "a", "c", "d"


def search_words(term: str) -> list[str]:
    """The words of an admin search as Django's search reads them ("quoted words" kept
    together)."""
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def role_allows(request, role_permissions: dict[str, str], action: str) -> bool:
    """Whether one of the user's roles grants ``action`` (superusers: always)."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    access = access_for(user)
    if access.is_superuser:
        return True
    return any(action in role_permissions.get(role, "") for role in access.roles)


class AtlasAdminMixin:
    """Single places for querysets, relation choices and permissions; used by model admins
    and inlines."""

    list_select_related = ()
    # Links typed without a scheme are https (Django 6's default, without its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # role -> the letters of what it may do: v(iew), a(dd), c(hange), d(elete).
    role_permissions: dict[str, str] = {}

    def role_allows(self, request, action: str) -> bool:
        return role_allows(request, self.role_permissions, action)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW) or self.role_allows(request, CHANGE)

    def has_add_permission(self, request, *args):
        return self.role_allows(request, ADD)

    def has_change_permission(self, request, obj=None):
        return self.role_allows(request, CHANGE)

    def has_delete_permission(self, request, obj=None):
        return self.role_allows(request, DELETE)

    def has_module_permission(self, request):
        return any(self.role_allows(request, action) for action in (VIEW, ADD, CHANGE, DELETE))

    def get_queryset(self, request):
        return scope_queryset(self.model, request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        """The object, looked up in the scoped ``get_queryset``; another tenant's object (or
        none) is a 404.

        Django's change, delete and history views (and the user admin's password view) call
        this before they check a permission, so a row outside the user's scope is a 404
        whatever the role may do with the model, and a 403 only ever concerns a row the user
        sees: the portal does not confirm that another tenant's object exists.
        """
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Dieser Eintrag existiert nicht."))
        return obj

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another tenant's object (or none): a 404 that does not confirm it exists.
        raise Http404(_("Dieser Eintrag existiert nicht."))

    def response_action(self, request, queryset):
        # A bulk action's posted ids are filtered through the user's scope once more, whatever
        # rows the changelist passes on: another tenant's id selects nothing.
        scoped = self.get_queryset(request).filter(pk__in=queryset.values("pk"))
        return super().response_action(request, scoped)

    def related_queryset(self, request, model):
        """The rows of ``model`` this request may see: its admin's queryset when registered,
        else the model's scope."""
        try:
            related_admin = self.admin_site.get_model_admin(model)
        except NotRegistered:
            return scope_queryset(model, request.user, model._default_manager.all())
        return related_admin.get_queryset(request)

    def choice_queryset(self, request, db_field):
        """The choices of a relation field in this admin's forms."""
        return self.related_queryset(request, db_field.remote_field.model)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choice_queryset(request, db_field)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choice_queryset(request, db_field)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows of a list: counting every course or date of a large catalogue
    for each page of the list cost up to a second; beyond the cap the list says "mehr als
    10.000" and pages go as far (a search or a filter narrows it)."""

    cap = 10_000
    capped = False  # set by count

    @cached_property
    def count(self) -> int:
        # Only the rows, not the list's annotations (completeness, next date) of each.
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class AtlasModelAdmin(AtlasAdminMixin, admin.ModelAdmin):
    """Base model admin.

    Inlines may set ``after_fieldset`` to the name of a fieldset; with
    ``change_form_template = GROUPED_CHANGE_FORM`` they are then shown right below that fieldset
    instead of at the end of the form (the course form shows its dates under "Wann & Wo").
    """

    list_per_page = 50
    empty_value_display = EMPTY
    paginator = CappedPaginator

    def get_changelist_form(self, request, **kwargs):
        """The fields of ``list_editable`` are named after their column and row ("Position:
        Pflege"): a changelist shows them without a label (WCAG 1.3.1, 4.1.2)."""
        form = super().get_changelist_form(request, **kwargs)

        class NamedChangeListForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    if not field.widget.is_hidden:
                        label = str(field.label)
                        if self.instance.pk is not None:
                            label = f"{label}: {self.instance}"
                        field.widget.attrs.setdefault("aria-label", label)

        NamedChangeListForm.__name__ = form.__name__
        return NamedChangeListForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        adminform = context.get("adminform")
        if adminform is not None:
            placed: dict[str, list] = {}
            trailing = []
            for inline_admin_formset in context.get("inline_admin_formsets", []):
                after = getattr(inline_admin_formset.opts, "after_fieldset", None)
                if after is None:
                    trailing.append(inline_admin_formset)
                else:
                    placed.setdefault(str(after), []).append(inline_admin_formset)
            grouped = [(fieldset, placed.pop(str(fieldset.name), [])) for fieldset in adminform]
            # An inline whose fieldset is hidden (e.g. by permissions) still shows at the end.
            for inlines in placed.values():
                trailing.extend(inlines)
            context["grouped_fieldsets"] = grouped
            context["trailing_inline_admin_formsets"] = trailing
        return super().render_change_form(request, context, add, change, form_url, obj)


GROUPED_CHANGE_FORM = "admin/grouped_change_form.html"


class AtlasTabularInline(AtlasAdminMixin, admin.TabularInline):
    extra = 0
    after_fieldset = None

    def get_extra(self, request, obj=None, **kwargs):
        # One empty row on a new object invites entry; an existing one uses "add another".
        return 1 if obj is None else self.extra


class AtlasStackedInline(AtlasAdminMixin, admin.StackedInline):
    extra = 0
    after_fieldset = None

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else self.extra


class StaffViewableMixin:
    """Public vocabulary or reference data: every active staff member may look it up.

    Looking it up is needed to fill in the fields that point to it (autocomplete checks the
    target's view permission). Changing it still needs the model permissions.
    """

    def has_view_permission(self, request, obj=None):
        user = request.user
        return (user.is_active and user.is_staff) or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        # Looked up through the fields that point to it; listed for superusers only.
        return request.user.is_active and request.user.is_superuser


class ReferenceDataAdmin(StaffViewableMixin, AtlasModelAdmin):
    """Official reference data (regions, postal codes), loaded by a command: view-mostly
    (superusers may change it)."""


# List filters ------------------------------------------------------------------------------


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A relation filter whose choices come from the target admin's (scoped) queryset."""

    def field_choices(self, field, request, model_admin):
        queryset = model_admin.related_queryset(request, field.remote_field.model)
        return [(obj.pk, str(obj)) for obj in queryset]


def state_filter(field_path: str, title=None):
    """A filter by state (Bundesland) for a region foreign key at ``field_path``.

    Regions below a state have keys that start with the state's key, so this covers districts
    and municipalities alike.
    """

    class StateListFilter(admin.SimpleListFilter):
        parameter_name = f"{field_path.replace('__', '_')}_state"

        def lookups(self, request, model_admin):
            states = model_admin.related_queryset(request, Region).filter(kind=Region.Kind.STATE)
            return [
                (f"{state.country}:{state.key}", str(state))
                for state in states.order_by("country", "name")
            ]

        def queryset(self, request, queryset):
            if not self.value() or ":" not in self.value():
                return queryset
            country, key = self.value().split(":", 1)
            return queryset.filter(Region(key=key, country=country).contains_q(field_path))

    StateListFilter.title = title or _("Bundesland")
    return StateListFilter


class YesNoFilter(admin.SimpleListFilter):
    """A yes/no filter whose two sides are methods (usually queryset methods of the model)."""

    yes_label = _("ja")
    no_label = _("nein")

    def lookups(self, request, model_admin):
        return [("yes", self.yes_label), ("no", self.no_label)]

    def filter_yes(self, queryset):
        raise NotImplementedError

    def filter_no(self, queryset):
        raise NotImplementedError

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return self.filter_yes(queryset)
        if self.value() == "no":
            return self.filter_no(queryset)
        return queryset


class SubqueryCount(models.Subquery):
    """``COUNT(*)`` of a correlated queryset as an annotation.

    A subquery keeps the count right when the list also joins or filters through other
    relations, which a ``Count`` over a join would multiply.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = models.IntegerField()

    def __init__(self, queryset, **extra):
        super().__init__(queryset.order_by().values("pk"), **extra)
