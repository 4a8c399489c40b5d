"""The lists on the admin index, per role.

Provider staff: their offers that are out of date, incomplete, returned, or starting soon with
few places. Coordinators (and superusers, over everything): offers awaiting their review,
providers who have not updated for 90 days, certifications that expire soon, and possible
duplicates. Every list starts from the user's scope and shows at most ``LIMIT`` rows, each list
a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from hashlib import sha256

from django.core.cache import caches
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import generations
from core.sql import AnyOf
from measures.models import Course, CourseDate
from network.models import Membership, Network
from workspace.access import access_for
from workspace.completeness import INCOMPLETE_BELOW, with_completeness
from workspace.models import Review
from workspace.scopes import (
    course_dates_for_user,
    courses_for_user,
    organisation_certificates_for_user,
    organisations_for_user,
    reachable_organisation_ids,
    venues_for_user,
)

LIMIT = 10
STALE_AFTER_DAYS = 90
SOON_DAYS = 21
FEW_SEATS = 3
CERTIFICATE_WARNING_DAYS = 90
SIMILAR_TITLE = 0.6
# Duplicates arise when offers are entered: compare the recently changed ones (at most
# DUPLICATE_CANDIDATES) with their provider's offers, and same-day twins in the coming weeks.
DUPLICATE_RECENT_DAYS = 30
DUPLICATE_CANDIDATES = 500
DUPLICATE_DATE_DAYS = 60
DUPLICATE_CACHE_SECONDS = 600  # per search generation, day and reach (_kept_pairs)


@dataclass
class Item:
    text: str
    url: str = ""
    detail: str = ""


@dataclass
class Panel:
    key: str
    title: str
    empty: str
    items: list[Item] = field(default_factory=list)
    more_url: str = ""


def _course_url(course_id) -> str:
    return reverse("admin:measures_course_change", args=[course_id])


def _changelist(query: str) -> str:
    return reverse("admin:measures_course_changelist") + query


def dashboard_for(request) -> list[Panel]:
    user = request.user
    access = access_for(user)
    panels: list[Panel] = []
    if access.is_provider_staff:
        panels += provider_panels(user)
    if access.is_coordinator or access.is_superuser:
        panels += coordinator_panels(user)
    return panels


# Provider staff ------------------------------------------------------------------------------


def provider_panels(user) -> list[Panel]:
    access = access_for(user)
    own = courses_for_user(user).filter(provider__in=access.organisation_ids)
    return [
        out_of_date_panel(own),
        incomplete_panel(own),
        returned_panel(own),
        few_places_panel(user, access.organisation_ids),
        unlocated_venues_panel(user),
    ]


def out_of_date_panel(courses) -> Panel:
    rows = courses.published().out_of_date().order_by("title").values("pk", "title")[:LIMIT]
    return Panel(
        "out_of_date",
        _("Veraltete Angebote (kein aktueller Termin)"),
        _("Keine veralteten Angebote."),
        [Item(row["title"], _course_url(row["pk"])) for row in rows],
        _changelist("?status__exact=published&aktuell=no"),
    )


def incomplete_panel(courses) -> Panel:
    rows = (
        with_completeness(courses.exclude(status=Course.Status.ARCHIVED))
        .filter(completeness__lt=INCOMPLETE_BELOW)
        .order_by("completeness", "title")
        .values("pk", "title", "completeness")[:LIMIT]
    )
    return Panel(
        "incomplete",
        _("Unvollständige Angebote"),
        _("Alle Angebote sind vollständig genug."),
        [Item(row["title"], _course_url(row["pk"]), f"{row['completeness']} %") for row in rows],
        _changelist("?vollstaendig=no"),
    )


def returned_panel(courses) -> Panel:
    latest_reason = Review.objects.filter(course=OuterRef("pk")).order_by("-created_at")
    rows = (
        courses.filter(status=Course.Status.RETURNED)
        .annotate(reason=Subquery(latest_reason.values("reason")[:1]))
        .order_by("title")
        .values("pk", "title", "reason")[:LIMIT]
    )
    return Panel(
        "returned",
        _("Zurückgegebene Angebote"),
        _("Keine zurückgegebenen Angebote."),
        [Item(row["title"], _course_url(row["pk"]), row["reason"] or "") for row in rows],
        _changelist("?status__exact=returned"),
    )


def few_places_panel(user, organisation_ids) -> Panel:
    today = timezone.localdate()
    rows = (
        course_dates_for_user(user)
        .current(today)
        .filter(
            course__provider__in=organisation_ids,
            start_date__gte=today,
            start_date__lte=today + timedelta(days=SOON_DAYS),
        )
        .filter(Q(booking_status=CourseDate.BookingStatus.FEW) | Q(seats__lte=FEW_SEATS))
        .exclude(course__status=Course.Status.ARCHIVED)
        .order_by("start_date", "pk")
        .values("course_id", "course__title", "start_date", "seats")[:LIMIT]
    )
    items = []
    for row in rows:
        detail = row["start_date"].strftime("%d.%m.%Y")
        if row["seats"] is not None:
            detail += " · " + str(_("%(seats)s Plätze") % {"seats": row["seats"]})
        items.append(Item(row["course__title"], _course_url(row["course_id"]), detail))
    return Panel(
        "few_places",
        _("Bald beginnend, wenige Plätze"),
        _("Keine Termine in den nächsten drei Wochen mit wenigen Plätzen."),
        items,
    )


# Coordinators --------------------------------------------------------------------------------


def unlocated_venues_panel(user) -> Panel:
    """Venues without a place on the map: the place search cannot find their courses."""
    rows = (
        venues_for_user(user)
        .filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
        .order_by("organisation__name", "name")
        .values("pk", "name", "postal_code", "city", "organisation__name")[:LIMIT]
    )
    return Panel(
        "unlocated_venues",
        _("Veranstaltungsorte ohne Lage (fehlen in der Umkreissuche)"),
        _("Alle Veranstaltungsorte haben eine Lage."),
        [
            Item(
                row["name"],
                reverse("admin:network_venue_change", args=[row["pk"]]),
                " ".join(filter(None, [row["postal_code"], row["city"]]))
                + f" – {row['organisation__name']}",
            )
            for row in rows
        ],
        reverse("admin:network_venue_changelist") + "?lage=no",
    )


def coordinator_panels(user) -> list[Panel]:
    return [
        awaiting_review_panel(user),
        stale_providers_panel(user),
        expiring_certificates_panel(user),
        duplicates_panel(user),
        unlocated_venues_panel(user),
    ]


def awaiting_review_panel(user) -> Panel:
    access = access_for(user)
    courses = courses_for_user(user).filter(status=Course.Status.SUBMITTED)
    if not access.is_superuser:
        reviewing = Network.objects.filter(reviews_offers=True, pk__in=access.network_ids)
        courses = courses.filter(
            Q(provider__in=Membership.objects.filter(network__in=reviewing).values("organisation"))
            | Q(provider__in=reviewing.values("lead_partner"))
        )
    rows = courses.order_by("updated_at", "pk").values("pk", "title", "provider__name")[:LIMIT]
    return Panel(
        "awaiting_review",
        _("Angebote, die auf Prüfung warten"),
        _("Keine Angebote warten auf Prüfung."),
        [
            Item(
                row["title"],
                reverse("admin:measures_course_review", args=[row["pk"]]),
                row["provider__name"],
            )
            for row in rows
        ],
        _changelist("?status__exact=submitted"),
    )


def stale_providers_panel(user) -> Panel:
    cutoff = timezone.now() - timedelta(days=STALE_AFTER_DAYS)
    # Each provider's latest edit and confirmation, looked up along the indexes
    # course_provider_updated_idx and course_provider_confirmed_idx (grouping every course
    # took 1.8 s at 1,000,000 courses).
    courses = Course.objects.filter(provider=OuterRef("pk"))
    latest_edit = courses.order_by(F("updated_at").desc()).values("updated_at")[:1]
    latest_confirmation = (
        courses.filter(last_confirmed_at__isnull=False)
        .order_by(F("last_confirmed_at").desc())
        .values("last_confirmed_at")[:1]
    )
    providers = (
        organisations_for_user(user)
        .filter(Q(is_provider=True) | Exists(courses))
        .annotate(
            last_activity=Greatest(
                F("updated_at"), Subquery(latest_edit), Subquery(latest_confirmation)
            )
        )
        .filter(last_activity__lt=cutoff)
        .order_by("last_activity", "name")
        .values("pk", "name", "last_activity")[:LIMIT]
    )
    return Panel(
        "stale_providers",
        _("Anbieter ohne Aktualisierung seit 90 Tagen"),
        _("Alle Anbieter haben in den letzten 90 Tagen aktualisiert."),
        [
            Item(
                row["name"],
                reverse("admin:network_organisation_change", args=[row["pk"]]),
                str(_("zuletzt %(date)s") % {"date": row["last_activity"].strftime("%d.%m.%Y")}),
            )
            for row in providers
        ],
    )


def expiring_certificates_panel(user) -> Panel:
    today = timezone.localdate()
    rows = (
        organisation_certificates_for_user(user)
        .filter(
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=CERTIFICATE_WARNING_DAYS),
        )
        .order_by("valid_until")
        .values("organisation_id", "organisation__name", "certification__name", "valid_until")[
            :LIMIT
        ]
    )
    return Panel(
        "expiring_certificates",
        _("Zertifizierungen, die bald ablaufen"),
        _("Keine Zertifizierung läuft in den nächsten 90 Tagen ab."),
        [
            Item(
                f"{row['organisation__name']}: {row['certification__name']}",
                reverse("admin:network_organisation_change", args=[row["organisation_id"]]),
                str(_("gültig bis %(date)s") % {"date": row["valid_until"].strftime("%d.%m.%Y")}),
            )
            for row in rows
        ],
    )


def duplicates_panel(user) -> Panel:
    """Similar titles from the same provider, and the same title on the same day (both
    courses within the user's scope, so no other network's offer is revealed). The work is
    bounded: recently changed offers and the coming weeks' dates only (:func:`_kept_pairs`)."""
    similar, same_day = _kept_pairs(user)
    named = Course.objects.select_related("provider").in_bulk(
        {row[key] for row in similar + same_day for key in ("first", "twin")}
    )
    items = []
    for row in similar:
        if row["first"] not in named or row["twin"] not in named:
            continue  # deleted since the pairs were kept (by a path that starts no generation)
        course, twin = named[row["first"]], named[row["twin"]]
        items.append(
            Item(
                f"{course.title} / {twin.title}",
                _course_url(course.pk),
                str(_("ähnliche Titel, %(provider)s") % {"provider": course.provider.name}),
            )
        )
    for row in same_day:
        if row["first"] not in named or row["twin"] not in named:
            continue
        course, twin = named[row["first"]], named[row["twin"]]
        items.append(
            Item(
                course.title,
                _course_url(course.pk),
                str(
                    _("gleicher Titel am %(date)s: %(a)s und %(b)s")
                    % {
                        "date": row["start_date"].strftime("%d.%m.%Y"),
                        "a": course.provider.name,
                        "b": twin.provider.name,
                    }
                ),
            )
        )
    return Panel(
        "duplicates",
        _("Mögliche Dubletten"),
        _("Keine möglichen Dubletten gefunden."),
        items[:LIMIT],
    )


