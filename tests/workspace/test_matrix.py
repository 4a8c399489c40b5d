"""The permission matrix: every admin URL × every role × own / other tenant's object.

Roles: superuser, coordinator of network A, staff of provider X (member of A), and a staff
account without a role ("nobody"). "Own" objects belong to A / X, "other" ones to B / Y. The
expected status of every cell follows from the policy written out below (``PERMISSIONS``), which
is stated here independently of the admin classes: the admin must match it.

Per cell: changelist and add (200 or 403), change, delete and history of the own and the other
object (200, 403, or 404 — an object outside the role's scope is a 404 whatever the role may do
with the model, never a 403 or a redirect; a 403 is only for a visible row), the
user admin's password view, the course workflow views (review, transitions, confirmation) and
the autocomplete endpoint of every autocomplete field (which rows it offers), and the choices of
every relation field of every add and change form, inlines included (which rows they offer).
Every registered model is covered: one without an entry here must show non-superusers no rows
at all.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Module,
    Subject,
    Synonym,
    TargetGroup,
)
from network.models import (
    Certification,
    Contact,
    Event,
    Membership,
    Network,
    Organisation,
    PostalCode,
    Project,
    Region,
    Venue,
    WorkingGroup,
)
from pages.models import InfoPage
from tests.workspace.conftest import ROLES

pytestmark = pytest.mark.django_db
User = get_user_model()

# The policy: what each role may do with each model (v, a, c, d) besides superusers (all).
PERMISSIONS = {
    Network: {"coordinator": "vc"},
    Membership: {"coordinator": "vacd"},
    WorkingGroup: {"coordinator": "vacd"},
    Project: {"coordinator": "vacd"},
    Event: {"coordinator": "vacd"},
    Organisation: {"coordinator": "vac", "provider_staff": "vc"},
    Contact: {"coordinator": "vacd", "provider_staff": "vacd"},
    Venue: {"coordinator": "vacd", "provider_staff": "vacd"},
    Course: {"coordinator": "vac", "provider_staff": "vacd"},
    CourseDate: {"coordinator": "vacd", "provider_staff": "vacd"},
    Module: {"coordinator": "vacd", "provider_staff": "vacd"},
    User: {"coordinator": "vac"},
    Synonym: {"coordinator": "vacd"},
    # Shared by all networks of the installation: coordinators run them, but only superusers
    # delete one (a coordinator unpublishes it; see atlas/admin_pages.py).
    InfoPage: {"coordinator": "vac"},
}
# Public reference data and vocabularies: every staff member looks them up, superusers edit.
REFERENCE = {Region, PostalCode, Certification, Subject, TargetGroup, FundingType, CertificateKind}
# Shared by all networks (not a tenant's): every coordinator sees every row.
SHARED = {Synonym, InfoPage}

TENANT_OBJECTS = {
    Network: lambda w: (w.a.network, w.b.network),
    Membership: lambda w: (w.a.membership, w.b.membership),
    WorkingGroup: lambda w: (w.a.working_group, w.b.working_group),
    Project: lambda w: (w.a.project, w.b.project),
    Event: lambda w: (w.a.event, w.b.event),
    Organisation: lambda w: (w.a.provider, w.b.provider),
    Contact: lambda w: (w.a.contact, w.b.contact),
    Venue: lambda w: (w.a.venue, w.b.venue),
    Course: lambda w: (w.a.course, w.b.course),
    CourseDate: lambda w: (w.a.date, w.b.date),
    Module: lambda w: (w.a.module, w.b.module),
    User: lambda w: (w.staff, w.staff_b),
    InfoPage: lambda w: w.info_pages(),
}

COVERED = set(PERMISSIONS) | REFERENCE
REGISTERED = sorted(admin.site._registry, key=lambda m: (m._meta.app_label, m._meta.model_name))
UNCOVERED = [model for model in REGISTERED if model not in COVERED]


def perms(model, role) -> str:
    if role == "superuser":
        return "vacd"
    if model in REFERENCE:
        return "v"
    return PERMISSIONS.get(model, {}).get(role, "")


def visible(model, role, which) -> bool:
    if role == "superuser" or model in REFERENCE:
        return True
    if model in SHARED:  # shared by the networks: every coordinator sees every row
        return role == "coordinator"
    return bool(perms(model, role)) and which == "own"


def expected(model, role, view, which=None) -> int:
    p = perms(model, role)
    sees = "v" in p or "c" in p
    if view == "changelist":
        return 200 if sees else 403
    if view == "add":
        return 200 if "a" in p else 403
    # Another tenant's object is a 404 whatever the role may do with the model: it is looked
    # up in the role's scope before any permission is checked. A 403 only ever concerns a
    # row the role sees.
    if view in ("change", "password", "delete", "history") and not visible(model, role, which):
        return 404
    if view in ("change", "history"):
        return 200 if sees else 403
    if view == "password":
        return 200 if "c" in p else 403
    if view == "delete":
        return 200 if "d" in p else 403
    raise AssertionError(view)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def objects_of(world, model):
    if model in TENANT_OBJECTS:
        return TENANT_OBJECTS[model](world)
    return tuple(world.reference_pair(model))


def check_cells(client, cells):
    """cells: (label, method, url, expected) → the mismatches, all at once."""
    wrong = []
    for label, method, path, status in cells:
        response = client.post(path) if method == "POST" else client.get(path)
        if response.status_code != status:
            wrong.append(f"{label}: expected {status}, got {response.status_code}")
    return wrong


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model", sorted(COVERED, key=lambda m: m._meta.label), ids=lambda m: m._meta.label
)
def test_admin_views_per_role_and_tenant(client, world, model, role):
    own, other = objects_of(world, model)
    client.force_login(world.users[role])
    cells = [
        ("changelist", "GET", url(model, "changelist"), expected(model, role, "changelist")),
        ("add", "GET", url(model, "add"), expected(model, role, "add")),
    ]
    for which, obj in (("own", own), ("other", other)):
        for view in ("change", "delete", "history"):
            cells.append(
                (
                    f"{view} {which}",
                    "GET",
                    url(model, view, obj.pk),
                    expected(model, role, view, which),
                )
            )
        if model is User:
            cells.append(
                (
                    f"password {which}",
                    "GET",
                    url(model, "password_change", obj.pk),
                    expected(model, role, "password", which),
                )
            )
    wrong = check_cells(client, cells)
    assert not wrong, f"{model.__name__} as {role}:\n" + "\n".join(wrong)


# The course workflow views: (own, other) expected per role.
COURSE_VIEWS = {
    # The review of a submitted course: network A reviews, network B does not.
    "review": {
        "superuser": (200, 403),
        "coordinator": (200, 404),
        "provider_staff": (403, 404),
        "nobody": (404, 404),
    },
    "confirm": {
        "superuser": (302, 302),
        "coordinator": (302, 404),
        "provider_staff": (302, 404),
        "nobody": (404, 404),
    },
    "archive": {
        "superuser": (302, 302),
        "coordinator": (302, 404),
        "provider_staff": (302, 404),
        "nobody": (404, 404),
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_course_workflow_views_per_role_and_tenant(client, world, role):
    client.force_login(world.users[role])
    cells = []
    for which, tenant, index in (("own", world.a, 0), ("other", world.b, 1)):
        cells += [
            (
                f"review {which}",
                "GET",
                url(Course, "review", tenant.submitted.pk),
                COURSE_VIEWS["review"][role][index],
            ),
            (
                f"confirm {which}",
                "POST",
                url(Course, "confirm", tenant.course.pk),
                COURSE_VIEWS["confirm"][role][index],
            ),
            (
                f"archive {which}",
                "POST",
                url(Course, "transition", tenant.course.pk, "archive"),
                COURSE_VIEWS["archive"][role][index],
            ),
        ]
    wrong = check_cells(client, cells)
    assert not wrong, f"course workflow as {role}:\n" + "\n".join(wrong)


def test_workflow_actions_need_post(client, world):
    client.force_login(world.staff)
    assert client.get(url(Course, "confirm", world.a.course.pk)).status_code == 405
    assert client.get(url(Course, "transition", world.a.course.pk, "submit")).status_code == 405


# "View on site" (/admin/r/<content type>/<id>/): own and other object per role.
VIEW_ON_SITE = {
    Course: {
        "superuser": (302, 302),
        "coordinator": (302, 404),
        "provider_staff": (302, 404),
        "nobody": (404, 404),
    },
    Organisation: {
        "superuser": (302, 302),
        "coordinator": (302, 404),
        "provider_staff": (302, 404),
        "nobody": (404, 404),
    },
    Network: {
        "superuser": (302, 302),
        "coordinator": (302, 404),
        "provider_staff": (404, 404),
        "nobody": (404, 404),
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_view_on_site_per_role_and_tenant(client, world, role):
    from django.contrib.contenttypes.models import ContentType

    client.force_login(world.users[role])
    cells = []
    for model, expected_pair in VIEW_ON_SITE.items():
        content_type = ContentType.objects.get_for_model(model)
        for index, obj in enumerate(TENANT_OBJECTS[model](world)):
            path = reverse("admin:view_on_site", args=[content_type.pk, obj.pk])
            which = ("own", "other")[index]
            cells.append((f"{model.__name__} {which}", "GET", path, expected_pair[role][index]))
    cells.append(("bad id", "GET", reverse("admin:view_on_site", args=[9999999, 1]), 404))
    wrong = check_cells(client, cells)
    assert not wrong, f"view on site as {role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_site_pages_per_role(client, world, role):
    client.force_login(world.users[role])
    for name in ("admin:index", "admin:two_factor", "admin:password_change"):
        assert client.get(reverse(name)).status_code == 200, name


# Autocomplete --------------------------------------------------------------------------------


def autocomplete_fields():
    """(source model, field name, target model) for every autocomplete field, inlines too."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            for name in each.autocomplete_fields:
                field = each.model._meta.get_field(name)
                found.add((each.model, name, field.remote_field.model))
    return sorted(found, key=lambda item: (item[0]._meta.label, item[1]))


