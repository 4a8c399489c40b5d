"""A realistic synthetic data set of any size, for benchmarks: providers in every district,
courses with German titles and texts built from vocabularies, four dates each.

Everything it creates is flagged ``synthetic`` (organisations and courses, written so by
``bulk_create`` and ``COPY``; the workspace benchmark's network too), and ``delete_synthetic()``
deletes by that flag only. The flag is not editable: a provider's own course with an external
id such as ``syn-7`` stays. For people the data is marked too: organisation slugs and course
external ids start with ``syn-``, provider names end with "(synthetisch)", and every description
starts with :data:`MARK`.
"""

from __future__ import annotations

import itertools
import os
import queue
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from decimal import Decimal
from functools import partial
from time import monotonic as time_now

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from core import generations
from core.bulk_delete import delete_rows
from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    SearchDocument,
    SearchWord,
    SearchWordSource,
    Subject,
    TargetGroup,
)
from measures.search import refresh_search_vectors, refresh_search_words
from network.models import Network, Organisation, PostalCode, Region, Venue

MARK = "[Synthetische Testdaten]"
PREFIX = "syn-"
# Made by ``benchmark_workspace --network-share`` (a coordinator's reach at catalogue size).
BENCHMARK_NETWORK = f"{PREFIX}benchmark-netzwerk"
BENCHMARK_COORDINATOR = f"{PREFIX}benchmark-koordination"
BATCH = 5000  # courses per transaction (the random choices are drawn per batch)
SEARCH_BATCH = 20_000  # courses per statement of the search index

# Title stems per subject (child slug); any other subject uses its own name.
STEMS = {
    "englisch": [
        "Englisch A1",
        "Englisch A2",
        "Englisch B1",
        "Business English",
        "Englisch Konversation",
    ],
    "deutsch-als-zweitsprache": [
        "Deutsch A1",
        "Deutsch B1",
        "Deutsch für den Beruf",
        "Integrationskurs Deutsch",
    ],
    "spanisch": ["Spanisch A1", "Spanisch für die Reise", "Spanisch B1"],
    "franzoesisch": ["Französisch A1", "Französisch Konversation"],
    "office": [
        "Excel Grundlagen",
        "Excel für Fortgeschrittene",
        "Word",
        "PowerPoint",
        "Outlook im Büro",
    ],
    "digitale-grundlagen": [
        "Computer für Einsteiger",
        "Smartphone und Tablet",
        "Internet sicher nutzen",
    ],
    "programmierung-webentwicklung": ["Python", "Webseiten mit HTML und CSS", "JavaScript"],
    "altenpflege": [
        "Pflegehelfer in der Altenpflege",
        "Demenz verstehen",
        "Betreuungskraft nach § 43b SGB XI",
    ],
    "pflege": ["Pflegebasiskurs", "Interkulturelle Kompetenz in der Pflege", "Erste Hilfe"],
    "nachqualifizierung": [
        "Maschinen- und Anlagenführer",
        "Mechatroniker",
        "Fachkraft für Lagerlogistik",
        "Kaufmann für Büromanagement",
    ],
    "existenzgruendung": ["Existenzgründung", "Businessplan", "Buchführung für Selbstständige"],
    "fuehrung-personalentwicklung": [
        "Führen im Team",
        "Konfliktmanagement",
        "Mitarbeitergespräche",
    ],
    "bewegung-entspannung": ["Yoga", "Pilates", "Rückenfit", "Autogenes Training"],
}
SUFFIXES = [
    "für Einsteiger",
    "Aufbaukurs",
    "kompakt",
    "am Abend",
    "Intensivkurs",
    "am Wochenende",
    "für Berufstätige",
    "für Ältere",
    "mit Zertifikat",
    "online",
    "für Frauen",
    "in Leichter Sprache",
]
PROVIDER_KINDS = [
    ("Volkshochschule", "vhs"),
    ("Bildungswerk", "non_profit_provider"),
    ("Akademie", "private_provider"),
    ("Bildungszentrum", "private_provider"),
    ("Familienbildungsstätte", "church"),
    ("Berufsbildungszentrum", "chamber"),
]
SUMMARIES = [
    "Der Kurs vermittelt {topic} praxisnah und in kleinen Gruppen.",
    "{topic}: Grundlagen, Übungen und viele Beispiele aus dem Alltag.",
    "In diesem Angebot lernen Sie {topic} Schritt für Schritt.",
]
DESCRIPTION = (
    "{mark} {topic} {suffix}. Das Angebot richtet sich an Menschen, die {topic} lernen oder "
    "vertiefen möchten. Die Teilnehmenden arbeiten mit Materialien, die sie behalten dürfen. "
    "Am Ende steht eine Bescheinigung. Veranstaltungsort ist {place}."
)


