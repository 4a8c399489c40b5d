from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from network.models.common import OriginFields


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Course.Status.PUBLISHED)

    def current(self, day=None):
        """Courses with a current or future date that is not cancelled, or a rolling start.

        ``current_until`` is kept by the database (trigger ``coursedate_current_until``) as the
        last day any of the course's dates is current, so this is one indexed comparison.
        """
        return self.filter(current_until__gte=day or timezone.localdate())

    def out_of_date(self, day=None):
        day = day or timezone.localdate()
        return self.filter(Q(current_until__isnull=True) | Q(current_until__lt=day))

    def public(self, day=None):
        return self.published().current(day)


class Course(OriginFields):
    """A course offer (Bildungsangebot, Maßnahme) of one provider."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Kurs")
        SEMINAR = "seminar", _("Seminar / Workshop")
        RETRAINING = "retraining", _("Umschulung / Nachqualifizierung")
        STUDY = "study", _("Studiengang")
        COUNSELLING = "counselling", _("Beratung")
        EVENT = "event", _("Veranstaltung")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        SUBMITTED = "submitted", _("eingereicht")
        PUBLISHED = "published", _("veröffentlicht")
        RETURNED = "returned", _("zurückgegeben")
        ARCHIVED = "archived", _("archiviert")

    class PriceKind(models.TextChoices):
        FIXED = "fixed", _("Festpreis")
        FREE = "free", _("kostenfrei")
        REDUCED = "reduced", _("ermäßigt möglich")
        ON_REQUEST = "on_request", _("auf Anfrage")

    class Language(models.TextChoices):
        GERMAN = "de", _("Deutsch")
        ENGLISH = "en", _("Englisch")
        EASY_GERMAN = "de-easy", _("Deutsch in Leichter Sprache")
        ARABIC = "ar", _("Arabisch")
        TURKISH = "tr", _("Türkisch")
        RUSSIAN = "ru", _("Russisch")
        UKRAINIAN = "uk", _("Ukrainisch")
        POLISH = "pl", _("Polnisch")
        FRENCH = "fr", _("Französisch")
        SPANISH = "es", _("Spanisch")
        MULTILINGUAL = "mul", _("mehrsprachig")

    provider = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Anbieter"),
        on_delete=models.PROTECT,
        related_name="courses",
    )
    title = models.CharField(_("Titel"), max_length=250)
    slug = models.SlugField(_("Kurzadresse"), max_length=150, unique=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.COURSE)
    summary = models.TextField(_("Kurzbeschreibung"), max_length=600, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    objectives = models.TextField(_("Lernziele"), blank=True)
    contents = models.TextField(_("Inhalte"), blank=True)
    prerequisites = models.TextField(_("Voraussetzungen"), blank=True)
    subjects = models.ManyToManyField(
        "measures.Subject", verbose_name=_("Fachgebiete"), blank=True, related_name="courses"
    )
    keywords = TaggableManager(
        verbose_name=_("Schlagwörter"), blank=True, help_text=_("Durch Kommas getrennt.")
    )
    target_groups = models.ManyToManyField(
        "measures.TargetGroup", verbose_name=_("Zielgruppen"), blank=True, related_name="courses"
    )
    language = models.CharField(
        _("Unterrichtssprache"), max_length=10, choices=Language.choices, default=Language.GERMAN
    )
    certificate_kind = models.ForeignKey(
        "measures.CertificateKind",
        verbose_name=_("Abschluss"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
    )
    certificate_details = models.CharField(
        _("Abschluss (Einzelheiten)"), max_length=300, blank=True
    )
    funding = models.ManyToManyField(
        "measures.FundingType", verbose_name=_("Förderung"), blank=True, related_name="courses"
    )
    hours = models.DecimalField(
        _("Zeitstunden"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    teaching_units = models.PositiveIntegerField(
        _("Unterrichtseinheiten (UE à 45 Minuten)"), null=True, blank=True
    )
    price = models.DecimalField(
        _("Preis in Euro"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    price_kind = models.CharField(
        _("Preisangabe"), max_length=20, choices=PriceKind.choices, default=PriceKind.FIXED
    )
    price_notes = models.CharField(_("Hinweise zum Preis"), max_length=300, blank=True)
    easy_language = models.BooleanField(_("Beschreibung in Leichter Sprache"), default=False)
    childcare = models.BooleanField(_("Kinderbetreuung möglich"), default=False)
    contact = models.ForeignKey(
        "network.Contact",
        verbose_name=_("Ansprechperson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    registration_url = models.URLField(_("Anmeldung (Link)"), blank=True)
    registration_notes = models.CharField(_("Hinweise zur Anmeldung"), max_length=300, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    external_id = models.CharField(
        _("externe Kennung"),
        max_length=100,
        blank=True,
        help_text=_("Die Kennung im System des Anbieters, für Importe."),
    )
    # A published course changed where a network reviews offers: the new version waits here,
    # as a course of its own that is never public, while the published one stays live.
    revision_of = models.ForeignKey(
        "self",
        verbose_name=_("neue Fassung von"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    created_at = models.DateTimeField(_("angelegt"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("zuletzt aktualisiert"), auto_now=True)
    last_confirmed_at = models.DateTimeField(_("zuletzt bestätigt"), null=True, blank=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)
    current_until = models.DateField(
        _("aktuell bis"),
        null=True,
        editable=False,
        help_text=_(
            "Der letzte Tag, an dem ein Termin läuft oder beginnt (ohne abgesagte); "
            "bei Einstieg jederzeit unbegrenzt. Von der Datenbank gepflegt."
        ),
    )

    # The search's summary of the course, kept by the database (migrations 0006, 0011): the
    # linked vocabularies as id arrays (the search index reads them without joining the link
    # tables) and the next start of the dates current on the day of the summary (the date
    # order). ``summary_valid_until`` is the last day on which that summary holds (the first
    # current date then ends); ``measures.search.refresh_stale_summaries`` renews older ones
    # daily (``manage.py daily_jobs``).
    facet_subjects = ArrayField(models.BigIntegerField(), default=list, editable=False)
    facet_funding = ArrayField(models.BigIntegerField(), default=list, editable=False)
    facet_target_groups = ArrayField(models.BigIntegerField(), default=list, editable=False)
    summary_next_start = models.DateField(null=True, editable=False)
    summary_valid_until = models.DateField(null=True, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("Kurs")
        verbose_name_plural = _("Kurse")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="course_price_not_negative",
                violation_error_message=_("Der Preis darf nicht negativ sein."),
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0),
                name="course_hours_not_negative",
                violation_error_message=_("Die Stunden dürfen nicht negativ sein."),
            ),
            models.CheckConstraint(
                condition=~Q(price_kind="free") | Q(price__isnull=True) | Q(price=0),
                name="course_free_has_no_price",
                violation_error_message=_("Ein kostenfreies Angebot hat keinen Preis."),
            ),
            models.UniqueConstraint(
                fields=["revision_of"],
                name="course_one_revision",
                violation_error_message=_("Für dieses Angebot wartet schon eine neue Fassung."),
            ),
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="course_external_id_unique_per_provider",
                violation_error_message=_(
                    "Diese externe Kennung ist bei diesem Anbieter schon vergeben."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "status"], name="course_provider_status_idx"),
            models.Index(
                fields=["current_until"],
                condition=Q(status="published"),
                name="course_public_current_idx",
            ),
            models.Index(
                F("summary_next_start").asc(nulls_first=True),
                "title",
                "id",
                condition=Q(status="published"),
                name="course_next_start_idx",
            ),
            # "Neu im Atlas" on the home page: the latest published, read in this order.
            # The feeds read it the same way, the id last (courses published at the same
            # moment, as an import publishes them, come in a fixed order without a sort).
            models.Index(
                F("published_at").desc(),
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(status="published"),
                name="course_latest_idx",
            ),
            models.Index(fields=["summary_valid_until"], name="course_summary_valid_idx"),
            # The workspace's "veraltet" (no current date: NULL or before today) of every
            # status; course_public_current_idx holds the published only.
            models.Index(fields=["current_until"], name="course_current_until_idx"),
            # The sitemap's latest change: read backwards to the first public course.
            models.Index(fields=["updated_at"], name="course_updated_idx"),
            # A provider's latest edit and confirmation (the dashboard's providers without an
            # update for 90 days look up each provider's latest instead of grouping every course).
            models.Index(F("provider"), F("updated_at").desc(), name="course_provider_updated_idx"),
            models.Index(
                F("provider"),
                F("last_confirmed_at").desc(),
                condition=Q(last_confirmed_at__isnull=False),
                name="course_provider_confirmed_idx",
            ),
            # The workspace's course list, in title order: a page is read along this index
            # and its per-row figures computed for that page only.
            models.Index(fields=["title", "id"], name="course_title_idx"),
            # The workspace's search ("contains", any case) in titles and slugs, and by the
            # provider's own id: each an index, so a search never reads every course.
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="course_title_trgm_idx"),
            # The same title (any case) at providers in reach: the dashboard's possible
            # duplicates. As a hash, so that only this index serves the comparison (on the
            # title itself PostgreSQL took the trigram index, a second per title at 1,000,000).
            models.Index(MD5(Upper("title")), F("provider"), name="course_title_upper_idx"),
            GinIndex(OpClass(Upper("slug"), name="gin_trgm_ops"), name="course_slug_trgm_idx"),
            models.Index(
                fields=["external_id"], condition=~Q(external_id=""), name="course_external_idx"
            ),
            GinIndex(fields=["facet_subjects"], name="course_facet_subjects_idx"),
            GinIndex(fields=["facet_funding"], name="course_facet_funding_idx"),
            GinIndex(fields=["facet_target_groups"], name="course_facet_target_groups_idx"),
        ]

    def __str__(self):
        return self.title

    # Columns the database keeps (triggers) or the search refreshes after every write: an
    # instance's copy may be older than the row, so saving it must not write them back.
    KEPT_BY_DATABASE = frozenset(
        {
            "current_until",
            "facet_subjects",
            "facet_funding",
            "facet_target_groups",
            "summary_next_start",
            "summary_valid_until",
        }
    )

    def save(self, **kwargs):
        if (
            not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in self.KEPT_BY_DATABASE
                and field.attname not in deferred
            ]
        super().save(**kwargs)

    def get_absolute_url(self):
        return reverse("measures:course_detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        contact_elsewhere = self.contact_id and self.contact.organisation_id != self.provider_id
        if self.provider_id and contact_elsewhere:
            raise ValidationError(
                {"contact": _("Die Ansprechperson gehört nicht zu diesem Anbieter.")}
            )

    @property
    def module_units(self) -> int:
        return sum(module.teaching_units or 0 for module in self.modules.all())


class Module(models.Model):
    """A unit of a course's curriculum."""

    course = models.ForeignKey(
        Course, verbose_name=_("Kurs"), on_delete=models.CASCADE, related_name="modules"
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    title = models.CharField(_("Titel"), max_length=250)
    contents = models.TextField(_("Inhalte"), blank=True)
    teaching_units = models.PositiveIntegerField(_("Unterrichtseinheiten"), null=True, blank=True)

    class Meta:
        verbose_name = _("Modul")
        verbose_name_plural = _("Module")
        ordering = ["course", "position", "pk"]

    def __str__(self):
        return self.title
