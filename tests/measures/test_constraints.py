"""The measures app's database constraints, each tested both ways (STYLE.md).

(a) A ModelForm (or ``full_clean()``) turns invalid data into a validation error carrying the
    constraint's German message; (b) writing the same data past validation makes the database
    raise ``IntegrityError`` from exactly that constraint. Boundary values that the rules allow
    are saved without complaint.

The tests create their own objects (unique slugs and keys), so they do not depend on the
reference and demo data the session loads.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.forms import modelform_factory
from django.utils import translation

from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Module,
    Subject,
    TargetGroup,
)
from network.models import Organisation, Region

pytestmark = pytest.mark.django_db

PRICE_NOT_NEGATIVE = "Der Preis darf nicht negativ sein."
HOURS_NOT_NEGATIVE = "Die Stunden dürfen nicht negativ sein."
FREE_HAS_NO_PRICE = "Ein kostenfreies Angebot hat keinen Preis."
EXTERNAL_ID_TAKEN = "Diese externe Kennung ist bei diesem Anbieter schon vergeben."
END_AFTER_START = "Das Ende darf nicht vor dem Beginn liegen."
START_OR_ROLLING = "Bitte einen Beginn angeben oder „Einstieg jederzeit“ wählen."
END_TIME_AFTER_START_TIME = "Die Endzeit muss nach der Anfangszeit liegen."
WEEKDAYS_VALID = "Wochentage sind 0 (Montag) bis 6 (Sonntag)."
SUBJECT_OWN_PARENT = "Ein Fachgebiet kann nicht sein eigenes Obergebiet sein."
LEAVE_HAS_STATE = "Bildungsurlaub gilt je Bundesland: bitte Land wählen."
NOT_BELOW_ZERO = "Dieser Wert muss größer oder gleich 0 sein."

DAY = dt.date(2025, 9, 1)


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


@contextmanager
def violates(constraint: str):
    """Expect the block to fail in the database with an IntegrityError from ``constraint``."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    assert excinfo.value.__cause__.diag.constraint_name == constraint


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def form_for(model, fields, data, instance=None):
    return modelform_factory(model, fields=fields)(data=data, instance=instance)


def full_clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


# --- factories ---------------------------------------------------------------------------


def make_provider(**fields) -> Organisation:
    fields.setdefault("name", "Volkshochschule Teststadt")
    fields.setdefault("slug", unique("vhs"))
    fields.setdefault("is_provider", True)
    return Organisation.objects.create(**fields)


def new_course(**fields) -> Course:
    if "provider" not in fields:
        fields["provider"] = make_provider()
    fields.setdefault("title", "Excel für Einsteiger")
    fields.setdefault("slug", unique("excel"))
    return Course(**fields)


def make_course(**fields) -> Course:
    course = new_course(**fields)
    course.save()
    return course


def new_module() -> Module:
    return Module(course=make_course(), title="Grundlagen")


def new_date(**fields) -> CourseDate:
    fields.setdefault("course", make_course())
    fields.setdefault("start_date", DAY)
    return CourseDate(**fields)


def new_subject() -> Subject:
    return Subject(name=unique("Digitales"), slug=unique("digitales"))


def new_target_group() -> TargetGroup:
    return TargetGroup(name=unique("Beschäftigte"), slug=unique("beschaeftigte"))


def new_funding_type() -> FundingType:
    return FundingType(
        name=unique("Bildungsgutschein"), slug=unique("gutschein"), kind=FundingType.Kind.OTHER
    )


def new_certificate_kind() -> CertificateKind:
    return CertificateKind(name=unique("Zertifikat"), slug=unique("zertifikat"))


def make_state() -> Region:
    return Region.objects.create(key=unique("T")[:12], name="Testland", kind=Region.Kind.STATE)


# --- numbers that must not be negative ---------------------------------------------------
# Price and hours have named check constraints with a message; the PositiveIntegerFields
# (teaching units, seats, positions) get Django's own CHECK (… >= 0) and its MinValueValidator.


