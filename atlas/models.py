"""The project's own bookkeeping: rate-limit counts and the accounts made by the demo loader or
the synthetic benchmarks (the rows of organisations, networks and courses carry flags of their
own: ``network.models.common.OriginFields``)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import ratelimit


class RateCount(models.Model):
    """Uses of a rate-limited form per client (or email address) in the current window, when
    the counts live in PostgreSQL (``core.ratelimit``; with Redis they live there). The key is
    a keyed hash, never an address."""

    key = models.CharField(primary_key=True, max_length=100)
    count = models.PositiveIntegerField()
    started = models.DateTimeField()

    class Meta:
        db_table = ratelimit.TABLE
        verbose_name = _("Zähler einer Begrenzung")
        verbose_name_plural = _("Zähler der Begrenzungen")

    def __str__(self):
        return f"{self.key[:20]}: {self.count}"


class GeneratedAccount(models.Model):
    """A user account made by ``load_demo --with-accounts`` or by the workspace benchmark, not
    by a person: ``load_demo`` counts every other account as data of the installation (and
    then refuses to run), ``generate_synthetic --delete`` deletes the synthetic ones."""

    class Source(models.TextChoices):
        DEMO = "demo", _("Demodaten")
        SYNTHETIC = "synthetic", _("synthetische Testdaten")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="generated_account",
        verbose_name=_("Benutzer"),
    )
    source = models.CharField(_("Herkunft"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("erzeugtes Konto")
        verbose_name_plural = _("erzeugte Konten")

    def __str__(self):
        return f"{self.user} ({self.get_source_display()})"


def delete_synthetic_accounts(**kwargs) -> None:
    """``generate_synthetic --delete`` (``measures.synthetic.deleted``): the synthetic accounts
    go with the data they were made for."""
    get_user_model().objects.filter(
        generated_account__source=GeneratedAccount.Source.SYNTHETIC
    ).delete()


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