AUTOCOMPLETE = autocomplete_fields()


def test_every_autocomplete_target_is_in_the_matrix():
    assert {target for _, _, target in AUTOCOMPLETE} <= COVERED


@pytest.mark.parametrize("role", ROLES)
def test_autocomplete_offers_only_the_roles_rows(client, world, role):
    client.force_login(world.users[role])
    pairs = {}
    wrong = []
    for source, field_name, target in AUTOCOMPLETE:
        if target not in pairs:
            pairs[target] = objects_of(world, target)
        own, other = pairs[target]
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": source._meta.app_label,
                "model_name": source._meta.model_name,
                "field_name": field_name,
                "term": world.token,
            },
        )
        label = f"{source.__name__}.{field_name} → {target.__name__}"
        p = perms(target, role)
        status = 200 if ("v" in p or "c" in p) else 403
        if response.status_code != status:
            wrong.append(f"{label}: expected {status}, got {response.status_code}")
            continue
        if status != 200:
            continue
        found = {result["id"] for result in response.json()["results"]}
        offered = {which for which, obj in (("own", own), ("other", other)) if str(obj.pk) in found}
        wanted = {which for which in ("own", "other") if visible(target, role, which)}
        if offered != wanted:
            wrong.append(f"{label}: offered {sorted(offered)}, expected {sorted(wanted)}")
    assert not wrong, f"autocomplete as {role}:\n" + "\n".join(wrong)


