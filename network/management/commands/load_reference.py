"""Load the reference data: Germany, its states, government regions and districts (with
simplified boundaries and centre points) and the postal codes.

The data comes from ``settings.FIXTURES_DIR / "geo"``, built by ``fixtures/geo/build.py`` (see
the README there for sources and licences). The command is idempotent: rows are matched by their
natural key (a region's official key; a postal code's code, place and coordinates), created when
missing and updated when different; when nothing differs nothing is written, so primary keys
stay as they are. Postal-code rows that are no longer in the fixture are deleted; regions are
never deleted (other data points at them). Everything happens in one transaction.

At the end it runs ``load_vocabularies`` (the measures app) when that command exists.
"""

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core import generations
from network.models import PostalCode, Region

COUNTRY = "DE"
REGION_FIELDS = [
    "name",
    "kind",
    "official_kind",
    "country",
    "parent_id",
    "latitude",
    "longitude",
    "boundary",
]
# The levels in the order they are loaded (parents first): fixture file and kind.
LEVELS = [
    ("country.geojson", Region.Kind.COUNTRY),
    ("states.geojson", Region.Kind.STATE),
    ("government_regions.geojson", Region.Kind.GOVERNMENT_REGION),
    ("districts.geojson", Region.Kind.DISTRICT),
]


@dataclass
class Changes:
    total: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self):
        parts = [f"{self.created} neu", f"{self.updated} geändert"]
        if self.deleted:
            parts.append(f"{self.deleted} gelöscht")
        return f"{self.total} ({', '.join(parts)})"


class Command(BaseCommand):
    help = (
        "Load Germany's states, government regions, districts and postal codes from "
        "fixtures/geo/ (idempotent), then the vocabularies."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        started = time.monotonic()
        directory = Path(settings.FIXTURES_DIR) / "geo"
        with transaction.atomic():
            region_ids, regions = load_regions(directory)
            postal_codes, without_district = load_postal_codes(directory, region_ids)
            # Bulk writes send no signals: every process is to reread the regions.
            generations.bump(reference=True)
        if verbosity >= 1:
            self.stdout.write(
                f"Referenzdaten geladen: Regionen {regions}, Postleitzahlen {postal_codes}, "
                f"davon {without_district} ohne Kreis ({time.monotonic() - started:.1f} s)."
            )

        if "load_vocabularies" in get_commands():
            call_command("load_vocabularies", verbosity=verbosity)
        elif verbosity >= 1:
            self.stdout.write("Kein Befehl load_vocabularies: Vokabulare nicht geladen.")


def _read_features(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(f"{path} ist nicht lesbar: {error}") from error


def _parent_key(key: str, kind: str, known: dict) -> str | None:
    """The key of a region's parent: a district's government region if there is one."""
    if kind == Region.Kind.COUNTRY:
        return None
    if kind == Region.Kind.STATE:
        return COUNTRY
    if kind == Region.Kind.DISTRICT and key[:3] in known:
        return key[:3]
    if key[:2] not in known:
        raise CommandError(f"Region {key}: ihr Land {key[:2]} fehlt in den Daten.")
    return key[:2]


def load_regions(directory: Path) -> tuple[dict[str, int], Changes]:
    """Create or update the regions, level by level; returns their ids by key and the changes."""
    region_ids: dict[str, int] = {}
    changes = Changes()
    for filename, kind in LEVELS:
        rows = []
        for feature in _read_features(directory / filename):
            props = feature["properties"]
            parent_key = _parent_key(props["ARS"], kind, region_ids)
            rows.append(
                {
                    "key": props["ARS"],
                    "name": props["GEN"],
                    "kind": kind,
                    "official_kind": props["BEZ"],
                    "country": COUNTRY,
                    "parent_id": region_ids[parent_key] if parent_key else None,
                    "latitude": props["centre_lat"],
                    "longitude": props["centre_lon"],
                    "boundary": feature["geometry"],
                }
            )
        region_ids.update(_sync_regions(rows, changes))
    return region_ids, changes


def _sync_regions(rows: list[dict], changes: Changes) -> dict[str, int]:
    existing = Region.objects.in_bulk([row["key"] for row in rows], field_name="key")
    to_create, to_update = [], []
    for row in rows:
        region = existing.get(row["key"])
        if region is None:
            to_create.append(Region(**row))
        elif any(getattr(region, field) != row[field] for field in REGION_FIELDS):
            for field in REGION_FIELDS:
                setattr(region, field, row[field])
            to_update.append(region)
    Region.objects.bulk_create(to_create)
    Region.objects.bulk_update(
        to_update, [field.removesuffix("_id") for field in REGION_FIELDS], batch_size=200
    )
    changes.total += len(rows)
    changes.created += len(to_create)
    changes.updated += len(to_update)
    return {region.key: region.pk for region in [*existing.values(), *to_create]}


def load_postal_codes(directory: Path, region_ids: dict[str, int]) -> tuple[Changes, int]:
    """Make the postal codes match the fixture; returns the changes and the rows without a
    known district (codes used across the border, such as 87491 Jungholz in Tyrol)."""
    path = directory / "postal_codes.csv"
    wanted: dict[tuple, int | None] = {}
    try:
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                key = (row["code"], row["place"], float(row["latitude"]), float(row["longitude"]))
                wanted[key] = region_ids.get(row["district"]) if row["district"] else None
    except (OSError, KeyError, ValueError) as error:
        raise CommandError(f"{path} ist nicht lesbar: {error}") from error

    existing = {
        (code, place, latitude, longitude): (pk, district_id)
        for pk, code, place, latitude, longitude, district_id in PostalCode.objects.values_list(
            "pk", "code", "place", "latitude", "longitude", "district_id"
        )
    }
    to_create = [(*key, district_id) for key, district_id in wanted.items() if key not in existing]
    to_update = [
        PostalCode(pk=existing[key][0], district_id=district_id)
        for key, district_id in wanted.items()
        if key in existing and existing[key][1] != district_id
    ]
    to_delete = [pk for key, (pk, _) in existing.items() if key not in wanted]
    _copy_postal_codes(to_create)
    PostalCode.objects.bulk_update(to_update, ["district"], batch_size=1000)
    if to_delete:
        PostalCode.objects.filter(pk__in=to_delete).delete()
    changes = Changes(
        total=len(wanted), created=len(to_create), updated=len(to_update), deleted=len(to_delete)
    )
    return changes, sum(1 for district_id in wanted.values() if district_id is None)


def _copy_postal_codes(rows: list[tuple]) -> None:
    """Insert (code, place, latitude, longitude, district id) rows with PostgreSQL's COPY, many
    times faster than bulk_create for a whole country's postal codes."""
    if not rows:
        return
    meta = PostalCode._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in ("code", "place", "latitude", "longitude", "district")
    )
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
