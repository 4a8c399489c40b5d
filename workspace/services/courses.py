"""The course aggregate: its review workflow, every edit of a course and its parts (through
``course_edit``), deletions and the change log.

Every function takes keyword arguments, checks who may do it (ids posted by a form or a bulk
action are filtered through ``workspace.scopes.courses_for_user`` again), works in one
transaction and keeps the search current after it writes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import generations
from measures import versions
from measures.models import Course, CourseDate, Module
from measures.search import refresh_search_vectors, search_words_update
from network.models import Network
from workspace.access import access_for
from workspace.changes import display
from workspace.models import CourseChange, QualityCriterion, Review
from workspace.scopes import (
    courses_for_user,
)

# One search refresh for many courses --------------------------------------------------------

# While ``one_search_refresh`` runs (an import), the course services collect the courses they
# changed instead of refreshing the search after each; the block refreshes them once.
_collected: ContextVar[list[int] | None] = ContextVar("collected_search_refresh", default=None)


def _refresh(course_ids) -> None:
    collected = _collected.get()
    if collected is None:
        refresh_search_vectors(list(course_ids))
    else:
        collected.extend(course_ids)


@contextmanager
def one_search_refresh(extra=()):
    """Within the block, the course services' search refreshes are collected; at its end the
    collected courses (and the ``extra`` list, which the block may fill) are refreshed by one
    ``refresh_search_vectors`` call."""
    if _collected.get() is not None:
        raise RuntimeError("one_search_refresh does not nest")
    collected: list[int] = []
    token = _collected.set(collected)
    try:
        yield collected
    finally:
        _collected.reset(token)
    ids = sorted(set(collected) | set(extra))
    if ids:
        refresh_search_vectors(ids)


# The review workflow -------------------------------------------------------------------------

# The rule, field by field, lives in ``measures.versions``: minor changes of a published course
# go live at once (and are logged), major ones wait as a new version where a network reviews.

CHANGED_SINCE_SEEN = _(
    "Das Angebot wurde geändert, seit Sie die Prüfung geöffnet haben. Bitte sehen Sie sich die "
    "aktuelle Fassung an und entscheiden Sie dann."
)


class WorkflowError(ValidationError):
    """A transition that the course's status does not allow; shown to the user as a message."""


def reviewing_networks(course) -> QuerySet:
    """The networks that review offers and that the course's provider belongs to (as a member
    or as lead partner)."""
    return (
        Network.objects.filter(reviews_offers=True)
        .filter(
            Q(memberships__organisation=course.provider_id) | Q(lead_partner=course.provider_id)
        )
        .distinct()
    )


def needs_review(course) -> bool:
    return reviewing_networks(course).exists()


def content_change_needs_review(course, *, reviews: bool | None = None) -> bool:
    """Whether a major change of the course is now kept as a new version for review (while
    the published version stays live). ``reviews``: whether a network of the course's
    provider reviews offers, when the caller already knows (``courses_edit_bulk`` asks once
    per provider)."""
    if course.status != Course.Status.PUBLISHED:
        return False
    return needs_review(course) if reviews is None else reviews


def review_networks_for(user, course) -> QuerySet:
    """The reviewing networks of the course for which ``user`` may decide."""
    networks = reviewing_networks(course)
    access = access_for(user)
    if access.is_superuser:
        return networks
    return networks.filter(pk__in=access.network_ids)


def can_review(user, course) -> bool:
    return course.status == Course.Status.SUBMITTED and review_networks_for(user, course).exists()


def pending_revision(course) -> Course | None:
    """The new version of a published course that waits for review, if any."""
    if course.pk is None or course.revision_of_id:
        return None
    return Course.objects.filter(revision_of=course).first()


def course_fingerprint(course) -> str:
    """The version of the course a reviewer sees (its major part): approval names it."""
    return versions.fingerprint(versions.course_state(course))


def review_changes(course) -> list[dict]:
    """For a new version: what it changes against the published course."""
    if not course.revision_of_id:
        return []
    live = versions.course_state(course.revision_of)
    new = versions.course_state(course)
    major, _minor = versions.changed(live, new)
    return versions.change_lines(live, new, major, display)


def _in_scope(user, course) -> Course:
    """The course as the user may touch it; anything else is not found (404)."""
    found = courses_for_user(user).filter(pk=course.pk).first()
    if found is None:
        raise Course.DoesNotExist
    return found


def _log(*, course, user, action, changes=(), status_before="", message="") -> CourseChange:
    entry = _entry(
        course=course,
        user=user,
        action=action,
        changes=changes,
        status_before=status_before,
        status_after=course.status,
        message=message,
    )
    entry.save(force_insert=True)
    return entry


