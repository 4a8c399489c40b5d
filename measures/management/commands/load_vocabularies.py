"""Seed the course vocabularies and the quality certifications.

Idempotent: rows are keyed by slug and updated in place, so running the command again changes
nothing. Educational leave is tied to its state, so the German states must be loaded first
(``load_reference`` does that and then calls this command).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from core import generations
from measures import reference_data as data
from measures.models import CertificateKind, FundingType, Subject, Synonym, TargetGroup
from measures.search import words
from measures.thesaurus import THESAURUS
from network.models import Certification, Region


def seed_subjects() -> int:
    count = 0
    for position, (slug, name, children) in enumerate(data.SUBJECTS, start=1):
        parent, _ = Subject.objects.update_or_create(
            slug=slug, defaults={"name": name, "parent": None, "position": position * 10}
        )
        count += 1
        for child_position, (child_slug, child_name) in enumerate(children, start=1):
            Subject.objects.update_or_create(
                slug=child_slug,
                defaults={"name": child_name, "parent": parent, "position": child_position * 10},
            )
            count += 1
    return count


def seed_simple(model, rows) -> int:
    for position, (slug, name, description) in enumerate(rows, start=1):
        model.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "position": position * 10},
        )
    return len(rows)


def seed_funding_types() -> int:
    states = {region.key: region for region in Region.objects.states().filter(country="DE")}
    needed = set(data.EDUCATIONAL_LEAVE) | {
        state for *_, state, _, _ in data.FUNDING_TYPES if state
    }
    missing = sorted(needed - set(states))
    if missing:
        raise CommandError(
            "Die Bundesländer fehlen (Schlüssel "
            + ", ".join(missing)
            + "). Bitte zuerst „manage.py load_reference“ ausführen."
        )
    position = 0
    for slug, name, kind, state_key, description, website in data.FUNDING_TYPES:
        position += 10
        FundingType.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "state": states[state_key] if state_key else None,
                "description": description,
                "website": website,
                "position": position,
            },
        )
    for state_key, (name, law) in sorted(data.EDUCATIONAL_LEAVE.items()):
        position += 10
        FundingType.objects.update_or_create(
            slug=slugify(name),
            defaults={
                "name": name,
                "kind": FundingType.Kind.EDUCATIONAL_LEAVE,
                "state": states[state_key],
                "description": f"Freistellung von der Arbeit für anerkannte Veranstaltungen "
                f"nach dem {law}.",
                "website": "",
                "position": position,
            },
        )
    return len(data.FUNDING_TYPES) + len(data.EDUCATIONAL_LEAVE)


def seed_certifications() -> int:
    for slug, name, description, website in data.CERTIFICATIONS:
        Certification.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "website": website}
        )
    return len(data.CERTIFICATIONS)


@transaction.atomic
def seed_thesaurus() -> int:
    """Create the shipped thesaurus entries whose term is not in the table yet (compared
    folded); never changes or removes a row. Returns how many were created."""
    present = {" ".join(words(term)) for term in Synonym.objects.values_list("term", flat=True)}
    new = [
        Synonym(term=term, alternatives=alternatives, two_way=two_way, shipped=True)
        for term, alternatives, two_way in THESAURUS
        if " ".join(words(term)) not in present
    ]
    Synonym.objects.bulk_create(new)
    if new:
        generations.bump(reference=True)
    return len(new)


def seed_vocabularies() -> dict[str, int]:
    """Create or update every vocabulary row; returns the number of rows per vocabulary."""
    return {
        "Fachgebiete": seed_subjects(),
        "Zielgruppen": seed_simple(TargetGroup, data.TARGET_GROUPS),
        "Förderarten": seed_funding_types(),
        "Abschlussarten": seed_simple(CertificateKind, data.CERTIFICATE_KINDS),
        "Zertifizierungen": seed_certifications(),
        "neue Synonyme": seed_thesaurus(),
    }


class Command(BaseCommand):
    help = "Legt die Fachgebiete, Zielgruppen, Förderarten, Abschlussarten und Zertifizierungen an."

    def handle(self, *args, **options):
        counts = seed_vocabularies()
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(f"Vokabulare geladen: {summary}.")
