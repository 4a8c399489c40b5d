"""Write courses in the import format: the templates (header, one example row, the columns
explained) and an organisation's own offers (export → import changes nothing).

CSV is written as Excel reads it in Germany: UTF-8 with BOM, semicolons. A cell that starts
with ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe, so that no spreadsheet takes it
for a formula; the import removes it again. XLSX cells are always written as text or numbers,
never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from measures.course_files.columns import COLUMNS, KEYS, LIST_SEPARATOR
from measures.course_files.readers import FORMULA_PREFIXES
from measures.course_files.records import course_key
from measures.course_files.values import (
    VOCABULARIES,
    Vocabulary,
    choice_label,
    weekday_text,
)
from measures.models import Course, CourseDate


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _date_text(value) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _time_text(value) -> str:
    return value.strftime("%H:%M") if value else ""


def _number(value) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _yes(value: bool) -> str:
    return "ja" if value else ""


def course_rows(courses: Iterable[Course]) -> Iterator[dict[str, str]]:
    """The rows of each course (keyed by its external id, or "bildungsatlas-<id>" where it
    has none: the import finds it by that): the course's columns on its first row, then one
    date and one module per row. ``courses`` should prefetch subjects, target groups,
    funding, tagged items, modules and dates with their venues (``export_queryset``)."""
    vocabularies = {name: Vocabulary.load(model) for name, model in VOCABULARIES.items()}
    for course in courses:
        key = course_key(course)
        first = {
            "kennung": key,
            "anbieter": course.provider.slug,
            "titel": course.title,
            "art": choice_label(Course.Kind, course.kind),
            "kurzbeschreibung": course.summary,
            "beschreibung": course.description,
            "lernziele": course.objectives,
            "inhalte": course.contents,
            "voraussetzungen": course.prerequisites,
            "fachgebiete": _names(course.subjects.all(), vocabularies["subjects"]),
            "schlagwoerter": LIST_SEPARATOR.join(sorted(tag.name for tag in course.keywords.all())),
            "zielgruppen": _names(course.target_groups.all(), vocabularies["target_groups"]),
            "sprache": choice_label(Course.Language, course.language),
            "abschluss": vocabularies["certificate_kind"].names.get(course.certificate_kind_id, ""),
            "abschluss_details": course.certificate_details,
            "foerderung": _names(course.funding.all(), vocabularies["funding"]),
            "zeitstunden": _number(course.hours),
            "unterrichtseinheiten": _number(course.teaching_units),
            "preis": _number(course.price),
            "preisangabe": choice_label(Course.PriceKind, course.price_kind),
            "preis_hinweise": course.price_notes,
            "leichte_sprache": _yes(course.easy_language),
            "kinderbetreuung": _yes(course.childcare),
            "anmeldung_link": course.registration_url,
            "anmeldung_hinweise": course.registration_notes,
        }
        dates = sorted(course.dates.all(), key=lambda date: date.pk)
        modules = sorted(course.modules.all(), key=lambda module: (module.position, module.pk))
        for index in range(max(1, len(dates), len(modules))):
            row = dict(first) if index == 0 else {"kennung": key}
            if index < len(dates):
                row.update(_date(dates[index]))
            if index < len(modules):
                module = modules[index]
                row.update(
                    {
                        "modul_titel": module.title,
                        "modul_ue": _number(module.teaching_units),
                        "modul_inhalte": module.contents,
                    }
                )
            yield row


def _names(items, vocabulary: Vocabulary) -> str:
    return LIST_SEPARATOR.join(sorted(vocabulary.names[item.pk] for item in items))


def _date(date: CourseDate) -> dict[str, str]:
    venue = date.venue
    return {
        "termin_kennung": date.external_id,
        "beginn": _date_text(date.start_date),
        "ende": _date_text(date.end_date),
        "einstieg_jederzeit": _yes(date.rolling_start),
        "wochentage": weekday_text(date.weekdays),
        "uhrzeit_von": _time_text(date.start_time),
        "uhrzeit_bis": _time_text(date.end_time),
        "zeiten_hinweise": date.schedule_notes,
        "form": choice_label(CourseDate.Mode, date.mode),
        "ort": venue.name if venue else "",
        "ort_strasse": venue.street if venue else "",
        "ort_plz": venue.postal_code if venue else "",
        "ort_ort": venue.city if venue else "",
        "plaetze": _number(date.seats),
        "buchungsstand": choice_label(CourseDate.BookingStatus, date.booking_status),
        "anmeldeschluss": _date_text(date.registration_deadline),
        "termin_preis": _number(date.price),
    }


def export_queryset(queryset):
    """The courses to export with everything ``course_rows`` reads, in a fixed number of
    queries per chunk."""
    return (
        queryset.select_related("provider")
        .prefetch_related(
            "subjects", "target_groups", "funding", "keywords", "modules", "dates__venue"
        )
        .order_by("external_id", "pk")
    )


def example_row() -> dict[str, str]:
    return {column.key: column.example for column in COLUMNS}


# CSV ----------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """The CSV text, line by line (for a streaming response): BOM, header, rows."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(KEYS)
    for row in rows:
        yield writer.writerow([neutralise(row.get(key, "")) for key in KEYS])