def _kept_pairs(user) -> tuple[list[dict], list[dict]]:
    """The pairs of similar titles and of same-day twins (ids and days; the titles and names
    are read fresh), kept per process for the search generation, the day and the
    organisations in reach (``DUPLICATE_CACHE_SECONDS`` at most): any change of a course
    starts a new generation, so the list is never older than the data; unchanged, a second
    visit costs one query instead of the checks' 0.2–0.5 s at 1,000,000 courses."""
    organisations = reachable_organisation_ids(user)
    reach = (
        "all" if organisations is None else sha256(str(sorted(organisations)).encode()).hexdigest()
    )
    key = f"atlas:dashboard-duplicates:{generations.search()}:{timezone.localdate()}:{reach}"
    kept = caches["local"].get(key)
    if kept is None:
        # The candidates are read once and passed to both checks as arrays (as a subquery,
        # each check read them again: 0.2 s each for a coordinator at 1,000,000 courses).
        recent = list(
            courses_for_user(user)
            .exclude(status=Course.Status.ARCHIVED)
            .filter(updated_at__gte=timezone.now() - timedelta(days=DUPLICATE_RECENT_DAYS))
            .order_by("-updated_at")
            .values_list("pk", "title", "provider_id")[:DUPLICATE_CANDIDATES]
        )
        kept = (_similar_titles(recent), _same_day_twins(user, recent))
        caches["local"].set(key, kept, DUPLICATE_CACHE_SECONDS)
    return kept


