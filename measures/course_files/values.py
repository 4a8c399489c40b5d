"""From the text of a record to the values of a course, its dates and modules.

One place for every format: dates as ``TT.MM.JJJJ`` or ISO, numbers with a comma or a point,
yes/no, choices by their German label or stored value, vocabularies by name or slug
(case-insensitive). The model's check constraints are applied here too, with the model's own
messages, so that an import names the row of a violation before anything is written (checking
each instance against the database, as ``full_clean`` does, would cost a query per
constraint and row). ``tests/measures/test_course_files.py`` fails when a check constraint
of a course or a date is not covered.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from measures.course_files.columns import BY_KEY, LIST_SEPARATOR
from measures.course_files.records import NO, YES, CourseRecord, RowError, Source
from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Subject,
    TargetGroup,
)
from measures.models.dates import WEEKDAYS

WEEKDAY_NAMES = {
    **{str(number): number for number, _label in WEEKDAYS},
    **{"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6},
    **{str(label).casefold(): number for number, label in WEEKDAYS},
}
GERMAN_DATE = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})")
ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ]00:00(?::00)?)?")
TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::00)?(?:\s*Uhr)?")
WEEKDAY_SHORT = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]

# The check constraints applied here (by name): the test compares them with the models'.
CHECKED_CONSTRAINTS = frozenset(
    {
        "course_price_not_negative",
        "course_hours_not_negative",
        "course_free_has_no_price",
        "coursedate_end_after_start",
        "coursedate_start_or_rolling",
        "coursedate_end_time_after_start_time",
        "coursedate_price_not_negative",
        "coursedate_weekdays_valid",
    }
)
VOCABULARIES = {
    "subjects": Subject,
    "target_groups": TargetGroup,
    "funding": FundingType,
    "certificate_kind": CertificateKind,
}


def constraint_message(model, name: str) -> str:
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    raise LookupError(name)


@dataclass
class Vocabulary:
    """A vocabulary's entries by folded name and slug, and their names by id (for export)."""

    model: type
    ids: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, model) -> Vocabulary:
        vocabulary = cls(model)
        for pk, name, slug in model.objects.values_list("pk", "name", "slug"):
            vocabulary.ids[name.casefold()] = pk
            vocabulary.ids.setdefault(slug.casefold(), pk)
            vocabulary.names[pk] = name
        return vocabulary


def load_vocabularies() -> dict[str, Vocabulary]:
    return {name: Vocabulary.load(model) for name, model in VOCABULARIES.items()}


@dataclass(frozen=True)
class VenueSpec:
    name: str
    street: str
    postal_code: str
    city: str

    def key(self) -> tuple:
        return tuple(
            part.casefold() for part in (self.name, self.street, self.postal_code, self.city)
        )