@dataclass(frozen=True)
class NonNegative:
    """A number field that must not be below zero, and where its form error appears."""

    new: Callable[[], models.Model]
    field: str
    negative: object
    error_key: str
    message: str
    constraint: str


NOT_NEGATIVE = [
    pytest.param(
        NonNegative(
            new=new_course,
            field="price",
            negative=Decimal("-0.01"),
            error_key=NON_FIELD_ERRORS,
            message=PRICE_NOT_NEGATIVE,
            constraint="course_price_not_negative",
        ),
        id="course-price",
    ),
    pytest.param(
        NonNegative(
            new=new_course,
            field="hours",
            negative=Decimal("-0.5"),
            error_key=NON_FIELD_ERRORS,
            message=HOURS_NOT_NEGATIVE,
            constraint="course_hours_not_negative",
        ),
        id="course-hours",
    ),
    pytest.param(
        NonNegative(
            new=new_course,
            field="teaching_units",
            negative=-1,
            error_key="teaching_units",
            message=NOT_BELOW_ZERO,
            constraint="measures_course_teaching_units_check",
        ),
        id="course-teaching-units",
    ),
    pytest.param(
        NonNegative(
            new=new_module,
            field="teaching_units",
            negative=-1,
            error_key="teaching_units",
            message=NOT_BELOW_ZERO,
            constraint="measures_module_teaching_units_check",
        ),
        id="module-teaching-units",
    ),
    pytest.param(
        NonNegative(
            new=new_module,
            field="position",
            negative=-1,
            error_key="position",
            message=NOT_BELOW_ZERO,
            constraint="measures_module_position_check",
        ),
        id="module-position",
    ),
    pytest.param(
        NonNegative(
            new=new_date,
            field="price",
            negative=Decimal("-0.01"),
            error_key=NON_FIELD_ERRORS,
            message=PRICE_NOT_NEGATIVE,
            constraint="coursedate_price_not_negative",
        ),
        id="course-date-price",
    ),
    pytest.param(
        NonNegative(
            new=new_date,
            field="seats",
            negative=-1,
            error_key="seats",
            message=NOT_BELOW_ZERO,
            constraint="measures_coursedate_seats_check",
        ),
        id="course-date-seats",
    ),
    pytest.param(
        NonNegative(
            new=new_subject,
            field="position",
            negative=-1,
            error_key="position",
            message=NOT_BELOW_ZERO,
            constraint="measures_subject_position_check",
        ),
        id="subject-position",
    ),
    pytest.param(
        NonNegative(
            new=new_target_group,
            field="position",
            negative=-1,
            error_key="position",
            message=NOT_BELOW_ZERO,
            constraint="measures_targetgroup_position_check",
        ),
        id="target-group-position",
    ),
    pytest.param(
        NonNegative(
            new=new_funding_type,
            field="position",
            negative=-1,
            error_key="position",
            message=NOT_BELOW_ZERO,
            constraint="measures_fundingtype_position_check",
        ),
        id="funding-type-position",
    ),
    pytest.param(
        NonNegative(
            new=new_certificate_kind,
            field="position",
            negative=-1,
            error_key="position",
            message=NOT_BELOW_ZERO,
            constraint="measures_certificatekind_position_check",
        ),
        id="certificate-kind-position",
    ),
]


@pytest.mark.parametrize("rule", NOT_NEGATIVE)
def test_form_rejects_negative_number(rule):
    instance = rule.new()

    form = form_for(
        type(instance), [rule.field], {rule.field: str(rule.negative)}, instance=instance
    )

    assert form.errors == {rule.error_key: [rule.message]}


@pytest.mark.parametrize("rule", NOT_NEGATIVE)
def test_database_rejects_negative_number(rule):
    instance = rule.new()
    setattr(instance, rule.field, rule.negative)

    with violates(rule.constraint):
        instance.save()


@pytest.mark.parametrize("rule", NOT_NEGATIVE)
def test_zero_is_accepted(rule):
    instance = rule.new()

    form = form_for(type(instance), [rule.field], {rule.field: "0"}, instance=instance)

    assert form.errors == {}
    form.save()


