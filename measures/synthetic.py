"""A realistic synthetic data set of any size, for benchmarks: providers in every district,
courses with German titles and texts built from vocabularies, four dates each.

Everything it creates is marked: organisation slugs and course external ids start with
``syn-``, names end with "(synthetisch)" for providers, and every description starts with
:data:`MARK`. ``delete_synthetic()`` removes exactly that.
"""

from __future__ import annotations

import random
from datetime import time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from measures.models import CertificateKind, Course, CourseDate, FundingType, Subject, TargetGroup
from measures.search import refresh_search_vectors, refresh_search_words
from network.models import Organisation, PostalCode, Region, Venue

MARK = "[Synthetische Testdaten]"
PREFIX = "syn-"
BATCH = 5000

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


def delete_synthetic() -> None:
    with transaction.atomic():
        CourseDate.objects.filter(course__external_id__startswith=PREFIX).delete()
        Course.objects.filter(external_id__startswith=PREFIX).delete()
        Organisation.objects.filter(slug__startswith=PREFIX).delete()
        refresh_search_words()  # their words leave "Meinten Sie …?"


def generate(*, courses: int, dates_per_course: int = 4, seed: int = 1, stdout=None) -> dict:
    """Create ``courses`` courses with ``dates_per_course`` dates each, in bulk."""
    rng = random.Random(seed)
    say = stdout.write if stdout else (lambda message: None)
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
    existing = Organisation.objects.filter(slug__startswith=PREFIX).count()
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
    say(f"{len(organisations)} Anbieter\n")

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
    venues_by_org: dict[int, list[Venue]] = {}
    for venue in venues:
        venues_by_org.setdefault(venue.organisation_id, []).append(venue)
    say(f"{len(venues)} Veranstaltungsorte\n")

    now = timezone.now()
    today = timezone.localdate()
    first_number = Course.objects.filter(external_id__startswith=PREFIX).count()
    created = 0
    while created < courses:
        batch_size = min(BATCH, courses - created)
        batch, picks = [], []
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
            batch.append(
                Course(
                    provider=organisation,
                    title=f"{stem} {suffix}",
                    slug=f"{PREFIX}kurs-{number}",
                    kind=rng.choices(
                        ["course", "seminar", "retraining", "counselling"], [70, 20, 7, 3]
                    )[0],
                    summary=rng.choice(SUMMARIES).format(topic=stem),
                    description=DESCRIPTION.format(
                        mark=MARK, topic=stem, suffix=suffix, place=organisation.city
                    ),
                    language="en" if stem.startswith("Business English") else "de",
                    certificate_kind_id=rng.choice(certificates)
                    if certificates and rng.random() < 0.4
                    else None,
                    teaching_units=rng.choice([8, 16, 24, 40, 80, 120, 400]),
                    price=price,
                    price_kind=price_kind,
                    status="published",
                    external_id=f"{PREFIX}{number}",
                    created_at=now,
                    published_at=now,
                    childcare=rng.random() < 0.1,
                    easy_language=suffix == "in Leichter Sprache",
                )
            )
            picks.append((subject_id, stem, organisation))
        batch = Course.objects.bulk_create(batch, batch_size=BATCH)
        _link(batch, picks, rng, target_groups, funding)
        _dates(batch, picks, rng, venues_by_org, dates_per_course, today)
        created += batch_size
        say(f"{created} Kurse\n")
    refresh_search_words()  # first: compounds are split by the vocabulary
    refresh_search_vectors(
        Course.objects.filter(external_id__startswith=PREFIX).values_list("pk", flat=True),
        words=False,  # rebuilt above, at once
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"providers": len(organisations), "venues": len(venues), "courses": created}


def _link(courses, picks, rng, target_groups, funding):
    subject_links, group_links, funding_links, tagged = [], [], [], []
    course_type = ContentType.objects.get_for_model(Course)
    tags = {}
    for course, (subject_id, stem, _organisation) in zip(courses, picks, strict=True):
        subject_links.append(Course.subjects.through(course_id=course.pk, subject_id=subject_id))
        for group in rng.sample(target_groups, k=min(len(target_groups), rng.randint(0, 2))):
            group_links.append(
                Course.target_groups.through(course_id=course.pk, targetgroup_id=group)
            )
        if funding and rng.random() < 0.3:
            funding_links.append(
                Course.funding.through(course_id=course.pk, fundingtype_id=rng.choice(funding))
            )
        word = stem.split()[0]
        if word not in tags:
            tags[word] = Tag.objects.get_or_create(
                name=word, defaults={"slug": f"{PREFIX}{len(tags)}-{word.lower()}"[:100]}
            )[0]
        tagged.append(TaggedItem(tag=tags[word], content_type=course_type, object_id=course.pk))
    Course.subjects.through.objects.bulk_create(subject_links, batch_size=BATCH)
    Course.target_groups.through.objects.bulk_create(group_links, batch_size=BATCH)
    Course.funding.through.objects.bulk_create(funding_links, batch_size=BATCH)
    TaggedItem.objects.bulk_create(tagged, batch_size=BATCH)


def _dates(courses, picks, rng, venues_by_org, dates_per_course, today):
    dates = []
    for course, (_subject, _stem, organisation) in zip(courses, picks, strict=True):
        for _ in range(dates_per_course):
            mode = rng.choices(["in_person", "online", "blended"], [75, 15, 10])[0]
            start = today + timedelta(days=rng.randint(-120, 300))
            weekly = rng.random() < 0.8
            starts_at = rng.choice([time(9), time(10), time(14), time(17, 30), time(18), time(19)])
            dates.append(
                CourseDate(
                    course=course,
                    start_date=start,
                    end_date=start + timedelta(days=rng.choice([0, 1, 4, 28, 56, 90])),
                    weekdays=sorted(rng.sample(range(7), k=rng.randint(1, 2))) if weekly else [],
                    start_time=starts_at,
                    end_time=time(starts_at.hour + 2, starts_at.minute),
                    mode=mode,
                    venue=None if mode == "online" else rng.choice(venues_by_org[organisation.pk]),
                    seats=rng.choice([8, 12, 15, 20, 25]),
                    booking_status=rng.choices(
                        ["open", "few", "full", "cancelled"], [80, 10, 7, 3]
                    )[0],
                )
            )
    CourseDate.objects.bulk_create(dates, batch_size=BATCH)
