from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """A failed log-in, counted per user name and per client; or a request for a password-reset
    email, counted per email address and per client. Keys are keyed hashes, never the name,
    address or client address itself.

    Rows older than the longest window are deleted as new ones are written.
    """

    class Scope(models.TextChoices):
        USERNAME = "username", _("Benutzername")
        CLIENT = "client", _("Client")
        RESET_EMAIL = "reset_mail", _("Passwort-Zurücksetzen: E-Mail-Adresse")
        RESET_CLIENT = "reset_ip", _("Passwort-Zurücksetzen: Client")

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fehlgeschlagene Anmeldung")
        verbose_name_plural = _("fehlgeschlagene Anmeldungen")
        indexes = [models.Index(fields=["scope", "key", "at"], name="loginfailure_lookup_idx")]

    def __str__(self):
        return f"{self.scope}:{self.key[:8]} {self.at:%Y-%m-%d %H:%M}"
