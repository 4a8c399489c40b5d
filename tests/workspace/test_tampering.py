"""Form tampering: whatever ids a user posts, nothing of another tenant is read or written.

Provider staff of X post Y's provider, contact, venue, date or course ids; a coordinator of A
posts B's network, working group or organisation, or tries to make someone a superuser. Each
post ends in a form error (or is ignored), never in a changed row of the other tenant.
"""

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.core import mail
from django.urls import reverse

from measures.models import Course, CourseDate
from network.models import Contact, Membership, Organisation, Venue, WorkingGroup
from tests.measures.test_admin import form_data
from tests.workspace.test_matrix import TENANT_OBJECTS, visible
from workspace.models import Reminder, RoleAssignment

pytestmark = pytest.mark.django_db


def errors(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(e.get_text(" ", strip=True) for e in soup.select(".errorlist, .errornote"))


def course_form(client, course):
    url = reverse("admin:measures_course_change", args=[course.pk])
    return url, form_data(client.get(url), "course_form")


def test_staff_cannot_move_a_course_to_another_provider(client, world):
    client.force_login(world.staff)
    url, data = course_form(client, world.a.course)
    data["provider"] = str(world.b.provider.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "gültige Auswahl" in errors(response)
    world.a.course.refresh_from_db()
    assert world.a.course.provider == world.a.provider


def test_staff_cannot_add_a_course_for_another_provider(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_course_add")
    data = form_data(client.get(url), "course_form")
    data.update(
        {"provider": str(world.b.provider.pk), "title": "Fremd", "slug": f"{world.slug}-fremd"}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert not Course.objects.filter(slug=f"{world.slug}-fremd").exists()


def test_staff_cannot_pick_another_providers_contact_or_venue(client, world):
    client.force_login(world.staff)
    url, data = course_form(client, world.a.course)
    data["contact"] = str(world.b.contact.pk)
    data["dates-0-venue"] = str(world.b.venue.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    # Each refused as not among the choices (not merely caught by a later check).
    contact_errors = page.select_one(".field-contact .errorlist").get_text(" ", strip=True)
    assert "gültige Auswahl" in contact_errors
    venue_errors = page.select_one("#dates-group .errorlist").get_text(" ", strip=True)
    assert "gültige Auswahl" in venue_errors
    world.a.course.refresh_from_db()
    assert world.a.course.contact == world.a.contact
    date = CourseDate.objects.get(pk=world.a.date.pk)
    assert date.venue == world.a.venue


def test_coordinator_cannot_give_a_course_a_venue_of_another_member(client, world):
    """Both organisations are within the coordinator's reach; the venue must still be the
    course provider's own."""
    other_member = Organisation.objects.create(name="Mitglied Z", slug=f"{world.slug}-z")
    Membership.objects.create(
        network=world.a.network, organisation=other_member, role=Membership.Role.STRATEGIC
    )
    foreign_venue = Venue.objects.create(organisation=other_member, name="Z-Haus")
    foreign_contact = Contact.objects.create(organisation=other_member, name="Z Person")
    client.force_login(world.coordinator)
    url, data = course_form(client, world.a.course)
    data["dates-0-venue"] = str(foreign_venue.pk)
    data["contact"] = str(foreign_contact.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    text = errors(response)
    assert "gehört nicht zum Anbieter des Kurses" in text
    assert "Die Ansprechperson gehört nicht zu diesem Anbieter." in text
    assert CourseDate.objects.get(pk=world.a.date.pk).venue == world.a.venue


def test_staff_cannot_edit_another_courses_date_through_the_inline(client, world):
    client.force_login(world.staff)
    url, data = course_form(client, world.a.course)
    data["dates-0-id"] = str(world.b.date.pk)
    data["dates-0-seats"] = "99"
    response = client.post(url, data)
    # Django drops a row whose id is not among the course's dates.
    assert response.status_code in (200, 302)
    assert CourseDate.objects.get(pk=world.b.date.pk).seats is None
    assert CourseDate.objects.get(pk=world.b.date.pk).course == world.b.course


def test_posting_to_another_tenants_object_is_a_404(client, world):
    client.force_login(world.staff)
    url = reverse("admin:measures_course_change", args=[world.b.course.pk])
    assert client.post(url, {"title": "übernommen"}).status_code == 404
    url = reverse("admin:measures_course_delete", args=[world.b.course.pk])
    assert client.post(url, {"post": "yes"}).status_code == 404
    assert Course.objects.filter(pk=world.b.course.pk, title__startswith="Kurs B").exists()


# Another tenant's object: a 404 before any permission is checked --------------------------------


def test_staff_get_a_404_for_another_organisations_delete_page(client, world):
    client.force_login(world.staff)
    path = reverse("admin:network_organisation_delete", args=[world.b.provider.pk])
    assert client.get(path).status_code == 404
    assert client.post(path, {"post": "yes"}).status_code == 404
    assert Organisation.objects.filter(pk=world.b.provider.pk).exists()


def test_staff_get_a_403_for_deleting_their_own_organisation(client, world):
    client.force_login(world.staff)
    path = reverse("admin:network_organisation_delete", args=[world.a.provider.pk])
    assert client.get(path).status_code == 403
    assert client.post(path, {"post": "yes"}).status_code == 403
    assert Organisation.objects.filter(pk=world.a.provider.pk).exists()


def admin_url(obj, view):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def test_posts_to_rows_outside_the_scope_are_404_and_to_own_rows_without_permission_403(
    client, world
):
    """Whatever the role may do with the model: a row it cannot see is a 404, and a 403 only
    ever answers for a row it sees."""
    cells = {
        "provider_staff": [
            ("delete", world.b.provider, 404),
            ("delete", world.a.provider, 403),
            ("change", world.b.network, 404),  # no permission on networks at all
            ("change", world.a.network, 404),  # their organisation's network: not theirs
            ("delete", world.a.network, 404),
            ("history", world.b.membership, 404),
            ("change", world.staff_b, 404),
            ("password_change", world.staff_b, 404),
            ("change", world.b.course, 404),
        ],
        "coordinator": [
            ("delete", world.b.network, 404),
            ("delete", world.a.network, 403),
            ("change", world.b.network, 404),
            ("delete", world.b.course, 404),
            ("delete", world.a.course, 403),
            ("delete", world.b.provider, 404),
            ("delete", world.a.provider, 403),
            ("delete", world.staff_b, 404),
            ("delete", world.staff, 403),
            ("password_change", world.staff_b, 404),
        ],
    }
    wrong = []
    for role, role_cells in cells.items():
        client.force_login(world.users[role])
        for view, obj, status in role_cells:
            response = client.post(admin_url(obj, view), {"post": "yes", "name": "Übernommen"})
            if response.status_code != status:
                label = f"{role} POST {view} {obj._meta.model_name} {obj}"
                wrong.append(f"{label}: expected {status}, got {response.status_code}")
    assert not wrong, "\n".join(wrong)
    for obj in (world.b.provider, world.a.provider, world.a.network, world.b.network):
        assert type(obj).objects.filter(pk=obj.pk, name=obj.name).exists()
    assert Course.objects.filter(pk__in=[world.a.course.pk, world.b.course.pk]).count() == 2
    assert type(world.staff).objects.filter(pk__in=[world.staff.pk, world.staff_b.pk]).count() == 2


def offered_bulk_actions(rf, user):
    """(model, action name) of every bulk action the user is offered in the admin."""
    request = rf.get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        for name in model_admin.get_actions(request):
            yield model, name


@pytest.mark.parametrize("role", ["provider_staff", "coordinator"])
def test_every_bulk_action_ignores_a_tampered_id_of_another_tenant(client, rf, world, role):
    """Each bulk action the role is offered, posted with nothing but the id of another
    tenant's row (the list never shows it): the row stays exactly as it was, no email goes
    out, and no export contains it."""
    user = world.users[role]
    client.force_login(user)
    checked, wrong = [], []
    for model, action in offered_bulk_actions(rf, user):
        if model not in TENANT_OBJECTS or visible(model, role, "other"):
            continue  # shared or reference rows: there is no other tenant's row to tamper with
        foreign = TENANT_OBJECTS[model](world)[1]
        before = model._default_manager.filter(pk=foreign.pk).values().get()
        response = client.post(
            admin_url_of(model, "changelist"),
            {"action": action, "_selected_action": [foreign.pk], "post": "yes"},
        )
        label = f"{model._meta.label}.{action}"
        checked.append(label)
        after = model._default_manager.filter(pk=foreign.pk).values().first()
        if after != before:
            wrong.append(f"{label}: changed another tenant's row")
        if response.status_code not in (200, 302, 404):
            wrong.append(f"{label}: status {response.status_code}")
        if response.status_code == 200 and str(foreign) in response.content.decode("utf-8-sig"):
            wrong.append(f"{label}: shows another tenant's row")
        if mail.outbox:
            wrong.append(f"{label}: sent {[m.to for m in mail.outbox]}")
            mail.outbox.clear()
    assert not wrong, f"bulk actions as {role}:\n" + "\n".join(wrong)
    # Every action the role has is checked (a new one is checked without listing it here).
    expected = {
        "provider_staff": {
            "measures.Course.confirm_selected",
            "measures.Course.submit_selected",
            "measures.Course.archive_selected",
            "measures.Course.export_csv",
            "network.Contact.delete_selected",
            "network.Venue.delete_selected",
            "measures.CourseDate.delete_selected",
            "measures.Module.delete_selected",
        },
        "coordinator": {
            "measures.Course.archive_selected",
            "network.Organisation.send_reminders",
            "auth.User.send_access_link",
            "network.Membership.delete_selected",
        },
    }[role]
    assert expected <= set(checked), sorted(checked)
    assert not Reminder.objects.exists()


def admin_url_of(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def test_bulk_action_ids_are_filtered_through_the_scope(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:measures_course_changelist"),
        {
            "action": "confirm_selected",
            "_selected_action": [world.a.course.pk, world.b.course.pk],
        },
    )
    assert response.status_code == 302
    world.a.course.refresh_from_db()
    world.b.course.refresh_from_db()
    assert world.a.course.last_confirmed_at is not None
    assert world.b.course.last_confirmed_at is None


def test_staff_have_no_bulk_delete(client, world):
    client.force_login(world.staff)
    client.post(
        reverse("admin:measures_course_changelist"),
        {"action": "delete_selected", "_selected_action": [world.a.course.pk], "post": "yes"},
    )
    assert Course.objects.filter(pk=world.a.course.pk).exists()


def test_export_contains_only_the_users_courses(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:measures_course_changelist"),
        {
            "action": "export_csv",
            "_selected_action": [world.a.course.pk, world.b.course.pk],
        },
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert world.a.course.title in text
    assert world.b.course.title not in text


def test_staff_cannot_add_a_contact_to_another_organisation(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:network_contact_add"),
        {"organisation": world.b.provider.pk, "name": "Eindringling"},
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(name="Eindringling").exists()


def test_coordinator_cannot_post_another_networks_ids(client, world):
    client.force_login(world.coordinator)
    response = client.post(
        reverse("admin:network_membership_add"),
        {"network": world.b.network.pk, "organisation": world.a.provider.pk, "role": "strategic"},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(network=world.b.network, organisation=world.a.provider)
    url = reverse("admin:network_workinggroup_change", args=[world.a.working_group.pk])
    data = form_data(client.get(url), "workinggroup_form")
    data["parent"] = str(world.b.working_group.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert WorkingGroup.objects.get(pk=world.a.working_group.pk).parent is None
    data["parent"] = ""
    data["network"] = str(world.b.network.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert WorkingGroup.objects.get(pk=world.a.working_group.pk).network == world.a.network


def test_coordinators_new_organisation_joins_their_network_only(client, world):
    client.force_login(world.coordinator)
    url = reverse("admin:network_organisation_add")
    data = form_data(client.get(url), "organisation_form")
    data.update({"name": "Neu", "slug": f"{world.slug}-neu", "join_network": world.b.network.pk})
    response = client.post(url, data)
    assert response.status_code == 200
    assert not Organisation.objects.filter(slug=f"{world.slug}-neu").exists()
    data["join_network"] = world.a.network.pk
    response = client.post(url, data)
    assert response.status_code == 302, errors(response)
    organisation = Organisation.objects.get(slug=f"{world.slug}-neu")
    assert organisation.memberships.get().network == world.a.network


def test_staff_cannot_change_slug_or_provider_flag(client, world):
    client.force_login(world.staff)
    url = reverse("admin:network_organisation_change", args=[world.a.provider.pk])
    data = form_data(client.get(url), "organisation_form")
    assert "slug" not in data and "is_provider" not in data
    data.update({"slug": "gekapert", "is_provider": []})
    assert client.post(url, data).status_code == 302
    world.a.provider.refresh_from_db()
    assert world.a.provider.slug != "gekapert" and world.a.provider.is_provider


# Users and roles -----------------------------------------------------------------------------


def user_form(client, user):
    url = reverse("admin:auth_user_change", args=[user.pk])
    return url, form_data(client.get(url), "user_form")


def test_coordinator_cannot_make_anyone_superuser(client, world):
    client.force_login(world.coordinator)
    url, data = user_form(client, world.staff)
    assert "is_superuser" not in data
    data.update({"is_superuser": "on", "is_staff": "on", "first_name": "Erika"})
    response = client.post(url, data)
    assert response.status_code == 302, errors(response)
    world.staff.refresh_from_db()
    assert world.staff.first_name == "Erika"
    assert not world.staff.is_superuser


def test_coordinator_cannot_assign_roles_in_another_network(client, world):
    client.force_login(world.coordinator)
    url, data = user_form(client, world.staff)
    total = int(data["role_assignments-TOTAL_FORMS"])
    data.update(
        {
            "role_assignments-TOTAL_FORMS": str(total + 2),
            f"role_assignments-{total}-kind": RoleAssignment.Kind.COORDINATOR,
            f"role_assignments-{total}-network": str(world.b.network.pk),
            f"role_assignments-{total + 1}-kind": RoleAssignment.Kind.PROVIDER_STAFF,
            f"role_assignments-{total + 1}-organisation": str(world.b.provider.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert errors(response).count("gültige Auswahl") >= 2
    assert set(world.staff.role_assignments.values_list("organisation", "network")) == {
        (world.a.provider.pk, None)
    }


def test_coordinator_gives_a_new_user_a_role_in_their_network(client, world):
    client.force_login(world.coordinator)
    url = reverse("admin:auth_user_add")
    data = form_data(client.get(url), "user_form")
    data.update({"username": f"{world.slug}-neu", "email": "neu@example.org"})
    data["usable_password"] = "false"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "mindestens eine Rolle" in errors(response)
    data.update(
        {
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-0-kind": RoleAssignment.Kind.PROVIDER_STAFF,
            "role_assignments-0-organisation": str(world.a.provider.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, errors(response)
    user = world.staff.__class__.objects.get(username=f"{world.slug}-neu")
    assert user.is_staff and not user.is_superuser
    assert user.role_assignments.get().organisation == world.a.provider


def test_coordinator_does_not_reach_a_user_who_also_works_elsewhere(client, world):
    RoleAssignment.objects.create(
        user=world.staff, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=world.b.provider
    )
    client.force_login(world.coordinator)
    url = reverse("admin:auth_user_change", args=[world.staff.pk])
    assert client.get(url).status_code == 404
    url = reverse("admin:auth_user_password_change", args=[world.staff.pk])
    assert client.post(url, {"password1": "x" * 20, "password2": "x" * 20}).status_code == 404


def test_access_link_goes_only_to_users_in_reach(client, world):
    world.staff.email = "x@example.org"
    world.staff.save()
    world.staff_b.email = "b@example.org"
    world.staff_b.save()
    client.force_login(world.coordinator)
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_access_link", "_selected_action": [world.staff.pk, world.staff_b.pk]},
    )
    assert [message.to for message in mail.outbox] == [["x@example.org"]]
    assert "/admin/passwort-neu/" in mail.outbox[0].body