# Sent by ``delete_synthetic`` in its transaction, after the flagged rows are gone, for what
# the layers above made for the synthetic data (atlas: the workspace benchmark's account).
deleted = Signal()


def delete_synthetic() -> dict[str, int]:
    """Delete the rows flagged ``synthetic`` with what belongs to them; returns the counts.

    A synthetic organisation that has a course someone added by hand (not flagged) stays,
    with that course. Set-based (``core.bulk_delete``: a few statements per table, no row
    read into Python), in one transaction that starts one new search generation."""
    with transaction.atomic():
        removed = delete_rows(Course.objects.filter(synthetic=True))
        counts = {"Kurse": removed.get(Course._meta.label, 0)}
        organisations = Organisation.objects.filter(synthetic=True).exclude(
            pk__in=Course.objects.values("provider_id")
        )
        counts["Anbieter"] = delete_rows(organisations).get(Organisation._meta.label, 0)
        # The workspace benchmark's network of synthetic providers.
        networks = delete_rows(Network.objects.filter(synthetic=True))
        counts["Netzwerke"] = networks.get(Network._meta.label, 0)
        deleted.send(sender=Course)
        # The keywords it created, once no course uses them (a name that existed was reused).
        delete_rows(
            Tag.objects.filter(slug__startswith=PREFIX).exclude(
                pk__in=TaggedItem.objects.values("tag_id")
            )
        )
        # What the rows' signals would have done, once: caches and the search index see a
        # new generation (the reference data too: networks are reference data).
        generations.bump(reference=True)
        refresh_search_words()  # their words leave "Meinten Sie …?"
    return counts


class _Phases:
    """Prints a progress line per phase (and along the way) with the seconds it took."""

    def __init__(self, say):
        self.say = say
        self.started = time_now()

    def done(self, message: str) -> None:
        now = time_now()
        self.say(f"{message} ({now - self.started:.1f} s)\n")
        self.started = now

    def progress(self, message: str) -> None:
        self.say(f"{message} ({time_now() - self.started:.1f} s)\n")