# --- a free course has no price ------------------------------------------------------------


def test_form_rejects_free_course_with_a_price():
    form = form_for(
        Course,
        ["price_kind", "price"],
        {"price_kind": "free", "price": "25.00"},
        instance=new_course(),
    )

    assert form.errors == {NON_FIELD_ERRORS: [FREE_HAS_NO_PRICE]}


def test_database_rejects_free_course_with_a_price():
    course = new_course(price_kind=Course.PriceKind.FREE, price=Decimal("25.00"))

    with violates("course_free_has_no_price"):
        course.save()


@pytest.mark.parametrize("price", ["0", "0.00", ""])
def test_free_course_with_price_zero_or_none_is_accepted(price):
    form = form_for(
        Course,
        ["price_kind", "price"],
        {"price_kind": "free", "price": price},
        instance=new_course(),
    )

    assert form.errors == {}
    form.save()


@pytest.mark.parametrize("price_kind", ["fixed", "reduced", "on_request"])
def test_priced_kinds_accept_a_price(price_kind):
    form = form_for(
        Course,
        ["price_kind", "price"],
        {"price_kind": price_kind, "price": "25.00"},
        instance=new_course(),
    )

    assert form.errors == {}
    form.save()


# --- external id unique per provider, when given -------------------------------------------


def external_id_form(provider, external_id):
    return form_for(
        Course,
        ["provider", "external_id"],
        {"provider": provider.pk, "external_id": external_id},
        instance=new_course(provider=provider),
    )


def test_form_rejects_external_id_taken_at_the_provider():
    taken = make_course(external_id="K-4711")

    form = external_id_form(taken.provider, "K-4711")

    assert form.errors == {NON_FIELD_ERRORS: [EXTERNAL_ID_TAKEN]}


def test_database_rejects_external_id_taken_at_the_provider():
    taken = make_course(external_id="K-4711")

    with violates("course_external_id_unique_per_provider"):
        make_course(provider=taken.provider, external_id="K-4711")


def test_several_courses_without_external_id_are_accepted():
    first = make_course(external_id="")

    form = external_id_form(first.provider, "")

    assert form.errors == {}
    form.save()
    make_course(provider=first.provider, external_id="")  # and past validation
    assert Course.objects.filter(provider=first.provider, external_id="").count() == 3


def test_same_external_id_at_another_provider_is_accepted():
    make_course(external_id="K-4711")
    other_provider = make_provider()

    form = external_id_form(other_provider, "K-4711")

    assert form.errors == {}
    form.save()
    make_course(external_id="K-4711")  # a third provider, past validation


def test_course_keeps_its_own_external_id_when_edited():
    course = make_course(external_id="K-4711")

    form = form_for(
        Course,
        ["provider", "external_id"],
        {"provider": course.provider.pk, "external_id": "K-4711"},
        instance=course,
    )

    assert form.errors == {}
    form.save()


# --- course dates -------------------------------------------------------------------------


def test_form_rejects_date_ending_before_it_starts():
    form = form_for(
        CourseDate,
        ["start_date", "end_date"],
        {"start_date": "2025-09-01", "end_date": "2025-08-31"},
        instance=new_date(),
    )

    assert form.errors == {NON_FIELD_ERRORS: [END_AFTER_START]}


def test_database_rejects_date_ending_before_it_starts():
    course_date = new_date(end_date=DAY - dt.timedelta(days=1))

    with violates("coursedate_end_after_start"):
        course_date.save()


@pytest.mark.parametrize("end_date", ["2025-09-01", ""], ids=["same-day", "open-end"])
def test_date_ending_on_its_first_day_or_open_is_accepted(end_date):
    form = form_for(
        CourseDate,
        ["start_date", "end_date"],
        {"start_date": "2025-09-01", "end_date": end_date},
        instance=new_date(),
    )

    assert form.errors == {}
    form.save()


