"""No admin table is cut off: every changelist and every inline shows all its columns at
1280 px and stays usable at 360 px, for each role (issue 11).

For every page a role can open — each changelist it may view, and the add and change form of
each model with inlines — in Chromium:

- at 1280 px every cell of every rendered table lies inside the visible box of each ancestor
  that clips or scrolls (no column waits behind a sideways scroll);
- at 360 px a cell may lie outside the visible box of a scroll container (``overflow-x`` auto
  or scroll) but never outside an ancestor that clips (``overflow`` hidden or clip), and a
  container that scrolls takes the keyboard focus (``tabindex="0"``);
- at both widths no table makes the page itself scroll sideways, and every column header with
  text is rendered.

The accounts are committed from another thread (the live server sees committed data only;
created in the test's transaction they would not exist for it, and every page would be the
log-in form). Set ``ADMIN_LAYOUT_SCREENSHOTS`` to a folder to keep a full-page screenshot of
each page.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client, RequestFactory
from django.urls import reverse

from measures.models import Course
from network.models import Network, Organisation
from tests.browser import conftest as browser_conftest
from workspace.models import QualityCriterion, RoleAssignment
from workspace.scopes import organisations_for_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
site_url = browser_conftest.site_url
browser = browser_conftest.browser

DESKTOP = 1280
WIDTHS = (DESKTOP, 360)  # at desktop width no column waits behind a sideways scroll

# Returns a list of problems with the page's tables, one sentence each.
TABLE_PROBLEMS = r"""
(scrollAllowed) => {
  const problems = [];
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) {
      text += '.' + el.className.trim().split(/\s+/).join('.');
    }
    return text;
  };
  const tableName = (table) => {
    const holder = table.closest('[id]');
    const caption = table.querySelector('caption, thead th:not(.action-checkbox-column)');
    return (holder ? '#' + holder.id : name(table)) +
      (caption ? ' (' + caption.innerText.trim().slice(0, 30) + ')' : '');
  };
  const scrolls = (value) => value === 'auto' || value === 'scroll';
  const clips = (value) => value === 'hidden' || value === 'clip';
  // Text for screen readers only (the nav sidebar's table headers): one pixel, clipped.
  const screenReaderOnly = (el) => el.getBoundingClientRect().width <= 1;
  const viewport = document.documentElement.clientWidth;
  const scrollers = new Set();
  const seen = new Set();
  const report = (key, text) => {
    if (!seen.has(key)) { seen.add(key); problems.push(text); }
  };
  for (const table of document.querySelectorAll('table')) {
    if (!table.getClientRects().length) continue;  // not rendered (hidden templates ...)
    if (table.closest('.visually-hidden')) continue;
    const label = tableName(table);
    // Header cells with text must be rendered.
    for (const th of table.querySelectorAll('thead th')) {
      if (!th.textContent.trim() || th.closest('.visually-hidden')) continue;
      const style = getComputedStyle(th);
      const rect = th.getBoundingClientRect();
      if (!th.getClientRects().length || style.visibility !== 'visible' || rect.width < 2) {
        problems.push(`${label}: column header "${th.textContent.trim()}" is not shown`);
      }
    }
    cells: for (const cell of table.querySelectorAll('th, td')) {
      if (!cell.getClientRects().length || cell.closest('table') !== table) continue;
      if (cell.closest('.visually-hidden')) continue;
      let box = cell.getBoundingClientRect();
      if (box.width === 0) continue;
      const text = cell.textContent.trim().replace(/\s+/g, ' ').slice(0, 30);
      for (let el = cell.parentElement; el; el = el.parentElement) {
        if (el === document.documentElement || el === document.body) break;
        const style = getComputedStyle(el);
        const rect = el.getBoundingClientRect();
        const left = rect.left + el.clientLeft;
        const right = left + el.clientWidth;
        const outside = box.right > right + 1 || box.left < left - 1;
        if (scrolls(style.overflowX)) {
          if (el.scrollWidth > el.clientWidth + 1) scrollers.add(el);
          if (scrollAllowed) {
            box = rect;  // the cell is reached by scrolling; the container itself must show
            continue;
          }
          if (outside) {
            report(`${label}|${name(el)}`,
              `${label}: column "${text}" (${Math.round(box.left)}–${Math.round(box.right)} px) ` +
              `is hidden until ${name(el)} (${Math.round(left)}–${Math.round(right)} px) ` +
              `is scrolled sideways`);
            continue cells;
          }
        }
        if (clips(style.overflowX) && outside && !screenReaderOnly(el)) {
          report(`${label}|${name(el)}`,
            `${label}: cell "${text}" (${Math.round(box.left)}–${Math.round(box.right)} px) ` +
            `is cut off by ${name(el)} (${Math.round(left)}–${Math.round(right)} px, ` +
            `overflow ${style.overflowX})`);
          continue cells;
        }
      }
      if (box.right > viewport + 1) {
        report(`${label}|page`,
          `${label}: reaches ${Math.round(box.right)} px, beyond the ${viewport} px window: ` +
          `the page scrolls sideways instead of the table`);
      }
    }
  }
  for (const el of scrollers) {
    if (el.tabIndex < 0) {
      problems.push(`${name(el)} scrolls sideways but cannot take the keyboard focus`);
    }
  }
  return problems;
}
"""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def committed(function):
    """Run ``function`` in a thread of its own: its own database connection, outside the
    test's transaction, so that the live server sees what it writes."""

    def run():
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def create_accounts():
    """A coordinator of the reviewing demo network with the most members and staff of its
    provider with the most courses, logged in; a quality criterion for the network form."""
    User = get_user_model()
    network = max(Network.objects.filter(reviews_offers=True), key=lambda n: n.memberships.count())
    provider = max(
        Organisation.objects.filter(memberships__network=network, is_provider=True),
        key=lambda organisation: organisation.courses.count(),
    )
    criterion = QualityCriterion.objects.create(
        network=network, title="Angaben vollständig und aktuell"
    )
    users, sessions = {}, {}
    for role, kind, target in (
        ("coordinator", RoleAssignment.Kind.COORDINATOR, {"network": network}),
        ("provider_staff", RoleAssignment.Kind.PROVIDER_STAFF, {"organisation": provider}),
    ):
        user = User(
            username=f"layout-{role}",
            first_name="Layout",
            last_name=role,
            email=f"{role}@example.org",
            is_staff=True,
        )
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(user=user, kind=kind, **target)
        client = Client()
        client.force_login(user)
        users[role] = user
        sessions[role] = client.cookies["sessionid"].value
    return users, sessions, criterion


