from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from measures.models import Course


class CourseChange(models.Model):
    """One entry of a course's history: who changed what, when, and what it did to the status.

    ``changes`` is a list of ``{"field": label, "old": text, "new": text}``. Entries outlive the
    course (``course`` is set to null and ``course_title`` keeps its name).
    """

    class Action(models.TextChoices):
        CREATED = "created", _("angelegt")
        EDITED = "edited", _("geändert")
        MINOR_EDIT = "minor_edit", _("Bagatelländerung")
        SUBMITTED = "submitted", _("eingereicht")
        PUBLISHED = "published", _("veröffentlicht")
        RETURNED = "returned", _("zurückgegeben")
        BACK_TO_REVIEW = "back_to_review", _("erneut zur Prüfung")
        REVISION_SUBMITTED = "revision", _("neue Fassung zur Prüfung")
        REVISION_APPROVED = "revision_ok", _("neue Fassung freigegeben")
        REVISION_DISCARDED = "revision_off", _("neue Fassung verworfen")
        ARCHIVED = "archived", _("archiviert")
        REOPENED = "reopened", _("wieder als Entwurf geöffnet")
        CONFIRMED = "confirmed", _("als aktuell bestätigt")
        DELETED = "deleted", _("gelöscht")

    course = models.ForeignKey(
        "measures.Course",
        verbose_name=_("Kurs"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    course_title = models.CharField(_("Kurstitel"), max_length=250)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("Benutzername"), max_length=150, blank=True)
    action = models.CharField(_("Aktion"), max_length=20, choices=Action.choices)
    changes = models.JSONField(_("Änderungen"), default=list, blank=True)
    status_before = models.CharField(_("Status vorher"), max_length=20, blank=True)
    status_after = models.CharField(_("Status nachher"), max_length=20, blank=True)
    message = models.TextField(_("Hinweis"), blank=True)
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Kursänderung")
        verbose_name_plural = _("Kursänderungen")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["course", "-created_at"], name="coursechange_course_idx")]

    def __str__(self):
        return f"{self.course_title}: {self.get_action_display()}"

    @staticmethod
    def _status_label(value: str) -> str:
        return str(dict(Course.Status.choices).get(value, value or "–"))

    @property
    def status_before_display(self) -> str:
        return self._status_label(self.status_before)

    @property
    def status_after_display(self) -> str:
        return self._status_label(self.status_after)


class Reminder(models.Model):
    """A reminder a coordinator sent to a provider about its out-of-date offers."""

    organisation = models.ForeignKey(
        "network.Organisation",
        verbose_name=_("Organisation"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gesendet von"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient = models.EmailField(_("Empfänger"))
    course_count = models.PositiveIntegerField(_("veraltete Angebote"))
    sent_at = models.DateTimeField(_("gesendet am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Erinnerung")
        verbose_name_plural = _("Erinnerungen")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.organisation} – {self.sent_at:%d.%m.%Y}"
