from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import choices
from core.text import folded
from network.models.common import AccessibilityFields, AddressFields, OriginFields
from network.models.networks import Membership
from network.models.regions import PostalCode


class OrganisationQuerySet(models.QuerySet):
    def public(self):
        """Organisations with a public page: providers (their courses are public) and the
        public members of some network."""
        public_member = Membership.objects.public().filter(organisation=OuterRef("pk"))
        return self.filter(Q(is_provider=True) | Q(Exists(public_member)))

    def public_members_of(self, network):
        """Organisations with a public membership in ``network`` (a network, its id or an
        expression such as ``OuterRef("network")``): only these are shown or counted as
        members of the network, of its working groups and of its projects, providers or not."""
        membership = Membership.objects.public().filter(
            organisation=OuterRef("pk"), network=network
        )
        return self.filter(Exists(membership))


class Organisation(AddressFields, AccessibilityFields, OriginFields):
    """Any institution in or around a network; one that offers courses is a provider."""

    class Kind(models.TextChoices):
        ADULT_EDUCATION_CENTRE = "vhs", _("Volkshochschule")
        CHAMBER = "chamber", _("Kammer")
        UNIVERSITY = "university", _("Hochschule")
        SCHOOL = "school", _("Schule")
        LIBRARY = "library", _("Bibliothek")
        MUSEUM = "museum", _("Museum")
        PRIVATE_PROVIDER = "private_provider", _("privater Bildungsträger")
        NON_PROFIT_PROVIDER = "non_profit_provider", _("gemeinnütziger Bildungsträger")
        ASSOCIATION = "association", _("Verein, Verband oder NGO")
        CHURCH = "church", _("kirchliche Einrichtung")
        ADMINISTRATION = "administration", _("öffentliche Verwaltung")
        EMPLOYMENT_AGENCY = "employment_agency", _("Arbeitsagentur / Jobcenter")
        SOCIAL_PARTNER = "social_partner", _("Sozialpartner")
        COMPANY = "company", _("Unternehmen")
        REGIONAL_DEVELOPMENT = "regional_development", _("Regionalentwicklung")
        MEDIA = "media", _("Medien")
        OTHER = "other", _("Sonstige")

    name = models.CharField(_("Name"), max_length=250)
    short_name = models.CharField(_("Kurzname"), max_length=80, blank=True)
    slug = models.SlugField(_("Kurzadresse"), max_length=120, unique=True)
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("Beschreibung"), blank=True)
    core_competencies = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("Kernkompetenzen"),
        blank=True,
        default=list,
        help_text=_("Durch Kommas getrennt."),
    )
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    website = models.URLField(_("Website"), blank=True)
    is_provider = models.BooleanField(
        _("Bildungsanbieter"),
        default=False,
        help_text=_("Bietet selbst Kurse an und erscheint in der Anbietersuche."),
    )
    certifications = models.ManyToManyField(
        "network.Certification",
        through="network.OrganisationCertification",
        verbose_name=_("Zertifizierungen"),
        blank=True,
        related_name="organisations",
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)
    # The provider search's document, kept by the database (``atlas_provider_document``,
    # migration network.0004: name, short name and city A, core competencies B, description
    # D): matching and ranking read it instead of computing every provider's vector.
    search_document = models.GeneratedField(
        expression=Func(
            F("name"),
            F("short_name"),
            F("city"),
            F("core_competencies"),
            F("description"),
            function="atlas_provider_document",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Organisation")
        verbose_name_plural = _("Organisationen")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["is_provider", "name"], name="org_provider_name_idx"),
            GinIndex(
                fields=["search_document"],
                condition=Q(is_provider=True),
                name="org_search_document_idx",
            ),
            # The provider search's order by name (folded: "Ärztekammer" among the A): read
            # along this index, a page of 20,000 providers needs no sort (120 ms → 1 ms).
            models.Index(
                folded("name"),
                F("id"),
                condition=Q(is_provider=True),
                name="org_provider_folded_name_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("measures:provider_detail", kwargs={"slug": self.slug})

    def get_kind_display(self) -> str:
        return choices.label(self.Kind, self.kind)


class Contact(models.Model):
    """A person to contact at an organisation."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("Name"), max_length=200)
    role = models.CharField(_("Funktion"), max_length=200, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("Ansprechperson")
        verbose_name_plural = _("Ansprechpersonen")
        ordering = ["organisation__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.organisation})"


class Venue(AddressFields, AccessibilityFields):
    """A place where an organisation holds its courses."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="venues",
    )
    name = models.CharField(_("Bezeichnung"), max_length=200)
    room_notes = models.CharField(_("Raum, Anfahrt"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Veranstaltungsort")
        verbose_name_plural = _("Veranstaltungsorte")
        ordering = ["organisation__name", "name"]

    def __str__(self):
        return f"{self.name}, {self.city}" if self.city else self.name

    def clean(self):
        """A venue has its place on the map, or the place search cannot find its courses:
        taken from a German postal code where none is given, asked for elsewhere."""
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(
                {"longitude": _("Bitte Breiten- und Längengrad zusammen angeben (oder keinen).")}
            )
        if self.latitude is not None:
            return
        found = PostalCode.objects.locate(self.postal_code, self.city)
        if found is None:
            if self._address_unchanged():
                return  # an older venue saved without its place: the dashboard lists it
            raise ValidationError({"latitude": COORDINATES_NEEDED})
        self.latitude, self.longitude = found.latitude, found.longitude
        if self.region_id is None:
            self.region_id = found.district_id

    def _address_unchanged(self) -> bool:
        if self.pk is None:
            return False
        stored = Venue.objects.filter(pk=self.pk).values("postal_code", "city").first()
        return stored == {"postal_code": self.postal_code, "city": self.city}


COORDINATES_NEEDED = _(
    "Zu dieser Postleitzahl kennt der Bildungsatlas keine Lage (er kennt die deutschen "
    "Postleitzahlen). Bitte geben Sie Breiten- und Längengrad an, z. B. 47.8095 und 13.0550 – "
    "in OpenStreetMap zeigt ein Rechtsklick auf den Ort „Adresse anzeigen“ beide an. Ohne sie "
    "finden Lernende die Kurse dieses Orts in der Umkreissuche nicht."
)


class Certification(models.Model):
    """A quality certification (AZAV, ISO 9001, LQW, a regional seal …)."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzadresse"), max_length=80, unique=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    website = models.URLField(_("Website"), blank=True)

    class Meta:
        verbose_name = _("Zertifizierung")
        verbose_name_plural = _("Zertifizierungen")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OrganisationCertificationQuerySet(models.QuerySet):
    def valid_on(self, day=None):
        day = day or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class OrganisationCertification(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="certificates",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("Zertifizierung"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    certificate_number = models.CharField(_("Zertifikatsnummer"), max_length=100, blank=True)

    objects = OrganisationCertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zertifikat")
        verbose_name_plural = _("Zertifikate")
        ordering = ["certification__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="orgcert_valid_until_after_from",
                violation_error_message=_("„Gültig bis“ darf nicht vor „gültig ab“ liegen."),
            ),
            models.UniqueConstraint(
                fields=["organisation", "certification", "valid_from"],
                name="orgcert_unique_per_start",
                nulls_distinct=False,
                violation_error_message=_(
                    "Diese Zertifizierung mit diesem Beginn ist bereits eingetragen."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.certification} – {self.organisation}"

    def is_valid_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or self.valid_until >= day
        )