@dataclass
class CourseValues:
    """A record converted: the course's fields (by attribute name), links, keywords, dates
    and modules; or the errors that stopped it."""

    record: CourseRecord
    fields: dict = field(default_factory=dict)
    links: dict[str, list[int]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)  # with "venue": VenueSpec | None
    modules: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class _Converter:
    def __init__(self, values: CourseValues):
        self.out = values

    def error(self, source: Source, key: str, message) -> None:
        self.out.errors.append(RowError(source, key, message))

    def text(self, source, key, raw, model, name):
        max_length = _max_length(model, name)
        if max_length and len(raw) > max_length:
            self.error(
                source,
                key,
                _("Der Text ist zu lang: %(length)s Zeichen, höchstens %(max)s.")
                % {"length": len(raw), "max": max_length},
            )
        return raw

    def boolean(self, source, key, raw) -> bool:
        folded = raw.casefold()
        if folded in YES:
            return True
        if folded not in NO:
            self.error(source, key, _("„%(value)s“: bitte „ja“ oder „nein“.") % {"value": raw})
        return False

    def date(self, source, key, raw):
        if not raw:
            return None
        value = parse_date(raw)
        if value is None:
            self.error(source, key, _("„%(value)s“ ist kein Datum (TT.MM.JJJJ).") % {"value": raw})
        return value

    def time(self, source, key, raw):
        if not raw:
            return None
        value = parse_time(raw)
        if value is None:
            self.error(source, key, _("„%(value)s“ ist keine Uhrzeit (SS:MM).") % {"value": raw})
        return value

    def decimal(self, source, key, raw, places: int):
        if not raw:
            return None
        text = raw.replace("€", "").replace("EUR", "").replace(" ", "").strip()
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.error(source, key, _("„%(value)s“ ist keine Zahl.") % {"value": raw})
            return None
        if not value.is_finite() or abs(value) >= Decimal(10) ** (7 if places == 2 else 6):
            self.error(source, key, _("„%(value)s“ ist keine sinnvolle Zahl.") % {"value": raw})
            return None
        if value != value.quantize(Decimal(1).scaleb(-places)):
            self.error(
                source,
                key,
                _("„%(value)s“: höchstens %(places)s Nachkommastellen.")
                % {"value": raw, "places": places},
            )
            return None
        return value.quantize(Decimal(1).scaleb(-places))

    def integer(self, source, key, raw):
        if not raw:
            return None
        if re.fullmatch(r"\d{1,9}", raw):
            return int(raw)
        self.error(
            source, key, _("„%(value)s“ ist keine ganze Zahl (0 oder größer).") % {"value": raw}
        )
        return None

    def choice(self, source, key, raw, choices_class, default):
        default = str(default.value)  # a plain value, as the database gives it back
        if not raw:
            return default
        found = _choices(choices_class).get(raw.casefold())
        if found is not None:
            return found
        self.error(
            source,
            key,
            _("„%(value)s“ ist nicht bekannt. Möglich: %(choices)s.")
            % {
                "value": raw,
                "choices": ", ".join(str(label) for _v, label in choices_class.choices),
            },
        )
        return default

    def vocabulary(self, source, key, raw, vocabulary: Vocabulary) -> list[int]:
        ids = []
        for item in split_list(raw):
            pk = vocabulary.ids.get(item.casefold())
            if pk is None:
                self.error(
                    source,
                    key,
                    _(
                        "„%(value)s“ ist keine %(vocabulary)s des Bildungsatlas. Bitte einen "
                        "Namen aus der Liste verwenden (Arbeitsbereich → %(plural)s)."
                    )
                    % {
                        "value": item,
                        "vocabulary": vocabulary.model._meta.verbose_name,
                        "plural": vocabulary.model._meta.verbose_name_plural,
                    },
                )
            elif pk not in ids:
                ids.append(pk)
        return sorted(ids)


@functools.lru_cache(maxsize=4096)  # a file repeats its dates and times
def parse_date(raw: str) -> dt.date | None:
    match = GERMAN_DATE.fullmatch(raw) or ISO_DATE.fullmatch(raw)
    if not match:
        return None
    day, month, year = (int(match[name]) for name in ("d", "m", "y"))
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def parse_time(raw: str) -> dt.time | None:
    match = TIME.fullmatch(raw)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return dt.time(int(match[1]), int(match[2]))
    return None


@functools.cache
def _max_length(model, name) -> int | None:
    return model._meta.get_field(name).max_length


def _choices(choices_class) -> dict[str, str]:
    """Folded values and (German) labels → values; per language, as labels are translated."""
    language = get_language() or ""
    key = (choices_class, language)
    if key not in _CHOICES:
        table = {}
        for value, label in choices_class.choices:
            table[str(label).casefold()] = value
            table[value.casefold()] = value
        _CHOICES[key] = table
    return _CHOICES[key]


_CHOICES: dict[tuple, dict[str, str]] = {}


def split_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(LIST_SEPARATOR) if item.strip()]


TEXT_FIELDS = (
    "title",
    "summary",
    "description",
    "objectives",
    "contents",
    "prerequisites",
    "certificate_details",
    "price_notes",
    "registration_url",
    "registration_notes",
)