def test_form_rejects_date_without_start_or_rolling_start():
    form = form_for(
        CourseDate,
        ["start_date", "rolling_start"],
        {"start_date": ""},
        instance=new_date(),
    )

    assert form.errors == {NON_FIELD_ERRORS: [START_OR_ROLLING]}


def test_database_rejects_date_without_start_or_rolling_start():
    course_date = new_date(start_date=None, rolling_start=False)

    with violates("coursedate_start_or_rolling"):
        course_date.save()


@pytest.mark.parametrize(
    "data",
    [{"start_date": "", "rolling_start": "on"}, {"start_date": "2025-09-01"}],
    ids=["rolling-start", "start-date"],
)
def test_date_with_start_or_rolling_start_is_accepted(data):
    form = form_for(CourseDate, ["start_date", "rolling_start"], data, instance=new_date())

    assert form.errors == {}
    form.save()


@pytest.mark.parametrize("end_time", ["18:00", "17:59"], ids=["same-time", "earlier"])
def test_form_rejects_end_time_not_after_start_time(end_time):
    form = form_for(
        CourseDate,
        ["start_time", "end_time"],
        {"start_time": "18:00", "end_time": end_time},
        instance=new_date(),
    )

    assert form.errors == {NON_FIELD_ERRORS: [END_TIME_AFTER_START_TIME]}


@pytest.mark.parametrize(
    "end_time", [dt.time(18, 0), dt.time(17, 59)], ids=["same-time", "earlier"]
)
def test_database_rejects_end_time_not_after_start_time(end_time):
    course_date = new_date(start_time=dt.time(18, 0), end_time=end_time)

    with violates("coursedate_end_time_after_start_time"):
        course_date.save()


@pytest.mark.parametrize("end_time", ["18:01", ""], ids=["one-minute-later", "open-end"])
def test_end_time_after_start_time_or_open_is_accepted(end_time):
    form = form_for(
        CourseDate,
        ["start_time", "end_time"],
        {"start_time": "18:00", "end_time": end_time},
        instance=new_date(),
    )

    assert form.errors == {}
    form.save()


@pytest.mark.parametrize(
    ("weekdays", "message"),
    [
        (
            "0,7",
            "Element 2 im Array konnte nicht validiert werden: "
            "Bitte eine gültige Auswahl treffen. 7 ist keine gültige Auswahl.",
        ),
        (
            "-1",
            "Element 1 im Array konnte nicht validiert werden: "
            "Bitte eine gültige Auswahl treffen. -1 ist keine gültige Auswahl.",
        ),
    ],
)
def test_form_rejects_weekday_outside_monday_to_sunday(weekdays, message):
    # The field's own choices answer first, on the field, so the constraint's message is only
    # reached by validate_constraints() (next test; see the report).
    form = form_for(CourseDate, ["weekdays"], {"weekdays": weekdays}, instance=new_date())

    assert form.errors == {"weekdays": [message]}


@pytest.mark.parametrize("weekdays", [[0, 7], [-1]])
def test_validate_constraints_rejects_weekday_outside_monday_to_sunday(weekdays):
    course_date = new_date(weekdays=weekdays)

    with pytest.raises(ValidationError) as excinfo:
        course_date.validate_constraints()

    assert excinfo.value.message_dict == {NON_FIELD_ERRORS: [WEEKDAYS_VALID]}


@pytest.mark.parametrize("weekdays", [[0, 7], [-1]])
def test_database_rejects_weekday_outside_monday_to_sunday(weekdays):
    course_date = new_date(weekdays=weekdays)

    with violates("coursedate_weekdays_valid"):
        course_date.save()


@pytest.mark.parametrize("weekdays", ["0,1,2,3,4,5,6", "6", ""], ids=["all", "sunday", "none"])
def test_weekdays_monday_to_sunday_are_accepted(weekdays):
    form = form_for(CourseDate, ["weekdays"], {"weekdays": weekdays}, instance=new_date())

    assert form.errors == {}
    form.save()


# --- subjects: not their own parent -------------------------------------------------------