_SIMILAR_SQL = """
SELECT first, twin FROM (
    SELECT c.first, c.title, (
        SELECT u.id FROM measures_course AS u
        WHERE u.provider_id = c.provider AND u.id > c.first AND u.status <> 'archived'
            AND similarity(u.title, c.title) >= %(threshold)s
        ORDER BY similarity(u.title, c.title) DESC, u.id
        LIMIT 1
    ) AS twin
    FROM unnest(%(firsts)s::bigint[], %(providers)s::bigint[], %(titles)s::text[])
        AS c(first, provider, title)
) AS pairs
WHERE twin IS NOT NULL
ORDER BY title, first
LIMIT %(limit)s
"""


def _similar_titles(recent) -> list[dict]:
    """A similar title (trigram similarity at least ``SIMILAR_TITLE``) among the same
    provider's offers, for each recently changed offer: the first ``LIMIT`` by title. The
    provider is the candidate's, so the twin is within reach without a condition on it (the
    organisations in reach as an array made each comparison dearer); its offers are read
    along the index on provider and last change."""
    if not recent:
        return []
    params = dict(
        threshold=SIMILAR_TITLE,
        firsts=[pk for pk, _title, _provider in recent],
        titles=[title for _pk, title, _provider in recent],
        providers=[provider for _pk, _title, provider in recent],
    )
    with connection.cursor() as cursor:
        cursor.execute(_SIMILAR_SQL, {**params, "limit": LIMIT})
        return [{"first": first, "twin": twin} for first, twin in cursor.fetchall()]