def _entry(
    *, course, user, action, status_after, changes=(), status_before="", message=""
) -> CourseChange:
    """A change-log entry, not saved yet (``_log`` saves one, a bulk service many at once)."""
    return CourseChange(
        course=course,
        course_title=course.title,
        user=user,
        username=user.get_username() if user else "",
        action=action,
        changes=list(changes),
        status_before=status_before,
        status_after=status_after,
        message=message,
    )


def _set_status(course, status, *, now=None) -> str:
    before = course.status
    course.status = status
    fields = ["status", "updated_at"]
    if status == Course.Status.PUBLISHED and course.published_at is None:
        course.published_at = now or timezone.now()
        fields.append("published_at")
    course.save(update_fields=fields)
    return before


def _validate(course) -> None:
    """The course, its modules and its dates as the database now holds them pass every model
    check (the forms checked their part; programs writing through the services get the same)."""
    course.full_clean(exclude=["revision_of"])
    for part in (*course.modules.all(), *course.dates.all()):
        part.full_clean(exclude=["course"])


def _publish_revision(revision, *, user, action, message="") -> Course:
    """Make a new version the published one: its major part replaces the live course's, the
    version itself goes."""
    live = Course.objects.select_for_update().get(pk=revision.revision_of_id)
    before = versions.course_state(live)
    new = versions.course_state(revision)
    versions.apply_major(live, versions.major_part(new))
    _validate(live)
    after = versions.course_state(live)
    major, _minor = versions.changed(before, after)
    _log(
        course=live,
        user=user,
        action=action,
        changes=versions.change_lines(before, after, major, display),
        status_before=live.status,
        message=message,
    )
    revision.delete()
    refresh_search_vectors([live.pk])
    return live


@transaction.atomic
def course_submit(*, course, user) -> Course:
    """Draft or returned → submitted (where a network reviews) or published (where none
    does). A returned new version goes back to review, or live where nobody reviews now."""
    course = _in_scope(user, course)
    if course.status not in (Course.Status.DRAFT, Course.Status.RETURNED):
        raise WorkflowError(
            _("Nur Entwürfe und zurückgegebene Angebote können eingereicht werden.")
        )
    if needs_review(course):
        before = _set_status(course, Course.Status.SUBMITTED)
        _log(course=course, user=user, action=CourseChange.Action.SUBMITTED, status_before=before)
    elif course.revision_of_id:
        return _publish_revision(
            course,
            user=user,
            action=CourseChange.Action.REVISION_APPROVED,
            message=str(_("Ohne Prüfung übernommen: das Netzwerk prüft keine Angebote.")),
        )
    else:
        before = _set_status(course, Course.Status.PUBLISHED)
        _log(
            course=course,
            user=user,
            action=CourseChange.Action.PUBLISHED,
            status_before=before,
            message=str(_("Ohne Prüfung veröffentlicht: das Netzwerk prüft keine Angebote.")),
        )
    refresh_search_vectors([course.pk])
    return course


def _checklist(network, criteria_ids: set[int]) -> tuple[list[QualityCriterion], list[dict]]:
    active = list(network.quality_criteria.filter(is_active=True))
    return active, [{"id": c.pk, "title": c.title, "checked": c.pk in criteria_ids} for c in active]


def _review_network(user, course, network):
    allowed = review_networks_for(user, course)
    if network is None:
        network = allowed.first()
    elif not allowed.filter(pk=network.pk).exists():
        network = None
    if network is None:
        raise PermissionDenied
    return network


def _record_review(*, course, network, user, decision, checked, checklist, reason="") -> Review:
    review = Review.objects.create(
        course=course,
        network=network,
        reviewer=user,
        decision=decision,
        reason=reason,
        checklist=checklist,
    )
    review.criteria_checked.set(checked)
    return review


