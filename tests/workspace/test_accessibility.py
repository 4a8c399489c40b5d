"""The workspace's admin pages in Chromium with axe-core (WCAG 2.1 AA), as provider staff and
as a coordinator, plus the log-in and password reset pages.

The live server sees committed data only: the test commits two accounts (and their sessions)
for the demo data and removes them afterwards.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from measures.models import Course
from network.models import Network, Organisation
from pages.models import InfoPage
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import AXE_JS, need
from tests.pages.checks import AXE_RUN
from workspace.models import QualityCriterion, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The live server and browser of tests/browser (one per process).
site_url = browser_conftest.site_url
browser = browser_conftest.browser
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def committed_accounts(django_db_blocker):
    """A coordinator of a reviewing demo network and staff of one of its providers."""
    User = get_user_model()
    created = []
    with django_db_blocker.unblock():
        network = Network.objects.filter(reviews_offers=True).order_by("slug").first()
        provider = (
            Organisation.objects.filter(memberships__network=network, courses__isnull=False)
            .order_by("name")
            .first()
        )
        criterion = QualityCriterion.objects.create(network=network, title="Angaben vollständig")
        accounts = {}
        for name, kind, target in (
            ("a11y-koordination", RoleAssignment.Kind.COORDINATOR, {"network": network}),
            ("a11y-redaktion", RoleAssignment.Kind.PROVIDER_STAFF, {"organisation": provider}),
        ):
            user = User(username=name, is_staff=True)
            user.set_unusable_password()
            user.save()
            created.append(user)
            RoleAssignment.objects.create(user=user, kind=kind, **target)
            client = Client()
            client.force_login(user)
            accounts[name] = client.cookies["sessionid"].value
        try:
            yield network, provider, accounts
        finally:
            Session.objects.filter(session_key__in=accounts.values()).delete()
            for user in created:
                user.delete()
            criterion.delete()


def axe_problems(browser, site_url, session, paths):
    need(AXE_JS.exists(), "axe-core is missing. Install it with: npm ci")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": site_url}])
    context.add_init_script(path=str(AXE_JS))
    problems = []
    try:
        page = context.new_page()
        for path in paths:
            response = page.goto(site_url + path, wait_until="load")
            if response.status != 200:
                problems.append(f"{path}: status {response.status}")
                continue
            for violation in page.evaluate(AXE_RUN, [AXE_TAGS, []]):
                problems.append(
                    f"{path}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} — {', '.join(violation['targets'][:5])}"
                )
    finally:
        context.close()
    return problems


def test_workspace_pages_pass_axe(browser, site_url, committed_accounts, django_db_blocker):
    network, provider, sessions = committed_accounts
    with django_db_blocker.unblock():
        course = Course.objects.filter(provider=provider).order_by("pk").first()
        submitted = Course.objects.filter(
            provider__memberships__network=network, status=Course.Status.SUBMITTED
        ).first()
        staff_paths = [
            reverse("admin:index"),
            reverse("admin:measures_course_changelist"),
            reverse("admin:measures_course_change", args=[course.pk]),
            reverse("admin:measures_course_history", args=[course.pk]),
            reverse("admin:network_organisation_change", args=[provider.pk]),
            reverse("admin:two_factor"),
        ]
        imprint = InfoPage.objects.get(purpose=InfoPage.Purpose.IMPRINT)
        # The coordinator has set up the app: the page then offers backup codes.
        coordinator = get_user_model().objects.get(username="a11y-koordination")
        TOTPDevice.objects.create(user=coordinator, name="App", confirmed=True)
        coordinator_paths = [
            reverse("admin:index"),
            reverse("admin:network_network_change", args=[network.pk]),
            reverse("admin:auth_user_changelist"),
            reverse("admin:pages_infopage_changelist"),
            reverse("admin:pages_infopage_change", args=[imprint.pk]),
            reverse("admin:two_factor"),
        ]
        assert submitted is not None, "the demo data has a submitted offer in a reviewing network"
        coordinator_paths.append(reverse("admin:measures_course_review", args=[submitted.pk]))
        problems = axe_problems(
            browser, site_url, None, [reverse("admin:login"), reverse("admin:password_reset")]
        )
        problems += axe_problems(browser, site_url, sessions["a11y-redaktion"], staff_paths)
        problems += axe_problems(
            browser, site_url, sessions["a11y-koordination"], coordinator_paths
        )
    assert not problems, "\n".join(problems)
