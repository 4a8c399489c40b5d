from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressFields(models.Model):
    """A postal address with its region and coordinates."""

    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postal_code = models.CharField(_("Postleitzahl"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=200, blank=True)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("Region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Der Kreis oder die kreisfreie Stadt, in der die Adresse liegt."),
    )
    latitude = models.FloatField(
        _("Breitengrad"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("Längengrad"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        abstract = True

    @property
    def address_line(self) -> str:
        place = " ".join(part for part in (self.postal_code, self.city) if part)
        return ", ".join(part for part in (self.street, place) if part)


class AccessibilityFields(models.Model):
    """Accessibility of premises, as learners ask for it."""

    step_free_access = models.BooleanField(_("stufenloser Zugang"), default=False)
    accessible_toilet = models.BooleanField(_("barrierefreies WC"), default=False)
    hearing_loop = models.BooleanField(_("Induktionsschleife / Höranlage"), default=False)
    accessibility_notes = models.TextField(_("Hinweise zur Barrierefreiheit"), blank=True)

    class Meta:
        abstract = True

    ACCESSIBILITY_FLAGS = ("step_free_access", "accessible_toilet", "hearing_loop")


class OriginFields(models.Model):
    """Where a row came from, when not from a person or an import: the demo loader
    (``atlas/demo.py``) or the synthetic benchmark data (``measures/synthetic.py``). Set only by
    those two, never in a form: ``load_demo`` tells the demo's own rows from everything else by
    them, and ``generate_synthetic --delete`` deletes exactly the synthetic rows."""

    demo = models.BooleanField(_("Demodaten"), default=False, db_default=False, editable=False)
    synthetic = models.BooleanField(
        _("synthetische Testdaten"), default=False, db_default=False, editable=False
    )

    class Meta:
        abstract = True
