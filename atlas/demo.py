"""Load the demo data: five learning networks drawn from the seed reports.

The data lives in hand-written JSON files in ``fixtures/demo/``, one per network (the format is
described in ``fixtures/demo/README.md``). Every row is matched by a natural key — a slug, a
course's provider and external id, a date's external id — and written only where it differs, so
loading twice changes nothing and primary keys stay as they are.

Dates are given relative to the day of loading (``"start": 14`` is two weeks from today), so the
demo never goes stale; on a later day the same rows are moved, not duplicated.

Every organisation, network and course the loader writes is flagged ``demo``, and the accounts
it makes are recorded (``atlas.GeneratedAccount``): ``other_data`` finds everything else, and
the command ``load_demo`` writes nothing where there is any (matching by slug would otherwise
overwrite an installation's own organisation of the same name).

The loader works in bulk (one query per table to read what exists, then ``bulk_create`` and
``bulk_update`` for what differs): it runs at the start of every test session, so it has to be
fast. New and changed rows are validated field by field (``full_clean`` without the queries for
foreign keys, uniqueness and constraints); the database's constraints check the rest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from atlas.models import GeneratedAccount
from core import generations
from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Module,
    SearchWord,
    Subject,
    TargetGroup,
)
from measures.search import refresh_search_vectors, refresh_search_words
from network.models import (
    Certification,
    Contact,
    Event,
    Membership,
    Network,
    NetworkPhase,
    Organisation,
    OrganisationCertification,
    PostalCode,
    Project,
    Region,
    Venue,
    WorkingGroup,
)
from pages.info_defaults import DEFAULT_PAGES, create_missing
from pages.models import InfoPage
from workspace.models import QualityCriterion, RoleAssignment
from workspace.services import assign_role

DEMO_DIR = Path(settings.FIXTURES_DIR) / "demo"
ACCESSIBILITY_KEYS = ("step_free_access", "accessible_toilet", "hearing_loop")


class DemoDataError(Exception):
    """The demo data is inconsistent, or the reference data it needs is missing."""


# --- generic bulk synchronisation ----------------------------------------------------------


def validate(obj: models.Model) -> None:
    """Field-level validation without database queries (the constraints are in the database)."""
    relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    try:
        obj.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise DemoDataError(
            f"{obj._meta.verbose_name} „{obj}“: {'; '.join(error.messages)}"
        ) from error


def sync(
    model: type[models.Model],
    key_fields: tuple[str, ...],
    wanted: dict[tuple, dict],
    existing: models.QuerySet,
    changed: set | None = None,
) -> dict[tuple, models.Model]:
    """Make the rows keyed by ``key_fields`` (attribute names) hold ``wanted`` values.

    ``existing`` is a queryset that contains at least the rows that may already exist. Rows are
    created or updated (only the fields that differ); nothing is deleted. Returns the objects by
    key; the keys of created and updated rows are added to ``changed``.
    """
    current = {tuple(getattr(obj, name) for name in key_fields): obj for obj in existing}
    to_create, to_update, changed_fields = [], [], set()
    result = {}
    for key, values in wanted.items():
        obj = current.get(key)
        if obj is None:
            obj = model(**dict(zip(key_fields, key, strict=True)), **values)
            validate(obj)
            to_create.append(obj)
            if changed is not None:
                changed.add(key)
        else:
            differing = [name for name, value in values.items() if getattr(obj, name) != value]
            if differing:
                for name in differing:
                    setattr(obj, name, values[name])
                validate(obj)
                to_update.append(obj)
                changed_fields.update(differing)
                if changed is not None:
                    changed.add(key)
        result[key] = obj
    if to_create:
        model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    return result


def sync_m2m(model: type[models.Model], field_name: str, wanted: dict[int, set[int]]) -> set[int]:
    """Make the many-to-many relation ``field_name`` of the given objects hold exactly
    ``wanted`` (object id -> related ids); returns the ids of the objects that changed."""
    m2m = model._meta.get_field(field_name)
    through = m2m.remote_field.through
    source = through._meta.get_field(m2m.m2m_field_name()).attname
    target = through._meta.get_field(m2m.m2m_reverse_field_name()).attname
    existing = set(
        through.objects.filter(**{f"{source}__in": list(wanted)}).values_list(source, target)
    )
    desired = {(obj_id, related_id) for obj_id, ids in wanted.items() for related_id in ids}
    through.objects.bulk_create(
        [through(**{source: s, target: t}) for s, t in sorted(desired - existing)]
    )
    extra = existing - desired
    if extra:
        for obj_id in {s for s, _ in extra}:
            through.objects.filter(
                **{source: obj_id, f"{target}__in": [t for s, t in extra if s == obj_id]}
            ).delete()
    return {s for s, _ in (desired - existing) | extra}


def sync_keywords(wanted: dict[int, list[str]]) -> set[int]:
    """Set the taggit keywords of the given courses (course id -> tag names) in bulk; returns
    the ids of the courses whose keywords changed."""
    names = {name for tags in wanted.values() for name in tags}
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = sorted(names - set(tags))
    if missing:
        slugs = set(Tag.objects.values_list("slug", flat=True))
        new_tags = []
        for name in missing:
            tag = Tag(name=name)
            slug, i = tag.slugify(name), 0
            while slug in slugs:
                i += 1
                slug = tag.slugify(name, i)
            tag.slug = slug
            slugs.add(slug)
            new_tags.append(tag)
        Tag.objects.bulk_create(new_tags)
        tags.update({tag.name: tag for tag in new_tags})
    content_type = ContentType.objects.get_for_model(Course)
    items = TaggedItem.objects.filter(content_type=content_type, object_id__in=list(wanted))
    existing = {(item.object_id, item.tag_id): item.pk for item in items}
    desired = {(course_id, tags[name].pk) for course_id, names in wanted.items() for name in names}
    TaggedItem.objects.bulk_create(
        [
            TaggedItem(content_type=content_type, object_id=course_id, tag_id=tag_id)
            for course_id, tag_id in sorted(desired - set(existing))
        ]
    )
    extra = [key for key in existing if key not in desired]
    if extra:
        TaggedItem.objects.filter(pk__in=[existing[key] for key in extra]).delete()
    return {course_id for course_id, _ in (desired - set(existing)) | set(extra)}


# --- values --------------------------------------------------------------------------------


def parse_day(value, today: date) -> date | None:
    """A date given as ``"YYYY-MM-DD"`` or as a number of days from today."""
    if value is None:
        return None
    if isinstance(value, int):
        return today + timedelta(days=value)
    return date.fromisoformat(value)


def parse_time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def morning_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def accessibility(spec: dict) -> dict:
    flags = spec.get("accessibility", {})
    values = {key: bool(flags.get(key, False)) for key in ACCESSIBILITY_KEYS}
    values["accessibility_notes"] = flags.get("notes", "")
    return values


def date_range(spec: dict, today: date) -> tuple[date | None, date | None, date | None]:
    """A course date's start, end and registration deadline, relative to today.

    ``start`` is days from today, moved forward to the first of the date's weekdays; ``days`` is
    the length (the end moves back to the last of the weekdays); ``deadline`` is days before the
    start.
    """
    if "start" not in spec:
        return None, None, None
    weekdays = spec.get("weekdays", [])
    start = today + timedelta(days=spec["start"])
    while weekdays and start.weekday() not in weekdays:
        start += timedelta(days=1)
    end = None
    if "days" in spec:
        end = start + timedelta(days=spec["days"])
        while weekdays and end > start and end.weekday() not in weekdays:
            end -= timedelta(days=1)
    deadline = start - timedelta(days=spec["deadline"]) if "deadline" in spec else None
    return start, end, deadline


def read_files(directory: Path = DEMO_DIR) -> list[dict]:
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise DemoDataError(f"Keine Demodaten in {directory}.")
    files = []
    for path in paths:
        try:
            files.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as error:
            raise DemoDataError(f"{path.name}: {error}") from error
    return files


UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def german_slug(title: str, max_length: int = 100) -> str:
    """A slug the German way: "Älter werden" -> "aelter-werden", cut at a word boundary."""
    slug = slugify(title.translate(UMLAUTS))
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug


def course_slugs(specs: list[dict]) -> dict[str, str]:
    """A unique slug per course: from the title, or title and provider where titles repeat."""
    base = {spec["external_id"]: german_slug(spec["title"]) for spec in specs}
    if len(base) != len(specs):
        raise DemoDataError("Eine externe Kennung eines Demokurses ist doppelt vergeben.")
    counts: dict[str, int] = {}
    for slug in base.values():
        counts[slug] = counts.get(slug, 0) + 1
    return {
        spec["external_id"]: base[spec["external_id"]]
        if counts[base[spec["external_id"]]] == 1
        else f"{base[spec['external_id']]}-{spec['provider']}"
        for spec in specs
    }


# --- the loader ----------------------------------------------------------------------------


class DemoLoader:
    def __init__(self, today: date, files: list[dict]):
        self.today = today
        self.region_specs = [spec for data in files for spec in data.get("regions", [])]
        self.organisation_specs = [s for data in files for s in data.get("organisations", [])]
        self.network_specs = [data["network"] for data in files if "network" in data]
        self.course_specs = [spec for data in files for spec in data.get("courses", [])]
        self.vocabularies = {
            "subjects": dict(Subject.objects.values_list("slug", "pk")),
            "target_groups": dict(TargetGroup.objects.values_list("slug", "pk")),
            "funding": dict(FundingType.objects.values_list("slug", "pk")),
            "certificates": dict(CertificateKind.objects.values_list("slug", "pk")),
            "certifications": dict(Certification.objects.values_list("slug", "pk")),
        }

    def run(self) -> dict[str, int]:
        self.load_regions()
        self.load_organisations()
        self.load_networks()
        self.load_courses()
        return self.counts()

    def counts(self) -> dict[str, int]:
        networks = [network.pk for network in self.networks.values()]
        courses = [course.pk for course in self.courses.values()]
        return {
            "Netzwerke": len(networks),
            "Organisationen": len(self.organisations),
            "Anbieter": len({course.provider_id for course in self.courses.values()}),
            "Mitgliedschaften": Membership.objects.filter(network__in=networks).count(),
            "Arbeitsgruppen": WorkingGroup.objects.filter(network__in=networks).count(),
            "Vorhaben": Project.objects.filter(network__in=networks).count(),
            "Veranstaltungen": Event.objects.filter(network__in=networks).count(),
            "Kurse": len(courses),
            "Termine": CourseDate.objects.filter(course__in=courses).count(),
        }

    # lookups

    def vocabulary(self, name: str, slugs: list[str]) -> set[int]:
        table = self.vocabularies[name]
        missing = [slug for slug in slugs if slug not in table]
        if missing:
            raise DemoDataError(
                f"Unbekannte Einträge ({name}): {', '.join(missing)}. "
                "Bitte „manage.py load_vocabularies“ ausführen."
            )
        return {table[slug] for slug in slugs}

    def one(self, name: str, slug: str | None) -> int | None:
        return next(iter(self.vocabulary(name, [slug]))) if slug else None

    def region_id(self, key: str | None) -> int | None:
        if key is None:
            return None
        if key not in self.regions:
            raise DemoDataError(
                f"Region {key} fehlt. Bitte zuerst „manage.py load_reference“ ausführen."
            )
        return self.regions[key]

    def organisation_id(self, slug: str | None) -> int | None:
        if slug is None:
            return None
        if slug not in self.organisations:
            raise DemoDataError(f"Organisation „{slug}“ ist in den Demodaten nicht angelegt.")
        return self.organisations[slug].pk

    def organisation_ids(self, slugs: list[str]) -> set[int]:
        return {self.organisation_id(slug) for slug in slugs}

    # regions and places

    def load_regions(self) -> None:
        wanted = {}
        for spec in self.region_specs:
            wanted[(spec["key"],)] = {
                "name": spec["name"],
                "kind": spec["kind"],
                "official_kind": spec.get("official_kind", ""),
                "country": spec["country"],
                "parent_id": None,
                "latitude": spec.get("latitude"),
                "longitude": spec.get("longitude"),
            }
        created = sync(
            Region, ("key",), wanted, Region.objects.filter(key__in=[k for (k,) in wanted])
        )
        needed = {key for spec in self.network_specs for key in spec["regions"]}
        needed |= {
            event["region"]
            for spec in self.network_specs
            for event in spec.get("events", [])
            if event.get("region")
        }
        self.regions = dict(Region.objects.filter(key__in=needed).values_list("key", "pk"))
        self.regions.update({key: region.pk for (key,), region in created.items()})
        places = [self.organisation_specs]
        places += [org.get("venues", []) for org in self.organisation_specs]
        codes = {spec["postal_code"] for group in places for spec in group if "postal_code" in spec}
        self.postal_codes: dict[str, list[tuple]] = {}
        rows = PostalCode.objects.filter(code__in=codes).order_by("place", "latitude", "longitude")
        for code, place, district_id, lat, lon in rows.values_list(
            "code", "place", "district_id", "latitude", "longitude"
        ):
            self.postal_codes.setdefault(code, []).append((place, district_id, lat, lon))

    def address(self, spec: dict) -> dict:
        """Address fields with region and coordinates: given directly, or from the postal
        code (the row whose place matches the city best)."""
        values = {
            "street": spec.get("street", ""),
            "postal_code": spec.get("postal_code", ""),
            "city": spec.get("city", ""),
        }
        if "region" in spec or "latitude" in spec:
            return values | {
                "region_id": self.region_id(spec.get("region")),
                "latitude": spec.get("latitude"),
                "longitude": spec.get("longitude"),
            }
        code, city = values["postal_code"], values["city"]
        if not code:
            return values | {"region_id": None, "latitude": None, "longitude": None}
        rows = self.postal_codes.get(code)
        if not rows:
            raise DemoDataError(
                f"Postleitzahl {code} ({city}) fehlt. Bitte zuerst „manage.py load_reference“ "
                "ausführen."
            )
        place, district_id, latitude, longitude = (
            next((row for row in rows if row[0] == city), None)
            or next((row for row in rows if row[0].startswith(city)), None)
            or next((row for row in rows if city.startswith(row[0])), None)
            or rows[0]
        )
        return values | {"region_id": district_id, "latitude": latitude, "longitude": longitude}

    # organisations

    def load_organisations(self) -> None:
        specs = self.organisation_specs
        slugs = [spec["slug"] for spec in specs]
        if len(set(slugs)) != len(slugs):
            raise DemoDataError("Eine Organisation ist in den Demodaten doppelt angelegt.")
        wanted = {
            (spec["slug"],): {
                "name": spec["name"],
                "short_name": spec.get("short_name", ""),
                "kind": spec["kind"],
                "description": spec.get("description", ""),
                "core_competencies": spec.get("core_competencies", []),
                "email": spec.get("email", ""),
                "phone": spec.get("phone", ""),
                "website": spec.get("website", ""),
                "is_provider": spec.get("is_provider", False),
                "demo": True,
                **self.address(spec),
                **accessibility(spec),
            }
            for spec in specs
        }
        changed: set[tuple] = set()
        found = sync(
            Organisation, ("slug",), wanted, Organisation.objects.filter(slug__in=slugs), changed
        )
        self.organisations = {slug: org for (slug,), org in found.items()}
        self.touched_organisations = {found[key].pk for key in changed}
        ids = [org.pk for org in self.organisations.values()]

        contacts, venues, certificates = {}, {}, {}
        venue_refs = {}
        for spec in specs:
            org_id = self.organisations[spec["slug"]].pk
            for contact in spec.get("contacts", []):
                contacts[(org_id, contact["name"])] = {
                    "role": contact.get("role", ""),
                    "email": contact.get("email", ""),
                    "phone": contact.get("phone", ""),
                }
            for venue in spec.get("venues", []):
                if venue["ref"] in venue_refs:
                    raise DemoDataError(f"Veranstaltungsort „{venue['ref']}“ ist doppelt.")
                venue_refs[venue["ref"]] = (org_id, venue["name"])
                venues[(org_id, venue["name"])] = {
                    "room_notes": venue.get("room_notes", ""),
                    **self.address(venue),
                    **accessibility(venue),
                }
            for certificate in spec.get("certifications", []):
                key = (org_id, self.one("certifications", certificate["certification"]))
                certificates[key] = {
                    "valid_from": parse_day(certificate.get("valid_from"), self.today),
                    "valid_until": parse_day(certificate.get("valid_until"), self.today),
                    "certificate_number": certificate.get("number", ""),
                }
        self.contacts = sync(
            Contact,
            ("organisation_id", "name"),
            contacts,
            Contact.objects.filter(organisation__in=ids),
        )
        changed_venues: set[tuple] = set()
        found_venues = sync(
            Venue,
            ("organisation_id", "name"),
            venues,
            Venue.objects.filter(organisation__in=ids),
            changed_venues,
        )
        self.venues = {ref: found_venues[key] for ref, key in venue_refs.items()}
        self.touched_venues = {found_venues[key].pk for key in changed_venues}
        sync(
            OrganisationCertification,
            ("organisation_id", "certification_id"),
            certificates,
            OrganisationCertification.objects.filter(organisation__in=ids),
        )

    # networks

    def load_networks(self) -> None:
        specs = self.network_specs
        wanted = {
            (spec["slug"],): {
                "name": spec["name"],
                "short_name": spec.get("short_name", ""),
                "motto": spec.get("motto", ""),
                "description": spec.get("description", ""),
                "aims": spec.get("aims", ""),
                "lead_partner_id": self.organisation_id(spec["lead_partner"]),
                "funding_programme": spec.get("funding_programme", ""),
                "contact_name": spec.get("contact_name", ""),
                "email": spec.get("email", ""),
                "phone": spec.get("phone", ""),
                "website": spec.get("website", ""),
                "reviews_offers": spec.get("reviews_offers", False),
                "demo": True,
            }
            for spec in specs
        }
        found = sync(
            Network, ("slug",), wanted, Network.objects.filter(slug__in=[k for (k,) in wanted])
        )
        self.networks = {slug: network for (slug,), network in found.items()}
        ids = [network.pk for network in self.networks.values()]
        sync_m2m(
            Network,
            "regions",
            {
                self.networks[spec["slug"]].pk: {self.region_id(key) for key in spec["regions"]}
                for spec in specs
            },
        )

        phases, memberships = {}, {}
        for spec in specs:
            network_id = self.networks[spec["slug"]].pk
            for phase in spec.get("phases", []):
                phases[(network_id, phase["name"])] = {
                    "kind": phase["kind"],
                    "start": parse_day(phase["start"], self.today),
                    "end": parse_day(phase.get("end"), self.today),
                    "notes": phase.get("notes", ""),
                }
            for membership in spec.get("memberships", []):
                key = (network_id, self.organisation_id(membership["organisation"]))
                memberships[key] = {
                    "role": membership["role"],
                    "since": parse_day(membership.get("since"), self.today),
                    "declaration": membership.get("declaration", ""),
                    "declaration_date": parse_day(membership.get("declaration_date"), self.today),
                    "is_public": membership.get("is_public", True),
                    "contribution": membership.get("contribution", ""),
                }
        sync(
            NetworkPhase,
            ("network_id", "name"),
            phases,
            NetworkPhase.objects.filter(network__in=ids),
        )
        sync(
            Membership,
            ("network_id", "organisation_id"),
            memberships,
            Membership.objects.filter(network__in=ids),
        )
        groups = self.load_working_groups(ids)
        projects = self.load_projects(ids, groups)
        self.load_events(ids, groups, projects)

    def load_working_groups(self, network_ids: list[int]) -> dict[tuple, WorkingGroup]:
        """Top-level groups first, then their subgroups (which need the parent's id)."""
        groups: dict[tuple, WorkingGroup] = {}
        members = {}
        for level in ("top", "sub"):
            wanted = {}
            for spec in self.network_specs:
                network = self.networks[spec["slug"]]
                for group in spec.get("working_groups", []):
                    parent = group.get("parent")
                    if (level == "top") == bool(parent):
                        continue
                    if parent and (network.pk, parent) not in groups:
                        raise DemoDataError(f"Arbeitsgruppe „{parent}“ fehlt.")
                    wanted[(network.pk, group["slug"])] = {
                        "name": group["name"],
                        "parent_id": groups[(network.pk, parent)].pk if parent else None,
                        "topic": group.get("topic", ""),
                        "goals": group.get("goals", ""),
                        "description": group.get("description", ""),
                        "lead_id": self.organisation_id(group.get("lead")),
                    }
                    members[(network.pk, group["slug"])] = self.organisation_ids(
                        group.get("members", [])
                    )
            groups |= sync(
                WorkingGroup,
                ("network_id", "slug"),
                wanted,
                WorkingGroup.objects.filter(network__in=network_ids),
            )
        sync_m2m(WorkingGroup, "members", {groups[key].pk: ids for key, ids in members.items()})
        return groups

    def load_projects(self, network_ids: list[int], groups: dict) -> dict[tuple, Project]:
        wanted, target_groups, participants = {}, {}, {}
        for spec in self.network_specs:
            network_id = self.networks[spec["slug"]].pk
            for project in spec.get("projects", []):
                key = (network_id, project["slug"])
                group = project.get("working_group")
                wanted[key] = {
                    "title": project["title"],
                    "working_group_id": groups[(network_id, group)].pk if group else None,
                    "summary": project.get("summary", ""),
                    "goals": project.get("goals", ""),
                    "lead_id": self.organisation_id(project.get("lead")),
                    "status": project["status"],
                    "start": parse_day(project.get("start"), self.today),
                    "end": parse_day(project.get("end"), self.today),
                    "website": project.get("website", ""),
                }
                target_groups[key] = self.vocabulary(
                    "target_groups", project.get("target_groups", [])
                )
                participants[key] = self.organisation_ids(project.get("participants", []))
        projects = sync(
            Project,
            ("network_id", "slug"),
            wanted,
            Project.objects.filter(network__in=network_ids),
        )
        sync_m2m(Project, "target_groups", {projects[k].pk: v for k, v in target_groups.items()})
        sync_m2m(Project, "participants", {projects[k].pk: v for k, v in participants.items()})
        return projects

    def load_events(self, network_ids: list[int], groups: dict, projects: dict) -> None:
        wanted = {}
        for spec in self.network_specs:
            network_id = self.networks[spec["slug"]].pk
            for event in spec.get("events", []):
                day = parse_day(event["date"], self.today)
                # Relative dates move forward to one of the given weekdays (with their end).
                shift = 0
                while event.get("weekdays") and (day.weekday() not in event["weekdays"]):
                    day += timedelta(days=1)
                    shift += 1
                starts_at = timezone.make_aware(
                    datetime.combine(day, parse_time(event.get("time", "10:00")))
                )
                ends_at = None
                if event.get("end_time"):
                    end_day = parse_day(event.get("end_date"), self.today)
                    end_day = end_day + timedelta(days=shift) if end_day else day
                    ends_at = timezone.make_aware(
                        datetime.combine(end_day, parse_time(event["end_time"]))
                    )
                organiser = event.get("organiser")
                region_id = self.region_id(event.get("region"))
                if region_id is None and organiser:
                    region_id = self.organisations[organiser].region_id
                project, group = event.get("project"), event.get("working_group")
                wanted[(network_id, event["slug"])] = {
                    "title": event["title"],
                    "kind": event["kind"],
                    "description": event.get("description", ""),
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "place": event.get("place", ""),
                    "address": event.get("address", ""),
                    "region_id": region_id,
                    "organiser_id": self.organisation_id(organiser),
                    "project_id": projects[(network_id, project)].pk if project else None,
                    "working_group_id": groups[(network_id, group)].pk if group else None,
                    "website": event.get("website", ""),
                }
        sync(Event, ("network_id", "slug"), wanted, Event.objects.filter(network__in=network_ids))

    # courses

    def load_courses(self) -> None:
        specs = self.course_specs
        slugs = course_slugs(specs)
        first_contact = {}
        for (org_id, _), contact in self.contacts.items():
            first_contact.setdefault(org_id, contact)
        wanted, timestamps = {}, {}
        for spec in specs:
            provider = self.organisations.get(spec["provider"])
            if provider is None:
                raise DemoDataError(f"Kurs {spec['external_id']}: unbekannter Anbieter.")
            if "contact" in spec:
                contact = self.contacts.get((provider.pk, spec["contact"]))
                if contact is None:
                    raise DemoDataError(f"Kurs {spec['external_id']}: unbekannte Ansprechperson.")
            else:
                contact = first_contact.get(provider.pk)
            status = spec.get("status", Course.Status.PUBLISHED)
            checksum = zlib.crc32(spec["external_id"].encode())
            updated_days_ago = spec.get("updated_days_ago", checksum % 40 + 1)
            key = (provider.pk, spec["external_id"])
            timestamps[key] = morning_of(self.today - timedelta(days=updated_days_ago))
            published_at = None
            if status == Course.Status.PUBLISHED:
                published_at = morning_of(self.today - timedelta(days=updated_days_ago + 60))
            wanted[key] = {
                "title": spec["title"],
                "slug": slugs[spec["external_id"]],
                "kind": spec.get("kind", Course.Kind.COURSE),
                "summary": spec.get("summary", ""),
                "description": spec.get("description", ""),
                "objectives": spec.get("objectives", ""),
                "contents": spec.get("contents", ""),
                "prerequisites": spec.get("prerequisites", ""),
                "language": spec.get("language", Course.Language.GERMAN),
                "certificate_kind_id": self.one("certificates", spec.get("certificate")),
                "certificate_details": spec.get("certificate_details", ""),
                "hours": decimal(spec.get("hours")),
                "teaching_units": spec.get("teaching_units"),
                "price": decimal(spec.get("price")),
                "price_kind": spec.get("price_kind", Course.PriceKind.FIXED),
                "price_notes": spec.get("price_notes", ""),
                "easy_language": spec.get("easy_language", False),
                "childcare": spec.get("childcare", False),
                "contact_id": contact.pk if contact else None,
                "registration_url": spec.get("registration_url", provider.website),
                "registration_notes": spec.get("registration_notes", ""),
                "status": status,
                "created_at": morning_of(
                    self.today - timedelta(days=updated_days_ago + 90 + checksum % 60)
                ),
                "published_at": published_at,
                "demo": True,
            }
        existing = Course.objects.filter(external_id__in=[spec["external_id"] for spec in specs])
        changed: set[tuple] = set()
        found = sync(Course, ("provider_id", "external_id"), wanted, existing, changed)
        self.courses = {external_id: course for (_, external_id), course in found.items()}
        touched = {found[key].pk for key in changed}

        # "zuletzt aktualisiert" spread over the last weeks (auto_now set it to now).
        stale = []
        for key, course in found.items():
            if course.updated_at != timestamps[key]:
                course.updated_at = timestamps[key]
                stale.append(course)
        Course.objects.bulk_update(stale, ["updated_at"], batch_size=500)

        by_id = {spec["external_id"]: self.courses[spec["external_id"]].pk for spec in specs}
        for relation in ("subjects", "target_groups", "funding"):
            changed_ids = sync_m2m(
                Course,
                relation,
                {
                    by_id[spec["external_id"]]: self.vocabulary(relation, spec.get(relation, []))
                    for spec in specs
                },
            )
            if relation == "subjects":
                touched |= changed_ids
        touched |= sync_keywords(
            {by_id[spec["external_id"]]: spec.get("keywords", []) for spec in specs}
        )
        self.load_modules(specs, by_id)
        touched |= self.load_dates(specs, by_id)
        self.refresh_search(set(by_id.values()), touched)

    def refresh_search(self, course_ids: set[int], touched: set[int]) -> None:
        """Recompute the stored search vectors of the courses whose searchable text changed
        (their own fields, subjects, keywords, provider or places) and, if any did, the
        vocabulary for "did you mean"."""
        touched |= set(
            Course.objects.filter(
                Q(pk__in=course_ids)
                & (
                    Q(search_document__isnull=True)
                    | Q(provider__in=self.touched_organisations)
                    | Q(dates__venue__in=self.touched_venues)
                )
            ).values_list("pk", flat=True)
        )
        # The vocabulary first: compounds are split by it.
        if touched or not SearchWord.objects.exists():
            refresh_search_words()
        if touched:
            refresh_search_vectors(sorted(touched), words=False)

    def load_modules(self, specs: list[dict], by_id: dict[str, int]) -> None:
        wanted = {}
        for spec in specs:
            for position, module in enumerate(spec.get("modules", []), start=1):
                wanted[(by_id[spec["external_id"]], position)] = {
                    "title": module["title"],
                    "contents": module.get("contents", ""),
                    "teaching_units": module.get("teaching_units"),
                }
        existing = Module.objects.filter(course__in=list(by_id.values()))
        sync(Module, ("course_id", "position"), wanted, existing)
        extra = [m.pk for m in existing if (m.course_id, m.position) not in wanted]
        if extra:
            Module.objects.filter(pk__in=extra).delete()

    def load_dates(self, specs: list[dict], by_id: dict[str, int]) -> set[int]:
        """Create, move or delete the courses' dates; returns the ids of courses whose dates
        changed."""
        first_venue = {}
        for venue in self.venues.values():
            first_venue.setdefault(venue.organisation_id, venue)
        wanted = {}
        for spec in specs:
            provider_id = self.organisations[spec["provider"]].pk
            for date_spec in spec.get("dates", []):
                external_id = f"{spec['external_id']}-{date_spec['id']}"
                mode = date_spec.get("mode", CourseDate.Mode.IN_PERSON)
                if "venue" in date_spec:
                    venue = self.venues.get(date_spec["venue"])
                    if venue is None:
                        raise DemoDataError(f"Termin {external_id}: unbekannter Ort.")
                elif mode == CourseDate.Mode.ONLINE:
                    venue = None
                else:
                    venue = first_venue.get(provider_id)
                start, end, deadline = date_range(date_spec, self.today)
                start_time, end_time = date_spec.get("time", [None, None])
                wanted[(by_id[spec["external_id"]], external_id)] = {
                    "start_date": start,
                    "end_date": end,
                    "rolling_start": date_spec.get("rolling", False),
                    "weekdays": date_spec.get("weekdays", []),
                    "start_time": parse_time(start_time),
                    "end_time": parse_time(end_time),
                    "schedule_notes": date_spec.get("schedule_notes", ""),
                    "mode": mode,
                    "venue_id": venue.pk if venue else None,
                    "seats": date_spec.get("seats"),
                    "booking_status": date_spec.get("status", CourseDate.BookingStatus.OPEN),
                    "registration_deadline": deadline,
                    "price": decimal(date_spec.get("price")),
                }
        existing = CourseDate.objects.filter(course__in=list(by_id.values()))
        changed: set[tuple] = set()
        sync(CourseDate, ("course_id", "external_id"), wanted, existing, changed)
        extra = [d for d in existing if (d.course_id, d.external_id) not in wanted]
        if extra:
            CourseDate.objects.filter(pk__in=[d.pk for d in extra]).delete()
        return {course_id for course_id, _ in changed} | {d.course_id for d in extra}


def other_data() -> dict[str, int]:
    """What the database holds that neither the demo loader nor the synthetic benchmark data
    made (by their flags and recorded accounts, never by a name): organisations, networks,
    courses and user accounts, as label -> count. Empty for an empty database and for one with
    only demo and synthetic data: the demo may be loaded there. Reference data (regions,
    vocabularies) and information pages do not count."""
    rows = {
        "Organisationen": Organisation.objects.filter(demo=False, synthetic=False),
        "Netzwerke": Network.objects.filter(demo=False, synthetic=False),
        "Kurse": Course.objects.filter(demo=False, synthetic=False),
        "Benutzerkonten": get_user_model().objects.filter(generated_account__isnull=True),
    }
    return {label: found.count() for label, found in rows.items() if found.exists()}


def load_demo(*, today: date | None = None) -> dict[str, int]:
    """Create or update the demo data; returns counts for the summary. Call it inside a
    transaction (the command does)."""
    if not Region.objects.filter(key="DE").exists():
        raise DemoDataError(
            "Die Regionen fehlen. Bitte zuerst „manage.py load_reference“ ausführen."
        )
    counts = DemoLoader(today or timezone.localdate(), read_files()).run()
    counts["Informationsseiten"] = load_info_pages()
    # Bulk writes send no signals: every process is to reread networks, vocabularies and menus.
    generations.bump(reference=True)
    return counts


# --- information pages ----------------------------------------------------------------------

# The demo's imprint: the default's sections with example values, each marked as such. Lines
# end where the page should break them (the address); prose paragraphs are one line each.
DEMO_IMPRINT = "\n".join(
    [
        "Angaben gemäß § 5 Digitale-Dienste-Gesetz (DDG).",
        "",
        "**Dies ist eine Demonstrations-Installation des Bildungsatlas.** Die Netzwerke, "
        "Partner und Vorhaben stammen aus öffentlichen Berichten der Netzwerke; Adressen, "
        "Preise, Termine und die meisten Kurstexte sind erfunden.",
        "",
        "**Alle Angaben unten sind Beispiele.** Wer den Bildungsatlas betreibt, ersetzt sie "
        "durch die eigenen: in der Verwaltung unter Informationsseiten → Impressum.",
        "",
        "## Anbieter dieses Portals",
        "",
        "Netzwerkbüro Lernende Regionen (Beispiel)",
        "Musterstraße 1",
        "12345 Musterstadt",
        "",
        "## Vertreten durch",
        "",
        "Die Leitung des Netzwerkbüros (Beispiel)",
        "",
        "## Kontakt",
        "",
        "E-Mail: [kontakt@bildungsatlas.example](mailto:kontakt@bildungsatlas.example)",
        "",
        "## Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV",
        "",
        "Die Leitung des Netzwerkbüros (Beispiel), Anschrift wie oben",
        "",
        "## Hinweis zu den Angeboten",
        "",
        "Für die Inhalte der Kursangebote sind die jeweiligen Anbieter verantwortlich. Die "
        "Netzwerkkoordination prüft Angebote nach den Qualitätskriterien des Netzwerks.",
        "",
    ]
)
# Imprints shipped by earlier versions (default and demo, SHA-256): replaced like the default,
# since nobody has edited them.
SHIPPED_IMPRINTS = frozenset(
    {
        "c1506f631c7c9973e83a9fb554089ea8434f25ff480a0a481688703893880acd",
        "36c6ee418254086b12bba0ca053eb6eb9867ab570ade9ca720a1addb3c0c016c",
    }
)

DEMO_PAGES = [
    {
        "slug": "ueber-das-netzwerk",
        "title": "Über die Lernenden Regionen",
        "summary": "Was eine Lernende Region ist und wie die Netzwerke zusammenarbeiten.",
        "menu": "footer",
        "position": 10,
        "body": """Eine **Lernende Region** ist ein Netzwerk von Einrichtungen, die in einer Region
gemeinsam für Bildung sorgen: Volkshochschulen, Kammern, Hochschulen, Schulen, Bibliotheken,
Vereine, Arbeitsagentur und Jobcenter, Unternehmen und die Verwaltung.

## Wie die Netzwerke arbeiten

- Ein **Lead-Partner** führt das Netzwerk und hält die Fäden zusammen.
- **Verbundpartner** arbeiten in den Vorhaben mit, **strategische Partner** und
  **Kooperationspartner** unterstützen sie.
- In **Arbeitsgruppen** entstehen gemeinsame Vorhaben: Bildungsmessen, Beratungs-Hotlines,
  Leitfäden und Datenbanken wie diese.

## Mehr erfahren

Wer mitarbeitet, steht im [Partnerverzeichnis](/partner/); was die Netzwerke vorhaben, auf den
[Seiten der Netzwerke](/netzwerk/).
""",
    },
    {
        "slug": "weiterbildung-finanzieren",
        "title": "Weiterbildung finanzieren",
        "summary": "Bildungsgutschein, Bildungsurlaub, Aufstiegs-BAföG und weitere Förderungen.",
        "menu": "main",
        "position": 10,
        "body": """Viele Kurse müssen Sie nicht allein bezahlen. Diese Förderungen gibt es häufig:

## Bildungsgutschein

Die Agentur für Arbeit oder das Jobcenter übernimmt die Kosten einer Weiterbildung, wenn sie
nötig ist, um Arbeit zu finden oder zu behalten. Der Kurs muss nach **AZAV** zugelassen sein.
[Kurse mit Bildungsgutschein finden](/kurse/?funding=bildungsgutschein)

## Bildungsurlaub

In den meisten Ländern haben Beschäftigte Anspruch auf bezahlte Freistellung für anerkannte
Weiterbildung, meist fünf Tage im Jahr.

## Aufstiegs-BAföG

Für Meister-, Techniker- und Fachwirt-Fortbildungen: Zuschuss und günstiges Darlehen,
unabhängig vom Alter.

## Beratung

Welche Förderung zu Ihnen passt, klärt eine Weiterbildungsberatung – kostenlos und
unabhängig. Die Anbieter im [Anbieterverzeichnis](/anbieter/) helfen Ihnen weiter.
""",
    },
    {
        "slug": "beratung",
        "title": "Weiterbildungsberatung",
        "summary": "Wo Sie kostenlose und unabhängige Beratung zur Weiterbildung bekommen.",
        "menu": "footer",
        "position": 20,
        "body": """Sie wissen noch nicht, welcher Kurs der richtige ist? Eine Beratung hilft:

1. Sie erzählen, was Sie können und was Sie vorhaben.
2. Gemeinsam suchen Sie passende Kurse und Förderungen.
3. Sie bekommen eine Liste, die Sie mitnehmen können.

Beratung bieten die Volkshochschulen, die Kammern, die Agentur für Arbeit und viele Partner
der Netzwerke. Suchen Sie in der [Kurssuche](/kurse/?kind=counselling) nach
Beratungsangeboten in Ihrer Nähe.
""",
    },
]


def load_info_pages() -> int:
    """Create the demo's information pages that are missing, and put the demo's imprint in
    place of the shipped default (never over a text someone has edited). Returns the number of
    pages created or changed."""

    changed = create_missing(InfoPage)
    existing = set(InfoPage.objects.values_list("slug", flat=True))
    missing = [InfoPage(**spec) for spec in DEMO_PAGES if spec["slug"] not in existing]
    for page in missing:
        page.render_markup()
        validate(page)
    InfoPage.objects.bulk_create(missing)
    changed += len(missing)
    imprint = InfoPage.objects.filter(purpose=InfoPage.Purpose.IMPRINT).only("body").first()
    shipped = imprint is not None and (
        imprint.body == DEFAULT_PAGES["imprint"]["body"]
        or hashlib.sha256(imprint.body.encode()).hexdigest() in SHIPPED_IMPRINTS
    )
    if shipped:
        imprint.body = DEMO_IMPRINT
        imprint.render_markup()
        changed += InfoPage.objects.filter(pk=imprint.pk).update(
            body=imprint.body, body_html=imprint.body_html, updated_at=timezone.now()
        )
    if missing:
        generations.bump(reference=True)  # bulk_create sends no signals: new menus
    return changed


# --- demo accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create_superuser() -> list[Account]:
    """The ``admin`` superuser, with a fresh random password every time."""
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"email": "admin@bildungsatlas.example"}
    )
    password = new_password()
    user.is_active = user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    _record(user)
    return [Account("admin", password, "Superuser")]