def make_subject() -> Subject:
    subject = new_subject()
    subject.save()
    return subject


def test_full_clean_rejects_subject_as_its_own_parent():
    subject = make_subject()
    subject.parent = subject

    assert full_clean_errors(subject) == {NON_FIELD_ERRORS: [SUBJECT_OWN_PARENT]}


def test_form_rejects_subject_as_its_own_parent():
    subject = make_subject()

    form = form_for(Subject, ["parent"], {"parent": subject.pk}, instance=subject)

    assert form.errors == {NON_FIELD_ERRORS: [SUBJECT_OWN_PARENT]}


def test_database_rejects_subject_as_its_own_parent():
    subject = make_subject()

    with violates("subject_not_own_parent"):
        Subject.objects.filter(pk=subject.pk).update(parent=F("pk"))


def test_subject_below_another_subject_is_accepted():
    parent, subject = make_subject(), make_subject()

    form = form_for(Subject, ["parent"], {"parent": parent.pk}, instance=subject)

    assert form.errors == {}
    form.save()


# --- funding types: educational leave names its state ---------------------------------------


def test_form_rejects_educational_leave_without_state():
    form = form_for(
        FundingType,
        ["kind", "state"],
        {"kind": "leave", "state": ""},
        instance=new_funding_type(),
    )

    assert form.errors == {NON_FIELD_ERRORS: [LEAVE_HAS_STATE]}


def test_database_rejects_educational_leave_without_state():
    funding_type = new_funding_type()
    funding_type.kind = FundingType.Kind.EDUCATIONAL_LEAVE

    with violates("fundingtype_leave_has_state"):
        funding_type.save()


def test_educational_leave_with_state_is_accepted():
    form = form_for(
        FundingType,
        ["kind", "state"],
        {"kind": "leave", "state": make_state().pk},
        instance=new_funding_type(),
    )

    assert form.errors == {}
    form.save()


@pytest.mark.parametrize(
    "kind", [kind for kind in FundingType.Kind.values if kind != FundingType.Kind.EDUCATIONAL_LEAVE]
)
def test_other_funding_kinds_without_state_are_accepted(kind):
    form = form_for(
        FundingType, ["kind", "state"], {"kind": kind, "state": ""}, instance=new_funding_type()
    )

    assert form.errors == {}
    form.save()


# --- unique fields: course slug, vocabulary names and slugs --------------------------------

UNIQUE_FIELDS = [
    pytest.param(
        new_course,
        "slug",
        "Kurs mit diesem Wert für das Feld Kurzadresse existiert bereits.",
        "measures_course_slug_key",
        id="course-slug",
    ),
    *(
        pytest.param(
            new,
            field,
            f"{label} mit diesem Wert für das Feld {field_label} existiert bereits.",
            f"measures_{table}_{field}_key",
            id=f"{table}-{field}",
        )
        for new, label, table in [
            (new_subject, "Fachgebiet", "subject"),
            (new_target_group, "Zielgruppe", "targetgroup"),
            (new_funding_type, "Förderart", "fundingtype"),
            (new_certificate_kind, "Abschlussart", "certificatekind"),
        ]
        for field, field_label in [("name", "Name"), ("slug", "Kurzadresse")]
    ),
]


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_form_rejects_value_taken_by_another_row(new, field, message, constraint):
    taken = new()
    taken.save()

    form = form_for(type(taken), [field], {field: getattr(taken, field)}, instance=new())

    assert form.errors == {field: [message]}


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_database_rejects_value_taken_by_another_row(new, field, message, constraint):
    taken = new()
    taken.save()
    duplicate = new()
    setattr(duplicate, field, getattr(taken, field))

    with violates(constraint):
        duplicate.save()


@pytest.mark.parametrize(("new", "field", "message", "constraint"), UNIQUE_FIELDS)
def test_form_accepts_keeping_its_own_value(new, field, message, constraint):
    row = new()
    row.save()

    form = form_for(type(row), [field], {field: getattr(row, field)}, instance=row)

    assert form.errors == {}
    form.save()
