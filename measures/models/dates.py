from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (0, _("Montag")),
    (1, _("Dienstag")),
    (2, _("Mittwoch")),
    (3, _("Donnerstag")),
    (4, _("Freitag")),
    (5, _("Samstag")),
    (6, _("Sonntag")),
]

VENUE_NOT_OF_PROVIDER = _("Dieser Veranstaltungsort gehört nicht zum Anbieter des Kurses.")


class CourseDateQuerySet(models.QuerySet):
    def current(self, day=None):
        """Dates that are not cancelled and not over: running, upcoming, or a rolling start."""
        day = day or timezone.localdate()
        return self.exclude(booking_status=CourseDate.BookingStatus.CANCELLED).filter(
            Q(rolling_start=True)
            | Q(end_date__gte=day)
            | Q(end_date__isnull=True, start_date__gte=day)
        )

    def over(self, day=None):
        """The other dates: cancelled or over (``current``'s complement, written out so that it
        is one pass over the table, not a NOT IN over every current date)."""
        day = day or timezone.localdate()
        return self.filter(
            Q(booking_status=CourseDate.BookingStatus.CANCELLED)
            | Q(rolling_start=False)
            & (
                Q(end_date__lt=day)
                | Q(end_date__isnull=True) & (Q(start_date__lt=day) | Q(start_date__isnull=True))
            )
        )


class CourseDate(models.Model):
    """One run of a course (Termin, Durchführung)."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("in Präsenz")
        ONLINE = "online", _("online")
        BLENDED = "blended", _("Präsenz und online")

    class BookingStatus(models.TextChoices):
        OPEN = "open", _("Plätze frei")
        FEW = "few", _("wenige Plätze frei")
        FULL = "full", _("ausgebucht")
        CANCELLED = "cancelled", _("abgesagt")

    course = models.ForeignKey(
        "measures.Course", verbose_name=_("Kurs"), on_delete=models.CASCADE, related_name="dates"
    )
    start_date = models.DateField(_("Beginn"), null=True, blank=True)
    end_date = models.DateField(_("Ende"), null=True, blank=True)
    rolling_start = models.BooleanField(
        _("Einstieg jederzeit"), default=False, help_text=_("Beginn nach Vereinbarung.")
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(
            choices=WEEKDAYS, validators=[MinValueValidator(0), MaxValueValidator(6)]
        ),
        verbose_name=_("Wochentage"),
        blank=True,
        default=list,
        help_text=_("0 = Montag … 6 = Sonntag, durch Kommas getrennt."),
    )
    start_time = models.TimeField(_("Uhrzeit von"), null=True, blank=True)
    end_time = models.TimeField(_("Uhrzeit bis"), null=True, blank=True)
    schedule_notes = models.CharField(_("Hinweise zu den Zeiten"), max_length=300, blank=True)
    mode = models.CharField(_("Form"), max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    venue = models.ForeignKey(
        "network.Venue",
        verbose_name=_("Veranstaltungsort"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dates",
    )
    seats = models.PositiveIntegerField(_("Plätze"), null=True, blank=True)
    booking_status = models.CharField(
        _("Buchungsstand"),
        max_length=20,
        choices=BookingStatus.choices,
        default=BookingStatus.OPEN,
    )
    registration_deadline = models.DateField(_("Anmeldeschluss"), null=True, blank=True)
    price = models.DecimalField(
        _("abweichender Preis in Euro"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    external_id = models.CharField(_("externe Kennung"), max_length=100, blank=True)

    objects = CourseDateQuerySet.as_manager()

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["course", "rolling_start", "start_date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="coursedate_end_after_start",
                violation_error_message=_("Das Ende darf nicht vor dem Beginn liegen."),
            ),
            models.CheckConstraint(
                condition=Q(rolling_start=True) | Q(start_date__isnull=False),
                name="coursedate_start_or_rolling",
                violation_error_message=_(
                    "Bitte einen Beginn angeben oder „Einstieg jederzeit“ wählen."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True)
                | Q(start_time__isnull=True)
                | Q(end_time__gt=F("start_time")),
                name="coursedate_end_time_after_start_time",
                violation_error_message=_("Die Endzeit muss nach der Anfangszeit liegen."),
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="coursedate_price_not_negative",
                violation_error_message=_("Der Preis darf nicht negativ sein."),
            ),
            models.CheckConstraint(
                condition=Q(weekdays__contained_by=[0, 1, 2, 3, 4, 5, 6]),
                name="coursedate_weekdays_valid",
                violation_error_message=_("Wochentage sind 0 (Montag) bis 6 (Sonntag)."),
            ),
        ]
        indexes = [
            models.Index(fields=["course", "start_date"], name="coursedate_course_start_idx"),
            # By start (the workspace's date list reads it in this order, a page at a time; the
            # dashboard and region counts read ranges of it).
            models.Index(
                F("start_date").asc(nulls_first=True),
                F("start_time"),
                F("id"),
                name="coursedate_start_order_idx",
            ),
            models.Index(fields=["end_date"], name="coursedate_end_idx"),
            # "Einstieg jederzeit" per course (the workspace list asks for every row it shows;
            # without it PostgreSQL reads every date to find the few rolling ones).
            models.Index(
                fields=["course"], condition=Q(rolling_start=True), name="coursedate_rolling_idx"
            ),
            # The workspace's search by the provider's own id of a date.
            models.Index(
                fields=["external_id"], condition=~Q(external_id=""), name="coursedate_external_idx"
            ),
        ]

    def __str__(self):
        if self.rolling_start:
            return f"{self.course} – {_('Einstieg jederzeit')}"
        return f"{self.course} – {self.start_date:%d.%m.%Y}"

    def clean(self):
        super().clean()
        course = self._course_or_none()
        if course is not None and self.venue_id and course.provider_id:
            if self.venue.organisation_id != course.provider_id:
                raise ValidationError({"venue": VENUE_NOT_OF_PROVIDER})

    def _course_or_none(self):
        try:
            return self.course
        except ObjectDoesNotExist:
            return None

    @property
    def effective_price(self):
        return self.price if self.price is not None else self.course.price

    def weekday_names(self) -> list[str]:
        names = dict(WEEKDAYS)
        return [str(names[day]) for day in sorted(self.weekdays)]
