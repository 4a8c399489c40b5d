from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoleAssignment(models.Model):
    """A user's role: staff of one provider organisation, or coordinator of one network.

    A user may hold several (staff of two organisations, coordinator of two networks). A
    superuser needs none: ``User.is_superuser`` is the third role.
    """

    class Kind(models.TextChoices):
        PROVIDER_STAFF = "provider_staff", _("Anbieter-Redaktion")
        COORDINATOR = "coordinator", _("Netzwerkkoordination")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    kind = models.CharField(_("Rolle"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        help_text=_("Für die Anbieter-Redaktion: die Organisation, deren Daten gepflegt werden."),
    )
    network = models.ForeignKey(
        "network.Network",
        verbose_name=_("Netzwerk"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        help_text=_("Für die Netzwerkkoordination: das koordinierte Netzwerk."),
    )
    created_at = models.DateTimeField(_("vergeben am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Rolle")
        verbose_name_plural = _("Rollen")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="provider_staff", organisation__isnull=False, network__isnull=True)
                    | Q(kind="coordinator", network__isnull=False, organisation__isnull=True)
                ),
                name="roleassignment_target_matches_kind",
                violation_error_message=_(
                    "Die Anbieter-Redaktion braucht eine Organisation, die Netzwerkkoordination "
                    "ein Netzwerk (und nur dieses)."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(organisation__isnull=False),
                name="roleassignment_unique_organisation",
                violation_error_message=_("Diese Rolle ist bereits vergeben."),
            ),
            models.UniqueConstraint(
                fields=["user", "network"],
                condition=Q(network__isnull=False),
                name="roleassignment_unique_network",
                violation_error_message=_("Diese Rolle ist bereits vergeben."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.organisation or self.network}"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.PROVIDER_STAFF:
            if self.organisation_id is None:
                raise ValidationError(
                    {"organisation": _("Bitte die Organisation wählen.")}, code="required"
                )
            self.network = None
        elif self.kind == self.Kind.COORDINATOR:
            if self.network_id is None:
                raise ValidationError({"network": _("Bitte das Netzwerk wählen.")}, code="required")
            self.organisation = None