@transaction.atomic
def course_approve(*, course, user, seen, network=None, criteria=()) -> Review:
    """Submitted → published, by a coordinator of a reviewing network (or a superuser), once
    every active quality criterion of that network is checked. ``seen`` is the fingerprint of
    the version the reviewer read (``course_fingerprint``): a course changed since is refused.
    A new version of a published course replaces the published one."""
    course = _in_scope(user, course)
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.status != Course.Status.SUBMITTED:
        raise WorkflowError(_("Nur eingereichte Angebote können geprüft werden."))
    network = _review_network(user, course, network)
    if seen != course_fingerprint(course):
        raise WorkflowError(CHANGED_SINCE_SEEN, code="changed")
    criteria_ids = {c.pk if hasattr(c, "pk") else int(c) for c in criteria}
    active, checklist = _checklist(network, criteria_ids)
    unchecked = [c.title for c in active if c.pk not in criteria_ids]
    if unchecked:
        raise WorkflowError(
            _("Zur Freigabe müssen alle Kriterien erfüllt sein. Offen: %(open)s")
            % {"open": ", ".join(unchecked)}
        )
    message = str(_("Geprüft und freigegeben (%(network)s).") % {"network": network})
    if course.revision_of_id:
        reviewed = _publish_revision(
            course, user=user, action=CourseChange.Action.REVISION_APPROVED, message=message
        )
    else:
        reviewed = course
        before = _set_status(course, Course.Status.PUBLISHED)
        _log(
            course=course,
            user=user,
            action=CourseChange.Action.PUBLISHED,
            status_before=before,
            message=message,
        )
        refresh_search_vectors([course.pk])
    return _record_review(
        course=reviewed,
        network=network,
        user=user,
        decision=Review.Decision.APPROVED,
        checked=[c for c in active if c.pk in criteria_ids],
        checklist=checklist,
    )


@transaction.atomic
def course_return(*, course, user, reason, network=None, criteria=()) -> Review:
    """Submitted → returned, with the reason the provider reads."""
    course = _in_scope(user, course)
    if course.status != Course.Status.SUBMITTED:
        raise WorkflowError(_("Nur eingereichte Angebote können geprüft werden."))
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("Bitte begründen Sie die Rückgabe."))
    network = _review_network(user, course, network)
    criteria_ids = {c.pk if hasattr(c, "pk") else int(c) for c in criteria}
    active, checklist = _checklist(network, criteria_ids)
    review = _record_review(
        course=course,
        network=network,
        user=user,
        decision=Review.Decision.RETURNED,
        checked=[c for c in active if c.pk in criteria_ids],
        checklist=checklist,
        reason=reason,
    )
    before = _set_status(course, Course.Status.RETURNED)
    _log(
        course=course,
        user=user,
        action=CourseChange.Action.RETURNED,
        status_before=before,
        message=reason,
    )
    refresh_search_vectors([course.pk])
    return review


@transaction.atomic
def course_archive(*, course, user) -> Course:
    """Any status → archived. A new version waiting for review is discarded instead (the
    published course stays as it is); returns the course that remains."""
    course = _in_scope(user, course)
    if course.revision_of_id:
        live = course.revision_of
        _log(course=live, user=user, action=CourseChange.Action.REVISION_DISCARDED)
        course.delete()
        _refresh([live.pk])
        return live
    if course.status == Course.Status.ARCHIVED:
        raise WorkflowError(_("Das Angebot ist bereits archiviert."))
    before = _set_status(course, Course.Status.ARCHIVED)
    _log(course=course, user=user, action=CourseChange.Action.ARCHIVED, status_before=before)
    _refresh([course.pk])
    return course


@transaction.atomic
def courses_archive_bulk(*, user, course_ids) -> int:
    """``course_archive`` for many courses at once (an import's delete markers), by the same
    rules: every course must be in the user's scope (else nothing is written and
    ``Course.DoesNotExist`` is raised) and not archived yet (``WorkflowError``); each gets
    its log entry as from ``course_archive``; one status update and one search refresh (or
    the ids collected by ``one_search_refresh``). A new version waiting for review is
    discarded as ``course_archive`` does. Returns how many were archived."""
    ids = sorted({int(pk) for pk in course_ids})
    in_scope = courses_for_user(user).filter(pk__in=ids).values("pk")
    courses = list(
        Course.objects.select_for_update()
        .filter(pk__in=in_scope)
        .only("pk", "title", "status", "revision_of_id")
        .order_by("pk")
    )
    if len(courses) != len(ids):
        raise Course.DoesNotExist
    revisions = [course for course in courses if course.revision_of_id]
    live = [course for course in courses if not course.revision_of_id]
    if any(course.status == Course.Status.ARCHIVED for course in live):
        raise WorkflowError(_("Das Angebot ist bereits archiviert."))
    for revision in revisions:
        course_archive(course=revision, user=user)
    if not live:
        return len(revisions)
    Course.objects.filter(pk__in=[course.pk for course in live]).update(
        status=Course.Status.ARCHIVED, updated_at=timezone.now()
    )
    CourseChange.objects.bulk_create(
        _entry(
            course=course,
            user=user,
            action=CourseChange.Action.ARCHIVED,
            status_before=course.status,
            status_after=Course.Status.ARCHIVED,
        )
        for course in live
    )
    _refresh([course.pk for course in live])
    return len(courses)


