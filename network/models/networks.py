from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import choices
from network.models.common import OriginFields

END_AFTER_START = _("Das Ende darf nicht vor dem Beginn liegen.")


def ends_after_start(start: str, end: str, name: str) -> models.CheckConstraint:
    """A check that ``end`` is empty or not before ``start``."""
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True})
        | Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__gte": F(start)}),
        name=name,
        violation_error_message=END_AFTER_START,
    )


class Network(OriginFields):
    """A learning network (Lernende Region), managed by its lead partner."""

    name = models.CharField(_("Name"), max_length=250)
    short_name = models.CharField(_("Kurzname"), max_length=80, blank=True)
    slug = models.SlugField(_("Kurzadresse"), max_length=80, unique=True)
    motto = models.CharField(_("Leitsatz"), max_length=250, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    aims = models.TextField(_("Ziele"), blank=True)
    regions = models.ManyToManyField(
        "network.Region",
        verbose_name=_("Regionen"),
        related_name="networks",
        blank=True,
    )
    lead_partner = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Lead-Partner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_networks",
    )
    funding_programme = models.CharField(_("Förderprogramm"), max_length=250, blank=True)
    contact_name = models.CharField(_("Ansprechperson"), max_length=200, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    website = models.URLField(_("Website"), blank=True)
    reviews_offers = models.BooleanField(
        _("prüft Angebote"),
        default=False,
        help_text=_(
            "Neue Angebote der Partner werden von der Netzwerkkoordination geprüft, "
            "bevor sie erscheinen."
        ),
    )

    class Meta:
        verbose_name = _("Netzwerk")
        verbose_name_plural = _("Netzwerke")
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("network:network_detail", kwargs={"slug": self.slug})


class NetworkPhase(models.Model):
    class Kind(models.TextChoices):
        PLANNING = "planning", _("Planungsphase")
        IMPLEMENTATION = "implementation", _("Durchführungsphase")
        CONSOLIDATION = "consolidation", _("Verstetigung")
        OTHER = "other", _("sonstige Phase")

    network = models.ForeignKey(
        Network, verbose_name=_("Netzwerk"), on_delete=models.CASCADE, related_name="phases"
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("Bezeichnung"), max_length=200, blank=True)
    start = models.DateField(_("Beginn"))
    end = models.DateField(_("Ende"), null=True, blank=True)
    notes = models.TextField(_("Anmerkungen"), blank=True)

    class Meta:
        verbose_name = _("Phase")
        verbose_name_plural = _("Phasen")
        ordering = ["network", "start"]
        constraints = [ends_after_start("start", "end", "phase_end_after_start")]

    def __str__(self):
        return self.name or self.get_kind_display()


class MembershipQuerySet(models.QuerySet):
    def public(self):
        """The memberships the public may see: those marked public. An organisation appears
        as a partner or member of a network, its working groups and projects, and counts as
        one, only through such a membership (``Organisation.objects.public_members_of``)."""
        return self.filter(is_public=True)


class Membership(models.Model):
    """An organisation's place in a network."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead-Partner")
        CONSORTIUM = "consortium", _("Verbundpartner")
        STRATEGIC = "strategic", _("strategischer Partner")
        COOPERATION = "cooperation", _("Kooperationspartner")

    class Declaration(models.TextChoices):
        NONE = "", _("keine")
        LETTER_OF_INTENT = "letter_of_intent", _("Letter of Intent")
        COOPERATION_AGREEMENT = "cooperation_agreement", _("Kooperationsvereinbarung")
        PARTICIPATION = "participation", _("Beteiligungserklärung")

    network = models.ForeignKey(
        Network, verbose_name=_("Netzwerk"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices)
    since = models.DateField(_("Mitglied seit"), null=True, blank=True)
    declaration = models.CharField(
        _("Erklärung"), max_length=30, choices=Declaration.choices, blank=True
    )
    declaration_date = models.DateField(_("Datum der Erklärung"), null=True, blank=True)
    is_public = models.BooleanField(_("öffentlich sichtbar"), default=True)
    contribution = models.TextField(_("Beitrag im Netzwerk"), blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        ordering = ["network", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "network"],
                name="membership_unique_per_network",
                violation_error_message=_(
                    "Diese Organisation ist bereits Mitglied dieses Netzwerks."
                ),
            ),
            models.UniqueConstraint(
                fields=["network"],
                condition=Q(role="lead"),
                name="membership_one_lead_per_network",
                violation_error_message=_("Ein Netzwerk hat nur einen Lead-Partner."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.network} ({self.get_role_display()})"

    def get_role_display(self) -> str:
        return choices.label(self.Role, self.role)


class WorkingGroup(models.Model):
    """A working group (Netzwerkgruppe) of a network, optionally below a parent group."""

    network = models.ForeignKey(
        Network,
        verbose_name=_("Netzwerk"),
        on_delete=models.CASCADE,
        related_name="working_groups",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("übergeordnete Gruppe"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subgroups",
    )
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzadresse"), max_length=80)
    topic = models.CharField(_("Thema"), max_length=250, blank=True)
    goals = models.TextField(_("Ziele"), blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    lead = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Leitung"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_working_groups",
    )
    members = models.ManyToManyField(
        "network.Organisation",
        verbose_name=_("Mitglieder"),
        blank=True,
        related_name="working_groups",
    )

    class Meta:
        verbose_name = _("Arbeitsgruppe")
        verbose_name_plural = _("Arbeitsgruppen")
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "slug"],
                name="workinggroup_unique_slug",
                violation_error_message=_("Diese Kurzadresse ist im Netzwerk schon vergeben."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="workinggroup_not_own_parent",
                violation_error_message=_("Eine Gruppe kann nicht ihre eigene Untergruppe sein."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(
            "network:working_group_detail",
            kwargs={"network": self.network.slug, "slug": self.slug},
        )


class Project(models.Model):
    """What a network or one of its working groups does: a fair, a campaign, a hotline …"""

    class Status(models.TextChoices):
        PLANNED = "planned", _("geplant")
        RUNNING = "running", _("laufend")
        COMPLETED = "completed", _("abgeschlossen")

    network = models.ForeignKey(
        Network, verbose_name=_("Netzwerk"), on_delete=models.CASCADE, related_name="projects"
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("Arbeitsgruppe"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    title = models.CharField(_("Titel"), max_length=250)
    slug = models.SlugField(_("Kurzadresse"), max_length=120)
    summary = models.TextField(_("Kurzbeschreibung"), blank=True)
    goals = models.TextField(_("Ziele"), blank=True)
    target_groups = models.ManyToManyField(
        "measures.TargetGroup",
        verbose_name=_("Zielgruppen"),
        blank=True,
        related_name="projects",
    )
    lead = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("federführend"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_projects",
    )
    participants = models.ManyToManyField(
        "network.Organisation",
        verbose_name=_("Beteiligte"),
        blank=True,
        related_name="projects",
    )
    status = models.CharField(
        _("Stand"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    start = models.DateField(_("Beginn"), null=True, blank=True)
    end = models.DateField(_("Ende"), null=True, blank=True)
    website = models.URLField(_("Website"), blank=True)

    class Meta:
        verbose_name = _("Vorhaben")
        verbose_name_plural = _("Vorhaben")
        ordering = ["network", "-start", "title"]
        constraints = [
            ends_after_start("start", "end", "project_end_after_start"),
            models.UniqueConstraint(
                fields=["network", "slug"],
                name="project_unique_slug",
                violation_error_message=_("Diese Kurzadresse ist im Netzwerk schon vergeben."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(
            "network:project_detail", kwargs={"network": self.network.slug, "slug": self.slug}
        )


class Event(models.Model):
    """A dated network event: kick-off, network meeting, fair, conference."""

    class Kind(models.TextChoices):
        KICK_OFF = "kick_off", _("Auftaktveranstaltung")
        MEETING = "meeting", _("Netzwerktreffen")
        FAIR = "fair", _("Messe")
        CONFERENCE = "conference", _("Kongress / Tagung")
        WORKSHOP = "workshop", _("Workshop")
        OTHER = "other", _("sonstige Veranstaltung")

    network = models.ForeignKey(
        Network, verbose_name=_("Netzwerk"), on_delete=models.CASCADE, related_name="events"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("Vorhaben"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("Arbeitsgruppe"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    title = models.CharField(_("Titel"), max_length=250)
    slug = models.SlugField(_("Kurzadresse"), max_length=120)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("Beschreibung"), blank=True)
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"), null=True, blank=True)
    place = models.CharField(_("Ort"), max_length=250, blank=True)
    address = models.CharField(_("Adresse"), max_length=250, blank=True)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("Region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    organiser = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Veranstalter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_events",
    )
    website = models.URLField(_("Website"), blank=True)

    class Meta:
        verbose_name = _("Veranstaltung")
        verbose_name_plural = _("Veranstaltungen")
        ordering = ["starts_at"]
        constraints = [
            ends_after_start("starts_at", "ends_at", "event_end_after_start"),
            models.UniqueConstraint(
                fields=["network", "slug"],
                name="event_unique_slug",
                violation_error_message=_("Diese Kurzadresse ist im Netzwerk schon vergeben."),
            ),
        ]
        indexes = [models.Index(fields=["network", "starts_at"], name="event_network_start_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(
            "network:event_detail", kwargs={"network": self.network.slug, "slug": self.slug}
        )
