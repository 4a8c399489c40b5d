from django import forms
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from workspace import security
from workspace.models import QualityCriterion

LOCKED = _(
    "Zu viele fehlgeschlagene Anmeldeversuche. Die Anmeldung ist für %(minutes)s Minuten "
    "gesperrt; bitte versuchen Sie es danach erneut oder setzen Sie Ihr Passwort zurück."
)


def normalise_code(value: str) -> str:
    """A code as typed: spaces and hyphens dropped (backup codes are shown in groups), lower
    case (backup codes are stored so)."""
    return "".join(value.split()).replace("-", "").lower()


class LoginForm(AdminAuthenticationForm):
    """The admin log-in: user name, password and — once set up — the code of the
    authenticator app or one of the one-time backup codes; locked after repeated failures."""

    otp_token = forms.CharField(
        label=_("Bestätigungscode"),
        required=False,
        max_length=20,
        help_text=_(
            "Nur wenn die Zwei-Faktor-Anmeldung eingerichtet ist: der sechsstellige Code aus "
            "Ihrer Authenticator-App oder – ohne Ihr Telefon – einer Ihrer Backup-Codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "size": 10}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _(
            "Bitte den Bestätigungscode aus Ihrer Authenticator-App (oder einen Backup-Code) "
            "eingeben."
        ),
        "otp_invalid": _("Der Bestätigungscode ist falsch oder abgelaufen."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        counted: list[int] = []
        if self.request is not None:
            # Counted before the password is checked; a failure keeps the count.
            counted = security.attempt(self.request, username)
            if counted is None:
                raise ValidationError(
                    LOCKED, code="locked", params={"minutes": security.lock_minutes()}
                )
        cleaned = super().clean()
        self._check_second_factor()
        security.succeeded(username, counted)
        return cleaned

    def _check_second_factor(self):
        user = self.user_cache
        if user is None:
            return
        devices = list(security.confirmed_devices(user))
        if not devices:
            return
        token = normalise_code(self.cleaned_data.get("otp_token") or "")
        if not token:
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")
        # A six-digit code is the app's; anything else can only be a backup code (so a typo in
        # the app's code does not slow down the backup codes, and the reverse).
        backup = not security.is_app_code(token)
        if backup:
            devices = list(security.backup_devices(user))
        for device in devices:
            if device.verify_token(token):
                # django_otp marks the session as verified when the user is logged in.
                user.otp_device = device
                if backup and self.request is not None:
                    self._backup_code_used(user)
                return
        raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")

    def _backup_code_used(self, user):
        left = security.backup_codes_left(user)
        messages.warning(
            self.request,
            ngettext(
                "Sie haben sich mit einem Backup-Code angemeldet; er ist damit verbraucht. "
                "Es bleibt noch %(count)d Code.",
                "Sie haben sich mit einem Backup-Code angemeldet; er ist damit verbraucht. "
                "Es bleiben noch %(count)d Codes.",
                left,
            )
            % {"count": left},
        )


class TwoFactorSetupForm(forms.Form):
    token = forms.CharField(
        label=_("Bestätigungscode"),
        max_length=8,
        help_text=_("Der sechsstellige Code, den die App nach dem Einrichten anzeigt."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def clean_token(self):
        # Checked against the session's key by ``services.two_factor_set_up``.
        return normalise_code(self.cleaned_data["token"])


class CriterionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.network})" if self.show_network else obj.title


class ReviewForm(forms.Form):
    """A coordinator's decision on a submitted course, against the network's checklist."""

    APPROVE, RETURN = "approve", "return"

    network = forms.ModelChoiceField(
        queryset=None, label=_("Prüfung für das Netzwerk"), empty_label=None
    )
    criteria = CriterionChoiceField(
        queryset=None,
        label=_("Erfüllte Qualitätskriterien"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Zur Freigabe müssen alle Kriterien des Netzwerks erfüllt sein."),
    )
    reason = forms.CharField(
        label=_("Begründung für den Anbieter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Pflicht bei einer Rückgabe: was zu ändern ist."),
    )
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Freigeben")), (RETURN, _("Zurückgeben"))],
        widget=forms.HiddenInput,
    )
    # The version the reviewer read (``services.course_fingerprint``): approval names it.
    seen = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks
        criteria = QualityCriterion.objects.filter(network__in=networks, is_active=True)
        self.fields["criteria"].queryset = criteria.select_related("network")
        self.fields["criteria"].show_network = networks.count() > 1

    def clean(self):
        cleaned = super().clean()
        network, criteria = cleaned.get("network"), cleaned.get("criteria") or []
        if network is not None:
            other = [c for c in criteria if c.network_id != network.pk]
            if other:
                self.add_error(
                    "criteria", _("Bitte nur Kriterien des gewählten Netzwerks ankreuzen.")
                )
        if cleaned.get("decision") == self.RETURN and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Bitte begründen Sie die Rückgabe."))
        return cleaned