@transaction.atomic
def course_reopen(*, course, user) -> Course:
    """Archived → draft (to be submitted again)."""
    course = _in_scope(user, course)
    if course.status != Course.Status.ARCHIVED:
        raise WorkflowError(_("Nur archivierte Angebote können wieder geöffnet werden."))
    before = _set_status(course, Course.Status.DRAFT)
    _log(course=course, user=user, action=CourseChange.Action.REOPENED, status_before=before)
    refresh_search_vectors([course.pk])
    return course


def _bulk(transition, *, user, course_ids) -> tuple[int, list[str]]:
    """Apply ``transition`` to each course among ``course_ids`` within the user's scope;
    returns how many succeeded and the messages of those that could not."""
    done, problems = 0, []
    for course in courses_for_user(user).filter(pk__in=list(course_ids)).order_by("title"):
        try:
            transition(course=course, user=user)
        except WorkflowError as error:
            problems.append(f"{course.title}: {' '.join(error.messages)}")
        else:
            done += 1
    return done, problems


def courses_submit(*, user, course_ids):
    return _bulk(course_submit, user=user, course_ids=course_ids)


def courses_archive(*, user, course_ids):
    return _bulk(course_archive, user=user, course_ids=course_ids)


@transaction.atomic
def courses_confirm(*, user, course_ids) -> int:
    """ "Zuletzt bestätigt": the provider confirms the offers are still current (not archived
    ones); returns how many were confirmed."""
    now = timezone.now()
    courses = list(
        courses_for_user(user)
        .filter(pk__in=list(course_ids))
        .exclude(status=Course.Status.ARCHIVED)
        .only("pk", "title", "status")
    )
    ids = [course.pk for course in courses]
    Course.objects.filter(pk__in=ids).update(last_confirmed_at=now)
    for course in courses:
        _log(course=course, user=user, action=CourseChange.Action.CONFIRMED)
    if ids:
        refresh_search_vectors(ids)
    return len(ids)


# Edits, deletions and the change log ---------------------------------------------------------


class CourseEdit:
    """What ``course_edit`` did: the log entries it wrote and the new version, if any."""

    def __init__(self, course):
        self.course = course
        self.entries: list[CourseChange] = []
        self.revision: Course | None = None

    @property
    def kept_for_review(self) -> bool:
        return self.revision is not None


@contextmanager
def course_edit(*, course, user, created=False):
    """The one way a course and its parts (fields, links, keywords, modules, dates) change.

    The caller writes inside the block (the admin's form and inlines, an import, the API);
    afterwards, in the same transaction, the course as stored is validated, the review rule
    applied — where a network reviews, a major change of a published course becomes a new
    version waiting for review and the published one is put back as it was, while minor
    changes stay live — the change log written and the search refreshed. Anything that fails
    undoes the whole write. ``created`` for a course that the block creates (``course`` is then
    the unsaved instance)."""
    with transaction.atomic():
        before = None
        if not created:
            course = _in_scope(user, course)
            Course.objects.select_for_update().filter(pk=course.pk).first()
            before = versions.course_state(course)
        edit = CourseEdit(course)
        yield edit
        course = _in_scope(user, edit.course)
        _validate(course)
        if created:
            edit.entries.append(_log(course=course, user=user, action=CourseChange.Action.CREATED))
        else:
            _apply_review_rule(edit, course=course, user=user, before=before)
        edit.course = course
        _refresh([course.pk])


def _apply_review_rule(edit, *, course, user, before) -> None:
    after = versions.course_state(course)
    major, minor = versions.changed(before, after)
    if not (major or minor):
        return
    if major and content_change_needs_review(course):
        edit.revision = _keep_for_review(course, user=user, before=before, after=after, major=major)
        if minor:
            edit.entries.append(
                _log(
                    course=course,
                    user=user,
                    action=CourseChange.Action.MINOR_EDIT,
                    changes=versions.change_lines(before, after, minor, display),
                    status_before=course.status,
                )
            )
        return
    edit.entries.append(
        _log(
            course=course,
            user=user,
            action=CourseChange.Action.EDITED if major else CourseChange.Action.MINOR_EDIT,
            changes=versions.change_lines(before, after, major | minor, display),
            status_before=course.status,
        )
    )


# The message of the live course's entry when a change of it waits for review (also written by
# ``course_bulk``'s set-based path).
KEPT_FOR_REVIEW_MESSAGE = gettext_lazy(
    "Die veröffentlichte Fassung bleibt online, bis die neue freigegeben ist."
)


