"""A course import in the workspace: the uploaded file, its dry run and its result.

The file is kept in the database (not on a disk the web server and the worker would have to
share), so that a background job (``workspace.tasks``) can check or write it in another
process, and a restart of either loses nothing. ``report`` is ``ImportReport.as_dict()``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CourseImport(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("wartet auf Prüfung")
        CHECKING = "checking", _("wird geprüft")
        CHECKED = "checked", _("geprüft")
        QUEUED = "queued", _("wartet auf Import")
        IMPORTING = "importing", _("wird importiert")
        DONE = "done", _("importiert")
        FAILED = "failed", _("nicht importiert")

    organisation = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="course_imports",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(_("Datei"), max_length=255)
    data = models.BinaryField(_("Inhalt"))
    size = models.PositiveBigIntegerField(_("Größe in Bytes"), default=0)
    status = models.CharField(
        _("Stand"), max_length=20, choices=Status.choices, default=Status.WAITING
    )
    phase = models.CharField(_("Schritt"), max_length=20, blank=True)
    progress = models.FloatField(_("Fortschritt"), default=0)
    report = models.JSONField(_("Ergebnis"), default=dict, blank=True)
    created_at = models.DateTimeField(_("hochgeladen"), default=timezone.now)
    finished_at = models.DateTimeField(_("fertig"), null=True, blank=True)

    class Meta:
        verbose_name = _("Kursimport")
        verbose_name_plural = _("Kursimporte")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.organisation})"

    @property
    def running(self) -> bool:
        return self.status in (
            self.Status.WAITING,
            self.Status.CHECKING,
            self.Status.QUEUED,
            self.Status.IMPORTING,
        )