def csv_bytes(rows: Iterable[dict[str, str]]) -> bytes:
    return "".join(csv_lines(rows)).encode("utf-8")


# XLSX ---------------------------------------------------------------------------------------


def xlsx_bytes(rows: Iterable[dict[str, str]], *, explain: bool = True) -> bytes:
    """An XLSX workbook (written streaming): the sheet "Kurse" with the header and the rows,
    and with ``explain`` a second sheet "Erklärung" that explains every column."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Kurse"))

    def text_cell(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    sheet.append([text_cell(key) for key in KEYS])
    for row in rows:
        sheet.append([text_cell(row.get(key, "")) for key in KEYS])
    if explain:
        notes = workbook.create_sheet(_("Erklärung"))
        notes.append([_("Spalte"), _("Pflicht"), _("Bedeutung"), _("Beispiel")])
        for column in COLUMNS:
            notes.append(
                [
                    column.key,
                    _("ja") if column.required else "",
                    str(column.help),
                    column.example,
                ]
            )
        for line in rules():
            notes.append(["", "", line, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rules() -> list[str]:
    """The rules of the format, in German (the template's second sheet, the docs page)."""
    return [
        _(
            "Ein Angebot kann mehrere Zeilen haben: alle Zeilen mit derselben Kennung gehören "
            "zu einem Angebot. Die Angaben zum Angebot (Titel bis Anmeldung) stehen in seiner "
            "ersten Zeile; jede Zeile kann einen Termin (Beginn oder Einstieg jederzeit, Ort "
            "…) und ein Modul (Modul-Titel, UE, Inhalte) hinzufügen."
        ),
        _(
            "Ein erneuter Import derselben Datei ändert nichts. Ein geänderter Wert ändert das "
            "Angebot: Termine und Preise sofort, Inhalte eines veröffentlichten Angebots in "
            "einem prüfenden Netzwerk erst nach der Prüfung."
        ),
        _(
            "Vor dem Speichern zeigt der Import, was neu angelegt, geändert, unverändert und "
            "archiviert würde, und jeden Fehler mit Zeile und Spalte. Gespeichert wird nur "
            "alles oder nichts."
        ),
        _(
            "Listen (Fachgebiete, Schlagwörter, Zielgruppen, Förderung, Wochentage) werden mit "
            "| getrennt. Datumsangaben als TT.MM.JJJJ, Uhrzeiten als SS:MM, Beträge mit Komma."
        ),
        _(
            "CSV-Dateien: Komma oder Semikolon als Trennzeichen, UTF-8 (mit oder ohne BOM) "
            "oder Windows-1252. Excel-Dateien (.xlsx): das erste Blatt wird gelesen; Formeln "
            "werden nicht ausgerechnet, sondern abgelehnt."
        ),
        _(
            "openQ-cat 1.1 (XML, wie für KURSNET): ein SERVICE je Angebot, PRODUCT_ID als "
            "Kennung, ein MODULE_COURSE je Termin; Spalten ohne eigenes Element als FEATURE mit "
            'dem Spaltennamen als FNAME. SERVICE mode="delete" archiviert.'
        ),
    ]