def convert(record: CourseRecord, vocabularies: dict[str, Vocabulary]) -> CourseValues:
    """The record's values converted and checked (not yet against the database)."""
    out = CourseValues(record)
    c = _Converter(out)
    raw = record.values
    fields = out.fields
    for column in BY_KEY.values():
        if column.part != "course" or column.field not in TEXT_FIELDS:
            continue
        fields[column.field] = c.text(
            record.source_of(column.key), column.key, raw.get(column.key, ""), Course, column.field
        )
    if fields["registration_url"]:
        try:
            URLValidator(schemes=["http", "https"])(fields["registration_url"])
        except ValidationError:
            c.error(
                record.source_of("anmeldung_link"),
                "anmeldung_link",
                _("„%(value)s“ ist kein gültiger Link (https://…).")
                % {"value": fields["registration_url"][:80]},
            )
    if not fields["title"] and not record.delete:
        c.error(record.source, "titel", _("Der Titel fehlt."))
    src = record.source_of
    fields["external_id"] = c.text(
        record.source, "kennung", record.external_id, Course, "external_id"
    )
    fields["kind"] = c.choice(
        src("art"), "art", raw.get("art", ""), Course.Kind, Course.Kind.COURSE
    )
    fields["language"] = c.choice(
        src("sprache"), "sprache", raw.get("sprache", ""), Course.Language, Course.Language.GERMAN
    )
    fields["price_kind"] = c.choice(
        src("preisangabe"),
        "preisangabe",
        raw.get("preisangabe", ""),
        Course.PriceKind,
        Course.PriceKind.FIXED,
    )
    fields["hours"] = c.decimal(src("zeitstunden"), "zeitstunden", raw.get("zeitstunden", ""), 1)
    fields["teaching_units"] = c.integer(
        src("unterrichtseinheiten"), "unterrichtseinheiten", raw.get("unterrichtseinheiten", "")
    )
    fields["price"] = c.decimal(src("preis"), "preis", raw.get("preis", ""), 2)
    fields["easy_language"] = c.boolean(
        src("leichte_sprache"), "leichte_sprache", raw.get("leichte_sprache", "")
    )
    fields["childcare"] = c.boolean(
        src("kinderbetreuung"), "kinderbetreuung", raw.get("kinderbetreuung", "")
    )
    if fields["price"] is not None and fields["price"] < 0:
        c.error(src("preis"), "preis", constraint_message(Course, "course_price_not_negative"))
    if fields["hours"] is not None and fields["hours"] < 0:
        c.error(
            src("zeitstunden"),
            "zeitstunden",
            constraint_message(Course, "course_hours_not_negative"),
        )
    if fields["price_kind"] == Course.PriceKind.FREE and fields["price"]:
        c.error(src("preis"), "preis", constraint_message(Course, "course_free_has_no_price"))
    certificate = c.vocabulary(
        src("abschluss"), "abschluss", raw.get("abschluss", ""), vocabularies["certificate_kind"]
    )
    if len(certificate) > 1:
        c.error(src("abschluss"), "abschluss", _("Bitte nur eine Abschlussart angeben."))
    fields["certificate_kind_id"] = certificate[0] if certificate else None
    for name, key in (
        ("subjects", "fachgebiete"),
        ("target_groups", "zielgruppen"),
        ("funding", "foerderung"),
    ):
        out.links[name] = c.vocabulary(src(key), key, raw.get(key, ""), vocabularies[name])
    keywords = []
    for word in split_list(raw.get("schlagwoerter", "")):
        if len(word) > 100:
            c.error(
                src("schlagwoerter"),
                "schlagwoerter",
                _("Ein Schlagwort hat höchstens 100 Zeichen."),
            )
        elif word not in keywords:
            keywords.append(word)
    out.keywords = sorted(keywords)
    for part in record.dates:
        out.dates.append(_date(c, part.source, part.values))
    for position, part in enumerate(record.modules, start=1):
        out.modules.append(_module(c, part.source, part.values, position))
    return out


