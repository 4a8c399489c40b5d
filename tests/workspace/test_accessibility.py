"""The workspace's admin pages in Chromium with axe-core (WCAG 2.1 AA), for each role, plus the
log-in and password reset pages.

Each role logs in through the log-in form in the browser. The coordinator of a reviewing demo
network and the staff of one of its providers then visit: the admin index (dashboard), every
changelist they may view, the add form and one change form of each model with inlines
(``admin_pages`` of test_admin_layout), a course's change form and history, the history of a
submitted course, their own network or organisation, the two-factor page, and — the
coordinator — an information page and the review page of the submitted course. A superuser
visits its dashboard, the pages the other two do not visit and the lists only it may edit (the
same templates; it keeps the test under 90 s). All at 1280 px; the coordinator's and the
provider staff's dashboard and course list also at 360 px, where links in running text wrap
differently. Every page must be the one asked for — status 200 at the same path, the user's
name and log-out form, a heading, no log-in form — so that the test can never again check the
log-in form in their place.

The live server sees committed data only: the accounts are committed from another thread (in
the test's transaction they would not exist for it) and removed, with their sessions,
afterwards.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from measures.models import Course
from network.models import Network
from pages.models import InfoPage
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import AXE_JS, need
from tests.pages.checks import AXE_RUN
from tests.workspace.test_admin_layout import admin_pages, committed
from workspace.models import QualityCriterion, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The live server and browser of tests/browser (one per process).
site_url = browser_conftest.site_url
browser = browser_conftest.browser
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Rules switched off for exactly one selector each, with the reason: markup of Django's own
# admin that the workspace cannot reasonably change. (rule id, CSS selector) pairs.
AXE_EXCLUDED: list[tuple[str, str]] = []
ROLES = ("coordinator", "provider_staff", "superuser")
DESKTOP, PHONE = 1280, 360
# Links in running text wrap differently on a phone: these roles' dashboard and course list are
# checked at 360 px as well.
ON_PHONE = ("coordinator", "provider_staff")
PASSWORD = "a11y-Passwort-2026"  # noqa: S105 (a test account's, removed after the test)

# What marks a page as the one asked for, not the log-in form: the logged-in user's name in the
# user tools, the log-out form, a heading, and no log-in form. Returns what is wrong.
LOGGED_IN = r"""
(name) => {
  const wrong = [];
  const tools = document.querySelector('#user-tools');
  if (!tools || !tools.textContent.includes(name)) wrong.push(`no user name "${name}"`);
  if (!document.querySelector('#logout-form')) wrong.push('no log-out form');
  if (document.querySelector('#login-form')) wrong.push('a log-in form');
  const h1 = document.querySelector('#content h1');
  if (!h1 || !h1.textContent.trim()) wrong.push('no heading');
  return wrong;
}
"""


def create_accounts():
    """A coordinator of the reviewing demo network with a submitted course, staff of its
    provider with the most courses, a superuser, each with a password; a quality criterion."""
    User = get_user_model()
    submitted = (
        Course.objects.filter(
            status=Course.Status.SUBMITTED,
            provider__memberships__network__reviews_offers=True,
        )
        .order_by("pk")
        .first()
    )
    assert submitted is not None, "the demo data has a submitted offer in a reviewing network"
    network = (
        Network.objects.filter(reviews_offers=True, memberships__organisation=submitted.provider)
        .order_by("slug")
        .first()
    )
    provider = submitted.provider
    criterion = QualityCriterion.objects.create(network=network, title="Angaben vollständig")
    password = make_password(PASSWORD)
    users = {}
    for role, kind, target in (
        ("coordinator", RoleAssignment.Kind.COORDINATOR, {"network": network}),
        ("provider_staff", RoleAssignment.Kind.PROVIDER_STAFF, {"organisation": provider}),
        ("superuser", None, None),
    ):
        user = User.objects.create(
            username=f"a11y-{role.replace('_', '-')}",
            first_name=f"A11y{role.title().replace('_', '')}",
            last_name="Test",
            email=f"a11y-{role}@example.org",
            is_staff=True,
            is_superuser=kind is None,
            password=password,
        )
        if kind is not None:
            RoleAssignment.objects.create(user=user, kind=kind, **target)
        users[role] = user
    return {
        "users": users,
        "network": network,
        "provider": provider,
        "submitted": submitted,
        "criterion": criterion,
    }


def delete_accounts(world, session_keys):
    Session.objects.filter(session_key__in=session_keys).delete()
    for user in world["users"].values():
        user.delete()  # with role assignments, devices, log entries
    world["criterion"].delete()


@pytest.fixture
def accounts(django_db_blocker, settings):
    # A quick hash for the test passwords (the live server runs in this process).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        world = committed(create_accounts)
    session_keys: list[str] = []
    try:
        yield world, session_keys
    finally:
        with django_db_blocker.unblock():
            committed(lambda: delete_accounts(world, session_keys))


def role_paths(role, world) -> list[str]:
    """The pages the role is checked on (read in the test's connection: committed data)."""
    user = world["users"][role]
    network, provider, submitted = world["network"], world["provider"], world["submitted"]
    course = (
        Course.objects.filter(provider=provider).exclude(pk=submitted.pk).order_by("pk").first()
    )
    paths = [reverse("admin:index"), *admin_pages(user)]
    paths += [
        reverse("admin:measures_course_change", args=[course.pk]),
        reverse("admin:measures_course_history", args=[course.pk]),
        reverse("admin:measures_course_history", args=[submitted.pk]),
        reverse("admin:two_factor"),
    ]
    if role == "provider_staff":
        paths.append(reverse("admin:network_organisation_change", args=[provider.pk]))
        paths += [  # the course import (its job page: tests/workspace/test_course_import_views)
            reverse("admin:course_import", kwargs={"organisation": provider.slug}),
            reverse("admin:course_import_columns"),
        ]
    else:
        imprint = InfoPage.objects.get(purpose=InfoPage.Purpose.IMPRINT)
        paths += [
            reverse("admin:network_network_change", args=[network.pk]),
            reverse("admin:pages_infopage_change", args=[imprint.pk]),
            reverse("admin:measures_course_review", args=[submitted.pk]),
        ]
    return list(dict.fromkeys(paths))  # once each, in order


def kind(path: str) -> str:
    """The kind of page a path shows: the same for the change forms of two objects."""
    return re.sub(r"/\d+/", "/<id>/", path)


def changelists_to_edit(user) -> set[str]:
    """The changelists on which the user may change the rows (``list_editable`` fields)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return {
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.list_editable and model_admin.has_change_permission(request)
    }


def axe_violations(page) -> list[str]:
    problems = []
    for violation in page.evaluate(AXE_RUN, [AXE_TAGS, []]):
        targets = [
            target
            for target in violation["targets"]
            if (violation["id"], target) not in AXE_EXCLUDED
        ]
        if targets:
            problems.append(
                f"{violation['id']} ({violation['impact']}) {violation['help']} — "
                + ", ".join(targets[:6])
                + (f" … and {len(targets) - 6} more" if len(targets) > 6 else "")
            )
    return problems


def new_context(browser):
    context = browser.new_context(
        viewport={"width": DESKTOP, "height": 900}, locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.add_init_script(path=str(AXE_JS))
    return context


def log_in(page, site_url, username) -> str:
    """Log in through the form; return the session key."""
    page.goto(site_url + reverse("admin:login") + "?next=" + reverse("admin:index"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    path = urlsplit(page.url).path
    assert path == reverse("admin:index"), f"{username} is not logged in: at {page.url}"
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    return cookies["sessionid"]


def role_problems(browser, site_url, world, role, paths, session_keys) -> list[str]:
    user = world["users"][role]
    context = new_context(browser)
    problems = []
    try:
        page = context.new_page()
        session_keys.append(log_in(page, site_url, user.username))
        if role == "coordinator":
            # Set up the app (committed): the two-factor page then offers backup codes.
            committed(lambda: TOTPDevice.objects.create(user=user, name="App", confirmed=True))
        phone = [reverse("admin:index"), reverse("admin:measures_course_changelist")]
        for width, visits in ((DESKTOP, paths), (PHONE, phone if role in ON_PHONE else [])):
            page.set_viewport_size({"width": width, "height": 900})
            for path in visits:
                where = f"[{role}] {path}" + (f" at {width} px" if width != DESKTOP else "")
                problems += page_problems(page, site_url + path, user, where)
    finally:
        context.close()
    return problems


def page_problems(page, url, user, where) -> list[str]:
    response = page.goto(url, wait_until="load")
    if response.status != 200 or urlsplit(page.url).path != urlsplit(url).path:
        return [f"{where}: status {response.status} at {page.url}"]
    wrong = page.evaluate(LOGGED_IN, user.first_name)
    if wrong:
        return [f"{where}: not the page asked for: {', '.join(wrong)}"]
    return [f"{where}: {problem}" for problem in axe_violations(page)]


def anonymous_problems(browser, site_url) -> list[str]:
    context = new_context(browser)
    problems = []
    try:
        page = context.new_page()
        for path in (reverse("admin:login"), reverse("admin:password_reset")):
            response = page.goto(site_url + path, wait_until="load")
            if response.status != 200:
                problems.append(f"[anonymous] {path}: status {response.status}")
                continue
            problems += [f"[anonymous] {path}: {problem}" for problem in axe_violations(page)]
    finally:
        context.close()
    return problems


def test_workspace_pages_pass_axe(browser, site_url, accounts, django_db_blocker):
    need(AXE_JS.exists(), "axe-core is missing. Install it with: npm ci")
    world, session_keys = accounts
    with django_db_blocker.unblock():
        paths = {role: role_paths(role, world) for role in ROLES}
        # Every role sees at least its dashboard, the courses and their dates.
        for role in ROLES:
            assert {"", "measures/course/", "measures/coursedate/"} <= {
                path.removeprefix("/admin/") for path in paths[role]
            }
        # The superuser's pages come from the same templates as the others': it visits its
        # dashboard, the pages the others do not, and the lists only it may edit (keeps the
        # test under 90 seconds).
        seen = {kind(path) for path in paths["coordinator"] + paths["provider_staff"]}
        seen -= changelists_to_edit(world["users"]["superuser"]) - changelists_to_edit(
            world["users"]["coordinator"]
        )
        paths["superuser"] = [reverse("admin:index")] + [
            path for path in paths["superuser"] if kind(path) not in seen
        ]
        problems = anonymous_problems(browser, site_url)
        for role in ROLES:
            problems += role_problems(browser, site_url, world, role, paths[role], session_keys)
    count = sum(len(found) for found in paths.values())
    assert not problems, f"{len(problems)} problems on {count} pages:\n" + "\n".join(problems)