def revision_slugs(live: dict[int, str]) -> dict[int, str]:
    """The addresses of new versions waiting for review, by the live course's id (``live``:
    id → the live course's slug): ``<slug>-neu-<id>``, or with -2, -3 … where another course
    has it already. One query (and one more per address that is taken: rare)."""
    bases = {pk: f"{slug[:120]}-neu-{pk}" for pk, slug in live.items()}
    taken = set(Course.objects.filter(slug__in=list(bases.values())).values_list("slug", flat=True))
    slugs = {}
    for pk, base in bases.items():
        slug = base
        if base in taken:
            taken |= set(
                Course.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True)
            )
            number = 2
            while (slug := f"{base}-{number}") in taken:
                number += 1
        taken.add(slug)
        slugs[pk] = slug
    return slugs


def _keep_for_review(course, *, user, before, after, major) -> Course:
    """Put the published course's major part back as it was and keep the change in its new
    version (made now from the published course, or the one already waiting), submitted."""
    versions.apply_major(course, versions.major_part(before))
    revision = pending_revision(course)
    if revision is None:
        revision = Course.objects.get(pk=course.pk)
        revision.pk = revision.id = None
        revision._state.adding = True
        revision.revision_of = course
        revision.slug = revision_slugs({course.pk: course.slug})[course.pk]
        revision.external_id = ""
        revision.status = Course.Status.SUBMITTED
        revision.published_at = revision.last_confirmed_at = None
        revision.created_at = timezone.now()
        for name in Course.KEPT_BY_DATABASE:  # kept by the database for the new row
            setattr(revision, name, Course._meta.get_field(name).get_default())
        revision.save()
        versions.apply_major(revision, versions.major_part(before))
    part = versions.major_part(versions.course_state(revision))
    new = versions.major_part(after)
    for name in major:
        part[name] = new[name]
    versions.apply_major(revision, part)
    status_before = revision.status
    if revision.status != Course.Status.SUBMITTED:
        _set_status(revision, Course.Status.SUBMITTED)
    _validate(revision)
    _log(
        course=course,
        user=user,
        action=CourseChange.Action.REVISION_SUBMITTED,
        changes=versions.change_lines(before, after, major, display),
        status_before=course.status,
        message=str(KEPT_FOR_REVIEW_MESSAGE),
    )
    _log(
        course=revision,
        user=user,
        action=CourseChange.Action.SUBMITTED,
        changes=versions.change_lines(before, after, major, display),
        status_before=status_before,
    )
    _refresh([revision.pk])
    return revision


def course_may_delete(user, course) -> bool:
    """Provider staff delete drafts that were never published; published offers are archived
    (superusers may delete any)."""
    if access_for(user).is_superuser:
        return True
    return course.published_at is None and course.status in (
        Course.Status.DRAFT,
        Course.Status.RETURNED,
    )


@transaction.atomic
def course_delete(*, course, user) -> None:
    """Delete a course: logged (the entry keeps the title), gone from the search at once."""
    course = _in_scope(user, course)
    if not course_may_delete(user, course):
        raise PermissionDenied
    _log(course=course, user=user, action=CourseChange.Action.DELETED, status_before=course.status)
    course_id = course.pk
    course.delete()
    generations.bump(courses=[course_id])
    search_words_update(course_ids=[course_id])  # its words leave "Meinten Sie …?"


def _parts_delete(model, *, user, ids) -> int:
    parts = model.objects.filter(course__in=courses_for_user(user), pk__in=list(ids))
    by_course: dict[int, list[int]] = {}
    for part_id, course_id in parts.values_list("pk", "course_id"):
        by_course.setdefault(course_id, []).append(part_id)
    for course in Course.objects.filter(pk__in=list(by_course)):
        with course_edit(course=course, user=user):
            model.objects.filter(pk__in=by_course[course.pk]).delete()
    return sum(len(found) for found in by_course.values())


@transaction.atomic
def course_dates_delete(*, user, date_ids) -> int:
    """Delete dates (within the user's reach): each course's deletion logged as a minor
    change, the search refreshed. Returns how many were deleted."""
    return _parts_delete(CourseDate, user=user, ids=date_ids)


@transaction.atomic
def course_modules_delete(*, user, module_ids) -> int:
    """Delete curriculum modules (within the user's reach) under the review rule: for a
    published course in a reviewing network the deletion waits in its new version."""
    return _parts_delete(Module, user=user, ids=module_ids)
