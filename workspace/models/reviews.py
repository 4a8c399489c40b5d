from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QualityCriterion(models.Model):
    """One item of a network's checklist for reviewing course offers."""

    network = models.ForeignKey(
        "network.Network",
        verbose_name=_("Netzwerk"),
        on_delete=models.CASCADE,
        related_name="quality_criteria",
    )
    title = models.CharField(_("Kriterium"), max_length=250)
    description = models.TextField(_("Erläuterung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    is_active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Qualitätskriterium")
        verbose_name_plural = _("Qualitätskriterien")
        ordering = ["network", "position", "pk"]

    def __str__(self):
        return self.title


class Review(models.Model):
    """A coordinator's decision on a submitted course, with the criteria checked."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("freigegeben")
        RETURNED = "returned", _("zurückgegeben")

    course = models.ForeignKey(
        "measures.Course", verbose_name=_("Kurs"), on_delete=models.CASCADE, related_name="reviews"
    )
    network = models.ForeignKey(
        "network.Network",
        verbose_name=_("Netzwerk"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("geprüft von"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(_("Entscheidung"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("Begründung"), blank=True)
    criteria_checked = models.ManyToManyField(
        QualityCriterion, verbose_name=_("erfüllte Kriterien"), blank=True, related_name="+"
    )
    checklist = models.JSONField(
        _("Prüfliste"),
        default=list,
        help_text=_("Die Kriterien zum Zeitpunkt der Prüfung, je mit „erfüllt“ ja/nein."),
    )
    created_at = models.DateTimeField(_("geprüft am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Prüfung")
        verbose_name_plural = _("Prüfungen")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="returned") | ~models.Q(reason=""),
                name="review_return_has_reason",
                violation_error_message=_("Eine Rückgabe braucht eine Begründung."),
            ),
        ]

    def __str__(self):
        return f"{self.course} – {self.get_decision_display()}"