# Foreign-key and many-to-many choices of every admin form ---------------------------------------


def admin_forms(model_admin, request, obj):
    """(label, form class) of the admin's form and of each of its inlines' forms."""
    yield model_admin.__class__.__name__, model_admin.get_form(request, obj, change=obj is not None)
    for inline in model_admin.get_inline_instances(request, obj):
        yield inline.__class__.__name__, inline.get_formset(request, obj).form


@pytest.mark.parametrize("role", ["coordinator", "provider_staff"])
def test_form_choices_offer_only_the_roles_rows(rf, world, role):
    """Every relation field of every add and change form (inlines too) offers only rows the
    role may see: an unscoped choice would offer another tenant's row."""
    pairs = {model: objects_of(world, model) for model in TENANT_OBJECTS}
    user = world.users[role]
    wrong, checked = [], 0
    for model, model_admin in admin.site._registry.items():
        request = rf.get("/admin/")
        request.user = user
        targets = []
        if model_admin.has_add_permission(request):
            targets.append(None)
        if model in pairs and model_admin.has_change_permission(request, pairs[model][0]):
            targets.append(pairs[model][0])
        for obj in targets:
            for label, form_class in admin_forms(model_admin, request, obj):
                for name, field in form_class.base_fields.items():
                    queryset = getattr(field, "queryset", None)
                    if queryset is None or queryset.model not in pairs:
                        continue
                    checked += 1
                    own, other = pairs[queryset.model]
                    offered = set(queryset.filter(pk__in=[own.pk, other.pk]).values_list("pk"))
                    offered = {
                        which for which, o in (("own", own), ("other", other)) if (o.pk,) in offered
                    }
                    if "other" in offered and not visible(queryset.model, role, "other"):
                        where = "add" if obj is None else "change"
                        wrong.append(f"{label}.{name} ({where}) offers another tenant's row")
    assert checked > 10, "no relation fields were checked"
    assert not wrong, f"choices as {role}:\n" + "\n".join(wrong)