def generate(*, courses: int, dates_per_course: int = 4, seed: int = 1, stdout=None) -> dict:
    """Create ``courses`` courses with ``dates_per_course`` dates each.

    Providers and venues are few (one per 50 courses) and made with ``bulk_create``; the
    courses, their links, keywords and dates are written with ``COPY`` in batches of
    :data:`BATCH` courses, one transaction each, with every column the model or the database
    would fill (see :class:`_Batches` and :class:`_Copier`). The search index and vocabulary
    follow, as for any write. The random choices are drawn in the same order as by the
    earlier ``bulk_create`` version, so a seed gives the same data set.
    """
    rng = random.Random(seed)
    phases = _Phases(stdout.write if stdout else (lambda message: None))
    districts = list(Region.objects.districts().values_list("pk", "key", "name"))
    postal_rows: dict[int, list[tuple]] = {}
    for code, place, district_id, lat, lon in PostalCode.objects.filter(
        district__isnull=False
    ).values_list("code", "place", "district_id", "latitude", "longitude"):
        postal_rows.setdefault(district_id, []).append((code, place, lat, lon))
    subjects = list(Subject.objects.filter(parent__isnull=False).values_list("pk", "slug", "name"))
    target_groups = list(TargetGroup.objects.values_list("pk", flat=True))
    funding = list(FundingType.objects.values_list("pk", flat=True))
    certificates = list(CertificateKind.objects.values_list("pk", flat=True))
    if not districts or not subjects:
        raise ValueError("Load the reference data first (manage.py load_reference).")

    provider_count = max(1, courses // 50)
    existing = Organisation.objects.filter(synthetic=True).count()
    organisations = []
    for index in range(existing, existing + provider_count):
        # A prime stride spreads even a few providers over many states.
        district_id, _key, district_name = districts[(index * 7919) % len(districts)]
        rows = postal_rows.get(district_id)
        if not rows:
            continue
        code, place, lat, lon = rng.choice(rows)
        label, kind = PROVIDER_KINDS[index % len(PROVIDER_KINDS)]
        organisations.append(
            Organisation(
                name=f"{label} {place} {index + 1} (synthetisch)",
                slug=f"{PREFIX}anbieter-{index + 1}",
                kind=kind,
                is_provider=True,
                synthetic=True,
                description=f"{MARK} Ein Bildungsanbieter im Kreis {district_name}.",
                street=f"Schulstraße {rng.randint(1, 120)}",
                postal_code=code,
                city=place,
                region_id=district_id,
                latitude=lat,
                longitude=lon,
            )
        )
    organisations = Organisation.objects.bulk_create(organisations, batch_size=BATCH)
    phases.done(f"{len(organisations)} Anbieter")

    venues = []
    for organisation in organisations:
        rows = postal_rows[organisation.region_id]
        for number in range(rng.randint(1, 3)):
            code, place, lat, lon = rng.choice(rows)
            venues.append(
                Venue(
                    organisation=organisation,
                    name=f"Lernort {number + 1}",
                    street=f"Am Markt {rng.randint(1, 60)}",
                    postal_code=code,
                    city=place,
                    region_id=organisation.region_id,
                    latitude=lat + rng.uniform(-0.01, 0.01),
                    longitude=lon + rng.uniform(-0.01, 0.01),
                    step_free_access=rng.random() < 0.6,
                    accessible_toilet=rng.random() < 0.4,
                    hearing_loop=rng.random() < 0.1,
                )
            )
    venues = Venue.objects.bulk_create(venues, batch_size=BATCH)
    venues_by_org: dict[int, list[int]] = {}
    for venue in venues:
        venues_by_org.setdefault(venue.organisation_id, []).append(venue.pk)
    phases.done(f"{len(venues)} Veranstaltungsorte")

    batches = _Batches(rng, target_groups, funding, venues_by_org, dates_per_course)
    copier = _Copier()
    first_number = Course.objects.filter(synthetic=True).count()
    created, course_ids = 0, []
    while created < courses:
        batch_size = min(BATCH, courses - created)
        batch = []
        for offset in range(batch_size):
            number = first_number + created + offset + 1
            organisation = organisations[(number * 7919) % len(organisations)]
            subject_id, subject_slug, subject_name = rng.choice(subjects)
            stem = rng.choice(STEMS.get(subject_slug, [subject_name]))
            suffix = rng.choice(SUFFIXES)
            price_kind = rng.choices(["fixed", "free", "reduced", "on_request"], [70, 10, 15, 5])[0]
            price = (
                None
                if price_kind in ("free", "on_request")
                else Decimal(rng.randrange(20, 2400, 5))
            )
            # The values in the order of their random draws (the same data for a seed).
            course = {
                "provider_id": organisation.pk,
                "title": f"{stem} {suffix}",
                "slug": f"{PREFIX}kurs-{number}",
                "kind": rng.choices(
                    ["course", "seminar", "retraining", "counselling"], [70, 20, 7, 3]
                )[0],
                "summary": rng.choice(SUMMARIES).format(topic=stem),
                "description": DESCRIPTION.format(
                    mark=MARK, topic=stem, suffix=suffix, place=organisation.city
                ),
                "language": "en" if stem.startswith("Business English") else "de",
            }
            course["certificate_kind_id"] = (
                rng.choice(certificates) if certificates and rng.random() < 0.4 else None
            )
            course["teaching_units"] = rng.choice([8, 16, 24, 40, 80, 120, 400])
            course["price"] = price
            course["price_kind"] = price_kind
            course["external_id"] = f"{PREFIX}{number}"
            course["childcare"] = rng.random() < 0.1
            course["easy_language"] = suffix == "in Leichter Sprache"
            course["synthetic"] = True
            batch.append((course, subject_id, stem, organisation.pk))
        ids, tables = batches.make(batch)
        copier.put(tables)
        course_ids.extend(ids)
        created += batch_size
        if created % (20 * BATCH) == 0 and created < courses:
            phases.progress(f"{created} Kurse")
    copier.close()
    phases.done(f"{created} Kurse mit Verknüpfungen, Schlagwörtern und Terminen")

    with connection.cursor() as cursor:  # the plans of what follows need the new figures
        cursor.execute("ANALYZE")
    phases.done("ANALYZE")
    refresh_search_words()  # first: compounds are split by the vocabulary
    phases.done("Wortschatz für „Meinten Sie …?“")
    _in_parallel(partial(refresh_search_vectors, words=False), _shares(course_ids))
    phases.done(f"Suchindex für {len(course_ids)} Kurse")
    with connection.cursor() as cursor:
        for model in (SearchDocument, SearchWord, SearchWordSource):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    phases.done("ANALYZE (Suche)")
    return {"providers": len(organisations), "venues": len(venues), "courses": created}


class _Batches:
    """Makes the rows of batches of synthetic courses with their links, keywords and dates.

    Ids come from the tables' own sequences, a block per batch (``setval``), so that later
    inserts by the ORM go on after them; the generator assumes it is the only writer while
    it runs. Each row carries every column: the model's defaults (``Field.get_default``), the
    times ``save()`` would set, and what the database keeps for the course (``current_until``,
    the ``facet_*`` arrays, ``summary_next_start``, ``summary_valid_until``; triggers of
    migrations 0005 and 0006), computed here from the rows written. The dates and links are
    copied before their courses in the same transaction (the foreign keys are checked at the
    commit), so that, where the triggers fire (see :class:`_Copier`), they find no course to
    update and each course row is written once instead of five times.
    """

    def __init__(self, rng, target_groups, funding, venues_by_org, dates_per_course):
        self.rng = rng
        self.target_groups = target_groups
        self.funding = funding
        self.venues_by_org = venues_by_org
        self.dates_per_course = dates_per_course
        self.course_type = ContentType.objects.get_for_model(Course).pk
        self.tags: dict[str, int] = {}
        self.now = timezone.now()
        self.today = timezone.localdate()

    def make(self, batch) -> tuple[range, list[tuple[type, list[dict]]]]:
        """The rows of one batch of ``(course values, subject id, stem, provider id)``, with
        their ids: the courses' ids and the tables to copy, in order."""
        with connection.cursor() as cursor:
            ids = _reserve(cursor, Course, len(batch))
            courses = [{"id": pk, **item[0]} for pk, item in zip(ids, batch, strict=True)]
            links = self._links(courses, batch)
            dates = self._dates(courses, batch)
            self._summarise(courses, links, dates)
            tables = [
                (CourseDate, dates),
                (Course.subjects.through, links["subjects"]),
                (Course.target_groups.through, links["target_groups"]),
                (Course.funding.through, links["funding"]),
                (TaggedItem, links["keywords"]),
            ]
            for model, rows in tables:
                for pk, row in zip(_reserve(cursor, model, len(rows)), rows, strict=True):
                    row["id"] = pk
        return ids, [*tables, (Course, courses)]  # the courses last: see the class's docstring

    def _links(self, courses, batch) -> dict[str, list[dict]]:
        rng, links = self.rng, {"subjects": [], "target_groups": [], "funding": [], "keywords": []}
        seen: dict[str, int] = {}  # as the bulk_create version: slugs numbered per batch
        for course, (_values, subject_id, stem, _provider) in zip(courses, batch, strict=True):
            pk = course["id"]
            links["subjects"].append({"course_id": pk, "subject_id": subject_id})
            count = min(len(self.target_groups), rng.randint(0, 2))
            for group in rng.sample(self.target_groups, k=count):
                links["target_groups"].append({"course_id": pk, "targetgroup_id": group})
            if self.funding and rng.random() < 0.3:
                links["funding"].append(
                    {"course_id": pk, "fundingtype_id": rng.choice(self.funding)}
                )
            word = stem.split()[0]
            if word not in seen:
                seen[word] = self._tag(word, slug=f"{PREFIX}{len(seen)}-{word.lower()}"[:100])
            links["keywords"].append(
                {"tag_id": seen[word], "content_type_id": self.course_type, "object_id": pk}
            )
        return links

    def _tag(self, word: str, *, slug: str) -> int:
        if word not in self.tags:
            self.tags[word] = Tag.objects.get_or_create(name=word, defaults={"slug": slug})[0].pk
        return self.tags[word]

    def _dates(self, courses, batch) -> list[dict]:
        rng, dates = self.rng, []
        for course, (_values, _subject, _stem, provider_id) in zip(courses, batch, strict=True):
            for _ in range(self.dates_per_course):
                mode = rng.choices(["in_person", "online", "blended"], [75, 15, 10])[0]
                start = self.today + timedelta(days=rng.randint(-120, 300))
                weekly = rng.random() < 0.8
                starts_at = rng.choice(
                    [time(9), time(10), time(14), time(17, 30), time(18), time(19)]
                )
                end = start + timedelta(days=rng.choice([0, 1, 4, 28, 56, 90]))
                weekdays = sorted(rng.sample(range(7), k=rng.randint(1, 2))) if weekly else []
                venue = None if mode == "online" else rng.choice(self.venues_by_org[provider_id])
                dates.append(
                    {
                        "course_id": course["id"],
                        "start_date": start,
                        "end_date": end,
                        "weekdays": weekdays,
                        "start_time": starts_at,
                        "end_time": time(starts_at.hour + 2, starts_at.minute),
                        "mode": mode,
                        "venue_id": venue,
                        "seats": rng.choice([8, 12, 15, 20, 25]),
                        "booking_status": rng.choices(
                            ["open", "few", "full", "cancelled"], [80, 10, 7, 3]
                        )[0],
                    }
                )
        return dates

    def _summarise(self, courses, links, dates) -> None:
        """What ``save()`` and the database's triggers would set on each course. The rules are
        the triggers' (migrations 0005, 0006 and 0011), for dates as made here: each has a
        start and an end and none is a rolling start; a test compares with the database."""
        by_id = {course["id"]: course for course in courses}
        for course in courses:
            course.update(
                status="published",
                created_at=self.now,
                updated_at=self.now,
                published_at=self.now,
                facet_subjects=[],
                facet_target_groups=[],
                facet_funding=[],
                current_until=None,
                summary_next_start=None,
                summary_valid_until=None,
            )
        for key, column, field in (
            ("subjects", "subject_id", "facet_subjects"),
            ("target_groups", "targetgroup_id", "facet_target_groups"),
            ("funding", "fundingtype_id", "facet_funding"),
        ):
            for link in links[key]:
                by_id[link["course_id"]][field].append(link[column])
            for course in courses:
                course[field].sort()
        for date in dates:
            if date["booking_status"] == "cancelled":
                continue
            course = by_id[date["course_id"]]
            course["current_until"] = _latest(course["current_until"], date["end_date"])
            if date["end_date"] >= self.today:  # current today
                course["summary_next_start"] = _earliest(
                    course["summary_next_start"], date["start_date"]
                )
                course["summary_valid_until"] = _earliest(
                    course["summary_valid_until"], date["end_date"]
                )


class _Copier:
    """Copies each batch's tables in a transaction of its own: in a thread with a connection
    of its own, so that the database writes one batch while the next is made, or, when the
    caller holds a transaction (the tests do), at once in that.

    Where the database role may (a superuser: the embedded server's), the copies run with
    ``session_replication_role = replica``, as ``pg_restore --disable-triggers`` does: no
    foreign-key check and no trigger per batch (they took half of the database's time). The
    rows are made consistent (ids reserved, references to rows that exist, the columns the
    triggers keep filled in) and a test checks them; other roles copy with both.
    """

    def __init__(self):
        self.threaded = not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.unchecked = bool(cursor.fetchone()[0])
        self.errors: list[Exception] = []
        if self.threaded:
            self.jobs: queue.Queue = queue.Queue(maxsize=2)  # memory: at most 4 batches
            self.thread = threading.Thread(target=self._run, name="copy", daemon=True)
            self.thread.start()

    def put(self, tables) -> None:
        if not self.threaded:
            _copy_batch(tables, unchecked=self.unchecked)
            return
        self._raise()
        self.jobs.put(tables)

    def close(self) -> None:
        if self.threaded:
            self.jobs.put(None)
            self.thread.join()
            self._raise()

    def _raise(self) -> None:
        if self.errors:
            raise self.errors[0]

    def _run(self) -> None:
        try:
            while (tables := self.jobs.get()) is not None:
                if not self.errors:  # after an error: only empty the queue
                    try:
                        _copy_batch(tables, unchecked=self.unchecked)
                    except Exception as error:  # noqa: BLE001 (raised in the caller's thread)
                        self.errors.append(error)
        finally:
            connection.close()


def _workers() -> int:
    return min(4, os.cpu_count() or 1)


def _shares(ids: list[int]) -> list[list[int]]:
    """``ids`` in chunks of at most SEARCH_BATCH, as many as a multiple of the workers, so that
    no worker is left with a last chunk alone while the others wait (100,000 courses on two
    processors: six chunks of 16,667, not five of 20,000)."""
    workers = _workers()
    count = workers * -(-len(ids) // (SEARCH_BATCH * workers))
    bounds = [len(ids) * share // count for share in range(count + 1)] if count else []
    return [ids[start:end] for start, end in itertools.pairwise(bounds) if end > start]


def _in_parallel(function, chunks) -> None:
    """Call ``function`` for each chunk, on as many connections as there are processors (up
    to four), or, when the caller holds a transaction, one after the other in it."""
    workers = min(_workers(), len(chunks))
    if connection.in_atomic_block or workers < 2:
        for chunk in chunks:
            function(chunk)
        return

    def work(share):
        try:
            for chunk in share:
                function(chunk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work, chunks[index::workers]) for index in range(workers)]:
            future.result()


def _copy_batch(tables, *, unchecked: bool) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if unchecked:
            cursor.execute("SET LOCAL session_replication_role = replica")
        for model, rows in tables:
            _copy(cursor, model, rows)
        if unchecked:  # a caller's transaction (a test's) goes on with both
            cursor.execute("SET LOCAL session_replication_role = origin")


def _earliest(day, other):
    return other if day is None or other < day else day


def _latest(day, other):
    return other if day is None or other > day else day


def _reserve(cursor, model, count: int) -> range:
    """A block of ``count`` ids from the table's sequence."""
    if not count:
        return range(0)
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
        " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [model._meta.db_table, model._meta.db_table, count],
    )
    last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def _copy(cursor, model, rows: list[dict]) -> None:
    """``COPY`` the rows into the model's table: every column its value or the field's
    default. The lines are formatted here and
    sent in chunks (psycopg's ``write_row`` adapts value by value, at about three times the
    cost)."""
    if not rows:
        return
    # The rows' own columns first, then the rest with their defaults, written once.
    fields = model._meta.concrete_fields
    given = [field for field in fields if field.attname in rows[0]]
    rest = [field for field in fields if field.attname not in rows[0]]
    constant = "".join("\t" + _copy_text(field.get_default()) for field in rest)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in given + rest)
    table = connection.ops.quote_name(model._meta.db_table)
    names = [field.attname for field in given]
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
        lines = []
        for row in rows:
            lines.append("\t".join([_copy_text(row[name]) for name in names]) + constant)
            if len(lines) == 1000:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")


def _copy_text(value) -> str:
    """A value in ``COPY``'s text format (dates, times and numbers as ``str`` writes them)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        # str.replace, not str.translate: that takes ~100 µs for a description with umlauts.
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    if isinstance(value, list):  # integer arrays: the facets, the weekdays
        return "{" + ",".join(str(int(item)) for item in value) + "}"
    return str(value)


# The course import (workspace) writes new courses the same way: ids reserved from the
# sequences, rows copied; with the triggers on (its rows go in after their courses).
reserve_ids = _reserve
copy_rows = _copy
copy_text = _copy_text
