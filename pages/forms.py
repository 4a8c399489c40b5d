from django import forms
from django.utils.translation import gettext_lazy as _

from pages.models import AccessibilityFeedback


class AccessibilityFeedbackForm(forms.ModelForm):
    """Report a barrier. ``website`` is a trap for bots: it is hidden from people."""

    website = forms.CharField(required=False, label=_("Bitte leer lassen"))

    class Meta:
        model = AccessibilityFeedback
        fields = ["message", "page", "name", "email"]
        labels = {
            "message": _("Was ist die Barriere?"),
            "page": _("Auf welcher Seite? (freiwillig)"),
            "name": _("Ihr Name (freiwillig)"),
            "email": _("Ihre E-Mail-Adresse, wenn Sie eine Antwort möchten (freiwillig)"),
        }
        help_texts = {
            "message": _("Beschreiben Sie bitte, was nicht funktioniert. Höchstens 5000 Zeichen."),
            "page": _("Zum Beispiel die Adresse der Seite oder der Name des Kurses."),
            "email": _("Wir verwenden sie nur für die Antwort."),
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) < 10:
            raise forms.ValidationError(
                _("Bitte beschreiben Sie die Barriere in mindestens 10 Zeichen.")
            )
        return message

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
