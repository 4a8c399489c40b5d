"""Every link in the admin answers: per role, the index, every changelist the role sees, a
sampled change page per model and the change pages of the role's own objects in each state
(a draft and a submitted offer, an unpublished information page …). Every internal link on
them — admin pages, filters, sorting, pages, history, "view on site" (followed to the public
page) and links to the public site — must answer 200 or redirect to a page that does.

The public pages' links are checked in tests/pages (LinkChecker is shared).
"""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from network.models import Membership, Organisation
from tests.pages.checks import LinkChecker, fetch, links_on
from tests.workspace.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

CHECKED_ROLES = ("coordinator", "provider_staff", "superuser")
# Changelists have a filter link per value, a sort link per column and links to related
# objects' pages: one link of each kind (a route with the same query parameter names) per role
# shows that the kind works. "View on site" links are all followed: whether the public page
# exists depends on the object.
ADMIN_LINKS_PER_KIND = 1
# Django's own presentation switches (a form as a popup, the filters to return to, the facet
# counts): a link with them is of the kind of the same link without them.
PRESENTATION_PARAMETERS = ("_popup", "_to_field", "_changelist_filters", "_facets")


def _url_name(path: str) -> str:
    try:
        return resolve(path.partition("?")[0]).url_name or ""
    except Resolver404:
        return ""


def own_objects(world):
    """The role's own objects in the states a change page shows differently."""
    a = world.a
    published_page, unpublished_page = world.info_pages()
    # A partner known only through a hidden membership has no public profile.
    hidden = Organisation.objects.create(name=f"Verborgen {world.token}", slug=f"{world.slug}-vb")
    Membership.objects.create(
        network=a.network, organisation=hidden, role=Membership.Role.COOPERATION, is_public=False
    )
    unpublished_page.is_published = False
    unpublished_page.save()
    return [
        a.network,
        a.membership,
        a.working_group,
        a.project,
        a.event,
        a.provider,
        hidden,
        a.contact,
        a.venue,
        a.course,  # a draft
        a.submitted,
        a.date,
        a.module,
        published_page,
        unpublished_page,
        world.users["provider_staff"],
    ]


def admin_pages(client, world) -> tuple[dict[str, bytes], list[str]]:
    """path -> HTML of the pages whose links are checked, and what could not be opened."""
    pages: dict[str, bytes] = {}
    problems: list[str] = []

    def open_page(path: str) -> bytes | None:
        fetched = fetch(client, path)
        if fetched.status != 200:
            problems.append(f"{path} → {fetched.status}, expected 200\n{fetched.error}".rstrip())
            return None
        pages[path] = fetched.content
        return fetched.content

    index = open_page("/admin/")
    assert index is not None, problems
    changelists = [
        path
        for path in links_on("/admin/", index, excluded=()).pages
        if _url_name(path).endswith("_changelist")
    ]
    assert changelists, "the admin index links to no changelist"
    for changelist in changelists:
        html = open_page(changelist)
        if html is None:
            continue
        rows = [
            path
            for path in links_on(changelist, html, excluded=()).pages
            if _url_name(path).endswith("_change")
            and path.startswith(changelist)  # this model's rows, not a related object's
        ]
        if rows:
            open_page(rows[0])
    for obj in own_objects(world):
        opts = obj._meta
        path = f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"
        if path not in pages:
            fetched = fetch(client, path)
            if fetched.status == 200:  # a role that may not see it gets a 404, as it should
                pages[path] = fetched.content
    return pages, problems


@pytest.mark.parametrize("role", CHECKED_ROLES)
def test_every_admin_link_answers(client, world, role):
    login(client, world.users[role])
    pages, problems = admin_pages(client, world)
    checker = LinkChecker(
        client,
        excluded=(),  # the admin's own links are what this test is about
        per_kind=ADMIN_LINKS_PER_KIND,
        per_kind_in_run=ADMIN_LINKS_PER_KIND,
        uncapped=lambda target: _url_name(target) == "view_on_site",
        kind_ignores=PRESENTATION_PARAMETERS,
    )
    found = {path: checker.check_page(path, html) for path, html in pages.items()}
    found = {path: problems for path, problems in found.items() if problems}
    report = problems + [
        f"{path}:\n" + "\n".join(f"  - {problem}" for problem in items)
        for path, items in found.items()
    ]
    assert not report, "\n\n".join(report)


def test_a_draft_offer_has_no_view_on_site_link_and_a_public_one_has(client, world):
    login(client, world.users["provider_staff"])
    course = world.a.course
    html = fetch(client, f"/admin/measures/course/{course.pk}/change/").content
    assert not [p for p in links_on("/", html, excluded=()).pages if "/admin/r/" in p]
    course.status = course.Status.PUBLISHED
    course.save()
    html = fetch(client, f"/admin/measures/course/{course.pk}/change/").content
    (view_on_site,) = [p for p in links_on("/", html, excluded=()).pages if "/admin/r/" in p]
    assert LinkChecker(client, excluded=()).verdict(view_on_site) == ""