def _date(c: _Converter, source: Source, raw: dict) -> dict:
    date = {
        "external_id": c.text(
            source, "termin_kennung", raw.get("termin_kennung", ""), CourseDate, "external_id"
        ),
        "start_date": c.date(source, "beginn", raw.get("beginn", "")),
        "end_date": c.date(source, "ende", raw.get("ende", "")),
        "rolling_start": c.boolean(source, "einstieg_jederzeit", raw.get("einstieg_jederzeit", "")),
        "start_time": c.time(source, "uhrzeit_von", raw.get("uhrzeit_von", "")),
        "end_time": c.time(source, "uhrzeit_bis", raw.get("uhrzeit_bis", "")),
        "schedule_notes": c.text(
            source, "zeiten_hinweise", raw.get("zeiten_hinweise", ""), CourseDate, "schedule_notes"
        ),
        "mode": c.choice(
            source, "form", raw.get("form", ""), CourseDate.Mode, CourseDate.Mode.IN_PERSON
        ),
        "seats": c.integer(source, "plaetze", raw.get("plaetze", "")),
        "booking_status": c.choice(
            source,
            "buchungsstand",
            raw.get("buchungsstand", ""),
            CourseDate.BookingStatus,
            CourseDate.BookingStatus.OPEN,
        ),
        "registration_deadline": c.date(source, "anmeldeschluss", raw.get("anmeldeschluss", "")),
        "price": c.decimal(source, "termin_preis", raw.get("termin_preis", ""), 2),
    }
    weekdays = []
    for item in split_list(raw.get("wochentage", "").replace(",", LIST_SEPARATOR)):
        number = WEEKDAY_NAMES.get(item.casefold().rstrip("."))
        if number is None:
            c.error(
                source,
                "wochentage",
                _("„%(value)s“ ist kein Wochentag (Mo, Di, Mi, Do, Fr, Sa, So).") % {"value": item},
            )
        elif number not in weekdays:
            weekdays.append(number)
    date["weekdays"] = sorted(weekdays)
    if date["start_date"] and date["end_date"] and date["end_date"] < date["start_date"]:
        c.error(source, "ende", constraint_message(CourseDate, "coursedate_end_after_start"))
    if not date["rolling_start"] and not date["start_date"] and "beginn" not in raw:
        c.error(source, "beginn", constraint_message(CourseDate, "coursedate_start_or_rolling"))
    if date["start_time"] and date["end_time"] and date["end_time"] <= date["start_time"]:
        c.error(
            source,
            "uhrzeit_bis",
            constraint_message(CourseDate, "coursedate_end_time_after_start_time"),
        )
    if date["price"] is not None and date["price"] < 0:
        c.error(
            source, "termin_preis", constraint_message(CourseDate, "coursedate_price_not_negative")
        )
    venue = VenueSpec(
        name=raw.get("ort", ""),
        street=raw.get("ort_strasse", ""),
        postal_code=raw.get("ort_plz", ""),
        city=raw.get("ort_ort", ""),
    )
    if venue.street or venue.postal_code or venue.city:
        if not venue.name:
            c.error(source, "ort", _("Bitte den Namen des Veranstaltungsorts angeben."))
    date["venue"] = venue if venue.name else None
    date["source"] = source
    return date


def _module(c: _Converter, source: Source, raw: dict, position: int) -> dict:
    title = c.text(source, "modul_titel", raw.get("modul_titel", ""), Course, "title")
    if not title:
        c.error(source, "modul_titel", _("Ein Modul braucht einen Titel."))
    return {
        "position": position,
        "title": title,
        "contents": raw.get("modul_inhalte", ""),
        "teaching_units": c.integer(source, "modul_ue", raw.get("modul_ue", "")),
    }


def choice_label(choices_class, value) -> str:
    return str(dict(choices_class.choices).get(value, value))


def weekday_text(weekdays) -> str:
    return LIST_SEPARATOR.join(WEEKDAY_SHORT[day] for day in sorted(weekdays))
