"""Exports of a course search's result: CSV, XLSX, iCalendar and JSON, written as streams.

``export_rows`` reads the found courses in batches (constant memory however many there are) in
the search's order; each writer turns them into chunks of bytes (``chunks`` for any format),
which a streaming response sends directly and an export job (``measures.export_jobs``) writes
to a file. Text
that a spreadsheet would run as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, also after leading spaces) is neutralised with a leading apostrophe in
CSV and XLSX (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from core import listing
from core.ical import BERLIN, new_calendar
from measures import selectors
from measures.calendar import PRODUCT_ID, calendar_dates, event_for
from measures.models import Course, CourseDate

BATCH = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/json",
}


def filename(kind: str, day: date | None = None) -> str:
    """The name a downloaded export is saved under: ``kurse-2026-12-07.csv``."""
    return f"kurse-{day or timezone.localdate():%Y-%m-%d}.{kind}"


def export_limit(kind: str = "csv") -> int:
    """How many courses an export of this kind takes directly. A calendar holds every date of
    each course and the icalendar package writes ~1 ms per event (10,000 courses: 37 s, more
    than a web worker's timeout), so it takes fewer. Larger results: a background job
    (``measures.export_jobs``), up to ``EXPORT_JOB_MAX_ROWS``."""
    if kind == "ics":
        return getattr(settings, "EXPORT_MAX_CALENDAR_COURSES", 2_000)
    return getattr(settings, "EXPORT_MAX_ROWS", 10_000)


def export_params(query: QueryDict) -> QueryDict:
    """The search's parameters of an export's address: those of /kurse/, without its page."""
    params = listing.bounded(query)
    params.pop("page", None)
    return params


def _address(name: str, params: QueryDict) -> str:
    query = params.urlencode()
    return reverse(name) + (f"?{query}" if query else "")


def search_url(params: QueryDict) -> str:
    """The search page with these parameters."""
    return _address("measures:course_list", params)


def export_url(kind: str, params: QueryDict) -> str:
    """The direct export of the search with these parameters in this format."""
    return _address(f"measures:export_{kind}", params)


def neutralised(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before anything it would read as a
    formula (also after leading spaces, and a tab, CR or LF at the start)."""
    if value.startswith(FORMULA_STARTS) or value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class ExportCourse:
    """A found course as its export rows read it: the course (provider, certificate) with its
    current dates (venues) and its subjects, target groups and funding."""

    course: Course
    vocabularies: dict[str, list]
    url: str  # the course page's address


class _Labels:
    """The labels of the choices a row shows, translated once per export (a lazy label is
    looked up again at every use: 20 µs each, several per row)."""

    def __init__(self):
        self.kinds = {value: str(label) for value, label in Course.Kind.choices}
        self.languages = {value: str(label) for value, label in Course.Language.choices}
        self.price_kinds = {value: str(label) for value, label in Course.PriceKind.choices}
        self.modes = {value: str(label) for value, label in CourseDate.Mode.choices}
        self.rolling = _("Einstieg jederzeit")


def _course_url_prefix(base_url: str) -> str:
    """The address of a course page up to its slug (one ``reverse`` per export, not per row)."""
    marker = "slug-marker"
    path = reverse("measures:course_detail", kwargs={"slug": marker})
    return base_url + path[: path.index(marker)]


def export_rows(ids: list[int], *, base_url: str) -> Iterator[ExportCourse]:
    """The courses with these ids, in this order, in batches of ``BATCH`` (only those still
    public: the search index may lag a change)."""
    prefix = _course_url_prefix(base_url)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        found = {
            course.pk: course
            for course in selectors.with_card_data(
                selectors.public_courses().filter(pk__in=batch)
            ).select_related("certificate_kind")
        }
        for pk in batch:
            course = found.get(pk)
            if course is not None:
                url = f"{prefix}{course.slug}/"
                yield ExportCourse(course, selectors.course_vocabularies(course), url)


# One row per course ------------------------------------------------------------------------------


def columns() -> list[str]:
    return [
        _("Kennung"),
        _("Titel"),
        _("Anbieter"),
        _("Art"),
        _("Kurzbeschreibung"),
        _("Themen"),
        _("Zielgruppen"),
        _("Förderung"),
        _("Abschluss"),
        _("Unterrichtssprache"),
        _("Preis in Euro"),
        _("Preisart"),
        _("Unterrichtseinheiten"),
        _("Nächster Beginn"),
        _("Termine"),
        _("Orte"),
        _("Formen"),
        _("Anmeldung"),
        _("Adresse"),
        _("zuletzt aktualisiert"),
    ]


def _names(entries) -> str:
    return ", ".join(entry.name for entry in entries)


def _date_text(date, labels: _Labels) -> str:
    if date.rolling_start:
        return labels.rolling
    if date.start_date is None:
        return ""
    if date.end_date and date.end_date != date.start_date:
        return f"{date.start_date:%d.%m.%Y}–{date.end_date:%d.%m.%Y}"
    return f"{date.start_date:%d.%m.%Y}"


def row(item: ExportCourse, labels: _Labels) -> list:
    """A course's cells: text, numbers, dates (formulas are neutralised by the writers)."""
    course, dates = item.course, item.course.current_dates
    starts = [date.start_date for date in dates if date.start_date and not date.rolling_start]
    places = dict.fromkeys(date.venue.city for date in dates if date.venue and date.venue.city)
    modes = dict.fromkeys(labels.modes.get(date.mode, date.mode) for date in dates)
    return [
        course.pk,
        course.title,
        course.provider.name,
        labels.kinds.get(course.kind, course.kind),
        course.summary,
        _names(item.vocabularies["subjects"]),
        _names(item.vocabularies["target_groups"]),
        _names(item.vocabularies["funding"]),
        course.certificate_kind.name if course.certificate_kind else "",
        labels.languages.get(course.language, course.language),
        course.price,
        labels.price_kinds.get(course.price_kind, course.price_kind),
        course.teaching_units,
        min(starts) if starts else None,
        "; ".join(filter(None, (_date_text(date, labels) for date in dates))),
        ", ".join(places),
        ", ".join(modes),
        course.registration_url,
        item.url,
        timezone.localtime(course.updated_at).replace(tzinfo=None),
    ]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralised(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")  # as German Excel reads a number
    return str(value)


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(items: Iterable[ExportCourse]) -> Iterator[bytes]:
    """UTF-8 with BOM, semicolons, CRLF: what German Excel opens correctly by double-click."""
    writer = csv.writer(_Line(), delimiter=";")
    labels = _Labels()
    yield ("\ufeff" + writer.writerow(columns())).encode()
    for item in items:
        yield writer.writerow([_csv_cell(value) for value in row(item, labels)]).encode()


def _xlsx_cell(value):
    if isinstance(value, str):
        return neutralised(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


class _Sink(io.RawIOBase):
    """A write-only file that cannot seek (so zipfile writes each member's sizes after its
    data) and hands back what was written to it since it was last asked."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class _RestOfWorkbook(ExcelWriter):
    """openpyxl's writer for everything but the worksheet, which is in the archive already."""

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


XLSX_FLUSH_ROWS = 200  # rows between two chunks of the zip stream
ZIP64_ABOVE = 500_000  # rows above which the sheet may outgrow 2 GB (zip64 sizes needed)


def xlsx_chunks(items: Iterable[ExportCourse], *, count: int = 0) -> Iterator[bytes]:
    """The workbook as a stream: the sheet is written into the zip archive row by row with
    openpyxl's write-only worksheet (each row serialised and compressed as it comes, none kept),
    then the workbook's other parts (styles, with the date formats the rows used; content types).
    ``count``: how many rows to expect (a sheet of millions needs zip64 sizes)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Kurse"))
    sheet._id = 1  # its part's name, as ExcelWriter numbers the sheets
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open(sheet.path[1:], "w", force_zip64=count > ZIP64_ABOVE) as member:
            sheet._writer = WorksheetWriter(sheet, out=member)
            sheet._writer.write_top()
            sheet.append(columns())
            yield sink.take()  # the member's header: the download starts at once
            labels = _Labels()
            for number, item in enumerate(items, 1):
                sheet.append([_xlsx_cell(value) for value in row(item, labels)])
                if number % XLSX_FLUSH_ROWS == 0:
                    yield sink.take()
            sheet.close()
        workbook.properties.modified = timezone.now().replace(tzinfo=None)
        _RestOfWorkbook(workbook, archive).write_data()
    yield sink.take()


# iCalendar: every current date of every course ------------------------------------------------


def _timezone_block() -> bytes:
    """The VTIMEZONE of German local time, as icalendar writes it for the course calendars."""
    calendar = Calendar()
    event = Event()
    event.add("dtstart", datetime(2026, 1, 1, 12, tzinfo=BERLIN))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return b"".join(
        component.to_ical() for component in calendar.subcomponents if component.name == "VTIMEZONE"
    )


def ical_chunks(items: Iterable[ExportCourse], *, host: str, name: str) -> Iterator[bytes]:
    """One calendar with an event for each current date a calendar can hold (as the course
    page's calendar files), written event by event."""
    head = new_calendar(product_id=PRODUCT_ID, name=name)
    opening = head.to_ical().removesuffix(b"END:VCALENDAR\r\n")
    yield opening + _timezone_block()
    for item in items:
        for course_date in calendar_dates(item.course.current_dates):
            event = event_for(item.course, course_date, host=host)
            if event is not None:
                yield event.to_ical()
    yield b"END:VCALENDAR\r\n"


# JSON -------------------------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def course_json(item: ExportCourse) -> dict:
    course = item.course
    vocabularies = item.vocabularies
    return {
        "id": course.pk,
        "slug": course.slug,
        "title": course.title,
        "url": item.url,
        "provider": {
            "id": course.provider_id,
            "slug": course.provider.slug,
            "name": course.provider.name,
        },
        "kind": course.kind,
        "summary": course.summary,
        "subjects": [entry.slug for entry in vocabularies["subjects"]],
        "target_groups": [entry.slug for entry in vocabularies["target_groups"]],
        "funding": [entry.slug for entry in vocabularies["funding"]],
        "certificate_kind": course.certificate_kind.slug if course.certificate_kind else None,
        "language": course.language,
        "price": _json_value(course.price),
        "price_kind": course.price_kind,
        "teaching_units": course.teaching_units,
        "registration_url": course.registration_url,
        "updated_at": _json_value(course.updated_at),
        "dates": [
            {
                "id": date.pk,
                "start_date": _json_value(date.start_date),
                "end_date": _json_value(date.end_date),
                "rolling_start": date.rolling_start,
                "weekdays": list(date.weekdays or []),
                "start_time": _json_value(date.start_time and date.start_time.isoformat()),
                "end_time": _json_value(date.end_time and date.end_time.isoformat()),
                "mode": date.mode,
                "city": date.venue.city if date.venue else None,
                "postal_code": date.venue.postal_code if date.venue else None,
                "booking_status": date.booking_status,
            }
            for date in course.current_dates
        ],
    }


def json_chunks(items: Iterable[ExportCourse], *, count: int) -> Iterator[bytes]:
    """``{"count": n, "courses": [...]}``, one course at a time."""
    yield f'{{"count": {count:d}, "courses": ['.encode()
    for number, item in enumerate(items):
        prefix = b"," if number else b""
        yield prefix + b"\n" + json.dumps(course_json(item), ensure_ascii=False).encode()
    yield b"\n]}\n"


# Any format ---------------------------------------------------------------------------------


def chunks(kind: str, items: Iterable[ExportCourse], *, count: int, host: str) -> Iterator[bytes]:
    """The export of these courses in a format of ``CONTENT_TYPES`` as chunks of bytes (for a
    streaming response or a file). ``count``: how many the search found; ``host``: the site's
    host, for the calendar's event ids."""
    if kind == "csv":
        return csv_chunks(items)
    if kind == "xlsx":
        return xlsx_chunks(items, count=count)
    if kind == "ics":
        return ical_chunks(items, host=host, name=_("Kurse – Bildungsatlas"))
    if kind == "json":
        return json_chunks(items, count=count)
    raise ValueError(f"No export format {kind!r}")


__all__ = [
    "CONTENT_TYPES",
    "chunks",
    "csv_chunks",
    "export_limit",
    "export_params",
    "export_url",
    "export_rows",
    "filename",
    "ical_chunks",
    "json_chunks",
    "search_url",
    "xlsx_chunks",
]