_SAME_DAY_SQL = """
SELECT c.start_date, c.first, twin.id
FROM (
    SELECT * FROM unnest(%(firsts)s::bigint[], %(starts)s::date[], %(titles)s::text[])
        AS c(first, start_date, title)
    ORDER BY start_date, first
) AS c
CROSS JOIN LATERAL (
    SELECT u.id FROM measures_course AS u
    JOIN measures_coursedate AS d ON d.course_id = u.id AND d.start_date = c.start_date
    WHERE md5(upper(u.title)) = md5(upper(c.title))
        AND u.id <> c.first AND u.status <> 'archived' {reach}
    LIMIT 1
) AS twin
ORDER BY c.start_date, c.first
LIMIT %(limit)s
"""


def _same_day_twins(user, recent) -> list[dict]:
    """The same title on the same day: for the recently changed offers' coming dates, another
    offer in reach with the same title (any case; index course_title_upper_idx on its hash
    and the provider) and a date that day (index on course and start). Grouping every date of
    the coming weeks took 0.8 s at 1,000,000 courses, and joining the candidates made
    PostgreSQL read every course's title; the candidates are few, so they are passed as
    arrays, in the list's order: each day's check runs only until the list is full (a
    catalogue where many offers share titles had every candidate checked: 0.15–0.5 s at
    1,000,000 courses). Two recent twins find each other: the pair is listed once."""
    today = timezone.localdate()
    titles = {pk: title for pk, title, _provider in recent}
    dates = CourseDate.objects.filter(
        AnyOf("course", list(titles)),
        start_date__gte=today,
        start_date__lte=today + timedelta(days=DUPLICATE_DATE_DAYS),
    ).values_list("course_id", "start_date")
    candidates = sorted(set(dates))
    if not candidates:
        return []
    # Within reach: the providers as one array, a condition on the index
    # course_title_upper_idx (title, provider) itself.
    organisations = reachable_organisation_ids(user)
    reach = "" if organisations is None else "AND u.provider_id = ANY(%(organisations)s::bigint[])"
    params = dict(
        organisations=organisations,
        firsts=[course for course, _ in candidates],
        starts=[day for _, day in candidates],
        titles=[titles[course] for course, _ in candidates],
        limit=2 * LIMIT,  # each pair at most twice
    )
    with connection.cursor() as cursor:
        cursor.execute(_SAME_DAY_SQL.format(reach=reach), params)
        rows = cursor.fetchall()
    pairs = {}
    for start_date, first, twin in rows:
        pairs.setdefault((start_date, min(first, twin), max(first, twin)), first)
    return [
        {"start_date": start_date, "first": first, "twin": low if first == high else high}
        for (start_date, low, high), first in pairs.items()
    ][:LIMIT]
