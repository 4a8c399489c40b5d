"""Site-wide content: information pages edited in admin, and feedback on barriers."""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core import markup

MENU_CACHE_KEY = "atlas:menu-pages:v1"


class InfoPage(models.Model):
    """A page of text: about the network, advice and funding guides, and the legal pages.

    A page with a *purpose* is one of the pages a German public portal must have; it lives at
    its fixed address (``/impressum/`` …), exists once, and cannot be unpublished.
    """

    class Purpose(models.TextChoices):
        NONE = "", _("Informationsseite")
        IMPRINT = "imprint", _("Impressum")
        PRIVACY = "privacy", _("Datenschutzerklärung")
        ACCESSIBILITY = "accessibility", _("Erklärung zur Barrierefreiheit")
        EASY_LANGUAGE = "easy_language", _("Leichte Sprache")
        DATA_SOURCES = "data_sources", _("Datenquellen")

    class Menu(models.TextChoices):
        NONE = "", _("in keinem Menü")
        MAIN = "main", _("Hauptnavigation (oben)")
        FOOTER = "footer", _("Fußzeile (unten)")

    title = models.CharField(_("Titel"), max_length=200)
    slug = models.SlugField(
        _("Kurzadresse"),
        max_length=80,
        unique=True,
        help_text=_("Die Seite erscheint unter /info/<Kurzadresse>/."),
    )
    purpose = models.CharField(
        _("Pflichtseite"),
        max_length=20,
        choices=Purpose.choices,
        blank=True,
        default=Purpose.NONE,
        help_text=_("Pflichtseiten stehen unter ihrer festen Adresse, z. B. /impressum/."),
    )
    summary = models.CharField(
        _("Kurzbeschreibung"),
        max_length=300,
        blank=True,
        help_text=_("Für Suchmaschinen und Übersichten; ein bis zwei Sätze."),
    )
    body = models.TextField(
        _("Text"),
        help_text=markup.SYNTAX_HELP,
        validators=[MaxLengthValidator(markup.MAX_LENGTH)],
    )
    body_html = models.TextField(
        _("Text als HTML"),
        editable=False,
        blank=True,
        default="",
        help_text=_("Aus dem Text erzeugt, wenn die Seite gespeichert wird."),
    )
    menu = models.CharField(
        _("Menü"), max_length=10, choices=Menu.choices, blank=True, default=Menu.NONE
    )
    position = models.PositiveSmallIntegerField(
        _("Position im Menü"), default=0, help_text=_("Kleinere Zahlen stehen weiter vorn.")
    )
    is_published = models.BooleanField(_("veröffentlicht"), default=True)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("zuletzt geändert"), auto_now=True)

    class Meta:
        verbose_name = _("Informationsseite")
        verbose_name_plural = _("Informationsseiten")
        ordering = ["menu", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose"],
                condition=~Q(purpose=""),
                name="infopage_one_page_per_purpose",
                violation_error_message=_("Für diese Pflichtseite gibt es schon eine Seite."),
            ),
            models.CheckConstraint(
                condition=Q(purpose="") | Q(is_published=True),
                name="infopage_required_pages_published",
                violation_error_message=_(
                    "Pflichtseiten (Impressum, Datenschutz …) müssen veröffentlicht sein."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.purpose:
            return reverse(f"atlas:{self.purpose}")
        return reverse("atlas:info_page", kwargs={"slug": self.slug})

    def render_markup(self) -> None:
        """Render the text into ``body_html``. The services that write a page call this before
        saving it, so that a view only outputs the stored HTML and never renders."""
        self.body_html = markup.render(self.body)

    @property
    def body_safe(self) -> SafeString:
        """The stored HTML, for templates: written by ``core.markup.render``, which escapes all
        of the author's text and adds only its own tags."""
        return mark_safe(self.body_html)  # noqa: S308 - rendered by core.markup at save


class AccessibilityFeedback(models.Model):
    """A barrier someone reported through the form of the accessibility statement.

    Holds what the person chose to give: no IP address, no user agent.
    """

    message = models.TextField(_("Nachricht"), max_length=5000)
    page = models.CharField(
        _("Betroffene Seite"),
        max_length=300,
        blank=True,
        help_text=_("Adresse oder Beschreibung der Seite, auf der die Barriere ist."),
    )
    name = models.CharField(_("Name"), max_length=200, blank=True)
    email = models.EmailField(_("E-Mail für die Antwort"), blank=True)
    created_at = models.DateTimeField(_("eingegangen"), auto_now_add=True, db_index=True)
    is_resolved = models.BooleanField(_("erledigt"), default=False)
    notes = models.TextField(_("interne Notizen"), blank=True)

    class Meta:
        verbose_name = _("Rückmeldung zur Barrierefreiheit")
        verbose_name_plural = _("Rückmeldungen zur Barrierefreiheit")
        ordering = ["-created_at"]

    def __str__(self):
        when = f"{self.created_at:%d.%m.%Y %H:%M} – " if self.created_at else ""
        return f"{when}{self.message[:60]}"
