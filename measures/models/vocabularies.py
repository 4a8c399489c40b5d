"""The vocabularies that describe courses, editable in admin."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Vocabulary(models.Model):
    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzadresse"), max_length=80, unique=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Subject(Vocabulary):
    """A subject category; categories form a tree (a parent includes its children)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("übergeordnetes Fachgebiet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("Fachgebiet")
        verbose_name_plural = _("Fachgebiete")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="subject_not_own_parent",
                violation_error_message=_(
                    "Ein Fachgebiet kann nicht sein eigenes Obergebiet sein."
                ),
            ),
        ]

    def descendant_ids(self) -> set[int]:
        """This subject's id and the ids of every subject below it."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in Subject.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        found, stack = set(), [self.pk]
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.add(pk)
                stack.extend(children.get(pk, []))
        return found


class TargetGroup(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("Zielgruppe")
        verbose_name_plural = _("Zielgruppen")


class FundingType(Vocabulary):
    """A way a course can be funded: education voucher, educational leave of a state …"""

    class Kind(models.TextChoices):
        EDUCATION_VOUCHER = "voucher", _("Bildungsgutschein (AZAV)")
        EDUCATIONAL_LEAVE = "leave", _("Bildungsurlaub / Bildungsfreistellung")
        AUFSTIEGS_BAFOEG = "aufstiegs_bafoeg", _("Aufstiegs-BAföG")
        EMPLOYER = "employer", _("Förderung für Beschäftigte und Betriebe")
        STATE_PROGRAMME = "state_programme", _("Landesprogramm")
        OTHER = "other", _("sonstige Förderung")

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    state = models.ForeignKey(
        "network.Region",
        verbose_name=_("Bundesland"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_types",
        limit_choices_to={"kind": "state"},
        help_text=_("Für Bildungsurlaub und Landesprogramme: das Land, in dem sie gelten."),
    )
    website = models.URLField(_("Website"), blank=True)

    class Meta(Vocabulary.Meta):
        verbose_name = _("Förderart")
        verbose_name_plural = _("Förderarten")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="leave") | Q(state__isnull=False),
                name="fundingtype_leave_has_state",
                violation_error_message=_("Bildungsurlaub gilt je Bundesland: bitte Land wählen."),
            ),
        ]


class CertificateKind(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("Abschlussart")
        verbose_name_plural = _("Abschlussarten")