def _record(user) -> None:
    """Note the account as the demo's (``other_data`` does not count it)."""
    GeneratedAccount.objects.get_or_create(
        user=user, defaults={"source": GeneratedAccount.Source.DEMO}
    )


def _demo_user(username: str, *, email_domain: str = "bildungsatlas.example"):
    """A fresh password for a demo user that holds only the roles given afterwards."""

    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@{email_domain}"}
    )
    password = new_password()
    user.is_active = True
    user.is_superuser = False
    user.set_password(password)
    user.save()
    _record(user)
    RoleAssignment.objects.filter(user=user).delete()
    return user, password


# A starting checklist for the demo networks that review offers (coordinators edit it).
DEMO_QUALITY_CRITERIA = [
    "Der Anbieter ist Partner des Netzwerks.",
    "Titel und Beschreibung sind verständlich, sachlich und ohne Werbesprache.",
    "Termine, Ort und Preis (oder Förderung) sind angegeben.",
    "Ansprechperson und Anmeldeweg sind genannt.",
]


def create_coordinators() -> list[Account]:
    """``koordination-<network>``: the coordinator of each demo network (and a checklist for
    the networks that review offers, where none exists yet)."""

    accounts = []
    for spec in read_files():
        network = Network.objects.filter(slug=spec.get("network", {}).get("slug")).first()
        if network is None:
            continue
        if network.reviews_offers and not network.quality_criteria.exists():
            QualityCriterion.objects.bulk_create(
                QualityCriterion(network=network, title=title, position=position)
                for position, title in enumerate(DEMO_QUALITY_CRITERIA, start=1)
            )
        user, password = _demo_user(f"koordination-{network.slug}"[:150])
        assign_role(user=user, kind=RoleAssignment.Kind.COORDINATOR, network=network)
        accounts.append(Account(user.username, password, f"Netzwerkkoordination: {network.name}"))
    return accounts


STAFF_PER_NETWORK = 2


def create_provider_staff() -> list[Account]:
    """``redaktion-<provider>``: staff of the first providers (with courses) of each network."""

    accounts, done = [], set()
    for spec in read_files():
        network = Network.objects.filter(slug=spec.get("network", {}).get("slug")).first()
        if network is None:
            continue
        providers = (
            Organisation.objects.filter(memberships__network=network, courses__isnull=False)
            .exclude(pk__in=done)
            .distinct()
            .order_by("name")[:STAFF_PER_NETWORK]
        )
        for provider in providers:
            done.add(provider.pk)
            user, password = _demo_user(f"redaktion-{provider.slug}"[:150])
            assign_role(user=user, kind=RoleAssignment.Kind.PROVIDER_STAFF, organisation=provider)
            role = f"Anbieter-Redaktion: {provider.name} (Netzwerk {network})"
            accounts.append(Account(user.username, password, role))
    return accounts


# One function per role, each returning the accounts it created or reset.
ACCOUNT_FACTORIES = [create_superuser, create_coordinators, create_provider_staff]


def create_accounts() -> list[Account]:
    return [account for factory in ACCOUNT_FACTORIES for account in factory()]
