"""An export of a course search prepared in the background (``measures.export_jobs``).

A search whose result is larger than a direct download takes (``EXPORT_MAX_ROWS``) can be
written to a file by a background job; this row is that job: the search's parameters and
format, where it stands, and the file once written. Anyone who has the token (in the address
of its status page) may see the job and download the file; nobody else can find it. Jobs and
their files are deleted after ``EXPORT_JOB_KEEP_HOURS``.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        CSV = "csv", _("Tabelle (CSV)")
        XLSX = "xlsx", _("Excel-Tabelle (XLSX)")
        ICS = "ics", _("Kalender (iCal)")
        JSON = "json", _("Daten (JSON)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("wartet")
        RUNNING = "running", _("wird vorbereitet")
        DONE = "done", _("fertig")
        FAILED = "failed", _("fehlgeschlagen")

    token = models.CharField(_("Kennung"), max_length=64, unique=True, editable=False)
    query = models.TextField(_("Suche"), blank=True)  # the search's parameters, URL-encoded
    kind = models.CharField(_("Format"), max_length=10, choices=Kind.choices)
    base_url = models.CharField(_("Adresse der Seite"), max_length=300)  # scheme://host
    status = models.CharField(
        _("Stand"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.FloatField(_("Fortschritt"), default=0)
    total = models.PositiveIntegerField(_("gefundene Kurse"), default=0)
    row_count = models.PositiveIntegerField(_("geschriebene Kurse"), default=0)
    file = models.CharField(_("Datei"), max_length=200, blank=True)  # in EXPORT_JOB_DIR
    size = models.PositiveBigIntegerField(_("Größe in Bytes"), default=0)
    error = models.TextField(_("Fehler"), blank=True)
    created_at = models.DateTimeField(_("angelegt"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("zuletzt gemeldet"), default=timezone.now)
    finished_at = models.DateTimeField(_("fertig"), null=True, blank=True)

    class Meta:
        verbose_name = _("Export im Hintergrund")
        verbose_name_plural = _("Exporte im Hintergrund")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "kind"], name="exportjob_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.query or '–'} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