def delete_accounts(users, sessions, criterion):
    Session.objects.filter(session_key__in=sessions.values()).delete()
    for user in users.values():
        user.delete()
    criterion.delete()


@pytest.fixture
def role_sessions(django_db_blocker):
    with django_db_blocker.unblock():
        users, sessions, criterion = committed(create_accounts)
    try:
        yield users, sessions
    finally:
        with django_db_blocker.unblock():
            committed(lambda: delete_accounts(users, sessions, criterion))


def admin_pages(user) -> list[str]:
    """Every changelist the user may view, and the add and change form of each model with
    inlines the user may open (the change form of the object with the most inline rows)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    paths = []
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        info = (model._meta.app_label, model._meta.model_name)
        if not model_admin.has_view_or_change_permission(request):
            continue
        paths.append(reverse("admin:{}_{}_changelist".format(*info)))
        if not model_admin.inlines:
            continue
        if model_admin.has_add_permission(request):
            paths.append(reverse("admin:{}_{}_add".format(*info)))
        objects = list(model_admin.get_queryset(request)[:200])
        if model is Course:
            objects.sort(key=lambda course: -(course.modules.count() + course.dates.count()))
        elif model is Network:
            objects.sort(key=lambda network: -network.memberships.count())
        elif model is Organisation:
            objects.sort(key=lambda org: -(org.venues.count() + org.contacts.count()))
        if objects:
            paths.append(reverse("admin:{}_{}_change".format(*info), args=[objects[0].pk]))
    # The course import pages with tables (its job page: test_course_import_views.py).
    organisation = organisations_for_user(user).order_by("pk").first()
    if organisation is not None:
        paths.append(reverse("admin:course_import", kwargs={"organisation": organisation.slug}))
        paths.append(reverse("admin:course_import_columns"))
    return paths


def layout_problems(browser, site_url, session, paths, width, shots: Path | None):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.add_cookies([{"name": "sessionid", "value": session, "url": site_url}])
    problems = []
    try:
        page = context.new_page()
        for path in paths:
            response = page.goto(site_url + path, wait_until="load")
            if response.status != 200 or "/login/" in page.url:
                problems.append(f"{path} at {width} px: status {response.status}, {page.url}")
                continue
            found = page.evaluate(TABLE_PROBLEMS, width < DESKTOP)
            problems += [f"{path} at {width} px: {problem}" for problem in found]
            if shots:
                page.screenshot(path=str(shots / f"{slug(path)}-{width}.png"), full_page=True)
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("role", ["coordinator", "provider_staff"])
def test_admin_tables_show_every_column_at_desktop_and_phone_width(
    browser, site_url, role_sessions, django_db_blocker, role
):
    users, sessions = role_sessions
    with django_db_blocker.unblock():
        paths = admin_pages(users[role])
        expected = {"measures/course/", "measures/coursedate/"}
        if role == "coordinator":
            expected |= {"network/membership/", "network/network/", "auth/user/"}
        assert expected <= {path.removeprefix("/admin/") for path in paths}
        shots = os.environ.get("ADMIN_LAYOUT_SCREENSHOTS")
        folder = None
        if shots:
            folder = Path(shots) / role
            folder.mkdir(parents=True, exist_ok=True)
        problems = []
        for width in WIDTHS:
            problems += layout_problems(browser, site_url, sessions[role], paths, width, folder)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
