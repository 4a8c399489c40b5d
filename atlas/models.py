from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """The last run of each scheduled job (atlas/schedule.py): a second scheduler finds a job's
    slot done and does not run it again."""

    job = models.CharField(_("Aufgabe"), max_length=100, primary_key=True)
    started_at = models.DateTimeField(_("begonnen"), null=True)
    finished_at = models.DateTimeField(_("beendet"), null=True)
    succeeded = models.BooleanField(_("erfolgreich"), default=False)
    result = models.TextField(_("Ergebnis"), blank=True)

    class Meta:
        verbose_name = _("Lauf einer geplanten Aufgabe")
        verbose_name_plural = _("Läufe geplanter Aufgaben")

    def __str__(self):
        return self.job
