from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RegionQuerySet(models.QuerySet):
    def within(self, region: "Region") -> "RegionQuerySet":
        """The region itself and every region below it."""
        return self.filter(region.contains_q())

    def states(self) -> "RegionQuerySet":
        return self.filter(kind=Region.Kind.STATE)

    def districts(self) -> "RegionQuerySet":
        return self.filter(kind=Region.Kind.DISTRICT)

    def searchable(self) -> "RegionQuerySet":
        """The levels the searches filter by."""
        return self.filter(kind__in=Region.SEARCHABLE_KINDS)


class Region(models.Model):
    """An official administrative area, keyed by its official key (Germany: the ARS).

    The key is hierarchical: a district's key starts with its state's key, so a region's
    descendants are the regions of the same country whose key starts with its own. A country's
    key is its ISO code.
    """

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Staat")
        STATE = "state", _("Bundesland")
        GOVERNMENT_REGION = "government_region", _("Regierungsbezirk")
        DISTRICT = "district", _("Kreis / kreisfreie Stadt")
        MUNICIPALITY = "municipality", _("Gemeinde")

    # The levels the searches filter by: a country (all of it, also one without finer regions
    # in the data), a state, a government region, a district.
    SEARCHABLE_KINDS = (Kind.COUNTRY, Kind.STATE, Kind.GOVERNMENT_REGION, Kind.DISTRICT)

    key = models.CharField(_("amtlicher Schlüssel"), max_length=12, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Ebene"), max_length=20, choices=Kind.choices)
    official_kind = models.CharField(
        _("Bezeichnung"),
        max_length=100,
        blank=True,
        help_text=_("Die amtliche Bezeichnung, z. B. „Landkreis“ oder „Kreisfreie Stadt“."),
    )
    country = models.CharField(_("Staat (ISO-Code)"), max_length=2, default="DE")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("übergeordnete Region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    latitude = models.FloatField(_("Breitengrad (Mitte)"), null=True, blank=True)
    longitude = models.FloatField(_("Längengrad (Mitte)"), null=True, blank=True)
    boundary = models.JSONField(
        _("Grenze (GeoJSON, vereinfacht)"), null=True, blank=True, editable=False
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Region")
        verbose_name_plural = _("Regionen")
        ordering = ["key"]
        indexes = [
            models.Index(
                fields=["key"], name="region_key_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "name"], name="region_kind_name_idx"),
        ]

    def __str__(self):
        if self.official_kind and self.kind == self.Kind.DISTRICT:
            return f"{self.name} ({self.official_kind})"
        return self.name

    def get_absolute_url(self):
        return reverse("measures:region_detail", kwargs={"key": self.key})

    # Which regions lie within a region: the one rule, in Python and as a query condition.
    # A country holds every region of its country; any other region those of its country
    # whose key starts with its own (a state "07" holds the district "07339").

    def contains(self, key: str | None, country: str | None) -> bool:
        """Whether the region with this key and country is this one or lies within it."""
        if key is None or country != self.country:
            return False
        return self.kind == self.Kind.COUNTRY or key.startswith(self.key)

    def contains_q(self, path: str = "") -> Q:
        """The same as a condition on the region at ``path`` (a foreign key to Region, such
        as ``"venue__region"``; empty: on Region itself)."""
        prefix = f"{path}__" if path else ""
        condition = Q(**{f"{prefix}country": self.country})
        if self.kind != self.Kind.COUNTRY:
            condition &= Q(**{f"{prefix}key__startswith": self.key})
        return condition

    def ancestors(self) -> list["Region"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class PostalCodeQuerySet(models.QuerySet):
    def locate(self, code: str, place: str = ""):
        """Where an address with this German postal code (or, without one, this place name)
        lies: the mean centre of the code's places (of those named ``place``, where the code
        has several and one matches), with the district of the first. None when unknown."""
        code, place = (code or "").strip(), (place or "").strip()
        columns = ("place", "latitude", "longitude", "district_id")
        if code:
            rows = list(self.filter(code=code).values_list(*columns))
            named = [row for row in rows if row[0].casefold() == place.casefold()]
            rows = named or rows
        elif place:
            rows = list(self.filter(place__iexact=place).values_list(*columns))
        else:
            rows = []
        if not rows:
            return None
        return Location(
            latitude=sum(row[1] for row in rows) / len(rows),
            longitude=sum(row[2] for row in rows) / len(rows),
            district_id=rows[0][3],
        )


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    district_id: int | None


# The levels a region facet offers (see facet_options).
FACET_KINDS = (Region.Kind.COUNTRY, Region.Kind.STATE, Region.Kind.DISTRICT)


def facet_options(regions, chosen: Region | None = None) -> list[Region]:
    """The options of a region facet among ``regions``: every state, and every country without
    states (Austria in the reference data); with a region below a country chosen, the
    districts of its state."""
    regions = list(regions)
    states = [region for region in regions if region.kind == Region.Kind.STATE]
    if chosen is None or chosen.kind == Region.Kind.COUNTRY:
        alone = [
            region
            for region in regions
            if region.kind == Region.Kind.COUNTRY
            and not any(region.contains(state.key, state.country) for state in states)
        ]
        return states + alone
    area = next((state for state in states if state.contains(chosen.key, chosen.country)), chosen)
    return [
        region
        for region in regions
        if region.kind == Region.Kind.DISTRICT and area.contains(region.key, region.country)
    ]


def facet_option_of(options: list[Region], key: str | None, country: str | None):
    """The option holding the region with this key and country (None: none does)."""
    return next((option for option in options if option.contains(key, country)), None)


class PostalCode(models.Model):
    """A German postal code with its place and centre. A code can appear several times."""

    code = models.CharField(_("Postleitzahl"), max_length=5, db_index=True)
    place = models.CharField(_("Ort"), max_length=200)
    district = models.ForeignKey(
        Region,
        verbose_name=_("Kreis"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postal_codes",
    )
    latitude = models.FloatField(_("Breitengrad"))
    longitude = models.FloatField(_("Längengrad"))

    objects = PostalCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("Postleitzahl")
        verbose_name_plural = _("Postleitzahlen")
        ordering = ["code", "place"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "place", "latitude", "longitude"], name="postalcode_unique_row"
            ),
        ]
        indexes = [models.Index(fields=["place"], name="postalcode_place_idx")]

    def __str__(self):
        return f"{self.code} {self.place}"