# Models not in the matrix (e.g. added later): superusers only, until they are scoped.


@pytest.mark.parametrize("model", UNCOVERED or [None], ids=lambda m: m._meta.label if m else "-")
def test_models_outside_the_matrix_show_non_superusers_nothing(client, world, model):
    if model is None:
        pytest.skip("every registered model is in the matrix")
    for role in ("coordinator", "provider_staff", "nobody"):
        client.force_login(world.users[role])
        try:
            path = url(model, "changelist")
        except NoReverseMatch:  # pragma: no cover - an admin without a changelist
            continue
        response = client.get(path)
        assert response.status_code in (200, 403), (model, role)
        if response.status_code == 200:
            cl = response.context["cl"]
            assert cl.result_count == 0, (
                f"{model._meta.label} shows {role} rows: add it to workspace.scopes.SCOPES "
                "and to this matrix"
            )
    client.force_login(world.superuser)
    assert client.get(url(model, "changelist")).status_code == 200


# Information pages: run by coordinators ------------------------------------------------------


def test_coordinator_edits_information_and_legal_pages_but_deletes_none(client, world):
    from tests.measures.test_admin import form_data

    own, _other = world.info_pages()
    imprint = InfoPage.objects.get(purpose=InfoPage.Purpose.IMPRINT)
    client.force_login(world.coordinator)
    for page in (own, imprint):
        change = url(InfoPage, "change", page.pk)
        data = form_data(client.get(change), "infopage_form")
        data["body"] = f"## Neu\n\nVon der Koordination {world.token}."
        assert client.post(change, data).status_code == 302
        page.refresh_from_db()
        assert world.token in page.body
        assert (
            page.body_html
            == f'<h2 id="abschnitt-neu">Neu</h2>\n<p>Von der Koordination {world.token}.</p>'
        )
        # Delete stays with superusers (pages are shared by every network of the installation).
        assert client.post(url(InfoPage, "delete", page.pk), {"post": "yes"}).status_code == 403
    assert InfoPage.objects.filter(pk=own.pk).exists()
    add = url(InfoPage, "add")
    data = form_data(client.get(add), "infopage_form")
    data.update(
        {"title": "Förderratgeber", "slug": f"{world.slug}-neu", "body": "Text der Koordination."}
    )
    assert client.post(add, data).status_code == 302
    assert InfoPage.objects.filter(slug=f"{world.slug}-neu").exists()
    # Provider staff do not reach the site's pages at all.
    client.force_login(world.staff)
    change = url(InfoPage, "change", own.pk)
    assert client.post(change, {"title": "x", "slug": own.slug, "body": "y"}).status_code == 404
