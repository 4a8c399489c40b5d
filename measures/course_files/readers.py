"""Read a course file (CSV, XLSX or openQ-cat XML: ``openqcat``) into ``CourseRecord``s, streaming.

Never trusts the file: the kind is told from its first bytes (not its name), CSV text is UTF-8
(with or without BOM) or else Windows-1252 as Excel writes it, with comma, semicolon or tab
between the cells; an XLSX is read with openpyxl in read-only mode, row by row, and a formula
is refused, never evaluated (openpyxl evaluates none; the message asks for the values). What
cannot be read at all raises ``FileError`` with a German message; a bad value in a row is a
``RowError`` with its line and column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator

import openpyxl
from django.utils.translation import gettext as _

from measures.course_files.columns import (
    BY_KEY,
    COURSE_KEYS,
    DATE_KEYS,
    MODULE_KEYS,
    normalise_header,
)
from measures.course_files.openqcat import read_openqcat
from measures.course_files.records import (
    CourseRecord,
    FileError,
    PartRecord,
    ReadResult,
    RowError,
    Source,
)

MAX_COLUMNS = 200
CHUNK = 1 << 16
FORMULA_PREFIXES = ("=", "+", "-", "@")

Progress = Callable[[float], None]


def read_courses(binary, *, max_bytes: int | None = None, progress: Progress | None = None):
    """Read a binary, seekable file of courses (CSV or XLSX, told from its content)."""
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(0)
    if max_bytes is not None and size > max_bytes:
        raise FileError(
            _("Die Datei ist zu groß (%(size)s MB); höchstens %(max)s MB sind möglich.")
            % {"size": round(size / 1_048_576, 1), "max": round(max_bytes / 1_048_576)}
        )
    if size == 0:
        raise FileError(_("Die Datei ist leer."))
    head = binary.read(CHUNK)
    binary.seek(0)
    if head.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(binary, progress)
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_openqcat(binary, size, progress)
    elif head.startswith((b"\xd0\xcf\x11\xe0", b"%PDF")) or b"\x00" in head:
        raise FileError(
            _(
                "Die Datei ist weder eine CSV-Datei noch eine Excel-Datei im Format .xlsx "
                "(ältere .xls-Dateien bitte in Excel als .xlsx oder CSV speichern)."
            )
        )
    else:
        rows = _csv_rows(binary, size, progress)
    return group_rows(rows)


# Tables -------------------------------------------------------------------------------------


def _encoding(binary) -> str:
    """UTF-8 (a BOM or a whole file that decodes), else Windows-1252."""
    start = binary.read(3)
    binary.seek(0)
    if start == codecs.BOM_UTF8:
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := binary.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        binary.seek(0)


def _csv_rows(
    binary, size: int, progress: Progress | None
) -> Iterator[tuple[int, list[str], list]]:
    encoding = _encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        first = text.readline(100_000)
        delimiter = max((";", ",", "\t"), key=first.count)
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        line = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise FileError(
                    _("Zeile %(line)s ist keine gültige CSV-Zeile (%(error)s).")
                    % {"line": reader.line_num, "error": error}
                ) from error
            line = reader.line_num
            if len(row) > MAX_COLUMNS:
                raise FileError(_too_many_columns(line, len(row)))
            yield line, row, ()
            if progress and line % 1000 == 0:
                progress(min(1.0, binary.tell() / size))
    except UnicodeDecodeError as error:
        raise FileError(
            _(
                "Die Datei ist weder in UTF-8 noch in Windows-1252 kodiert. Bitte speichern Sie "
                "sie als „CSV UTF-8“."
            )
        ) from error
    finally:
        text.detach()


def _too_many_columns(line, count) -> str:
    return _(
        "Zeile %(line)s hat %(count)s Spalten; die Vorlage hat weniger als %(max)s. Bitte "
        "verwenden Sie die Spalten der Vorlage."
    ) % {"line": line, "count": count, "max": MAX_COLUMNS}


def _damaged_xlsx() -> str:
    return _(
        "Die Excel-Datei ist beschädigt oder unvollständig und kann nicht gelesen werden. "
        "Bitte speichern Sie sie in Excel erneut (als .xlsx) und laden Sie sie noch einmal hoch."
    )


def _xlsx_rows(binary, progress: Progress | None) -> Iterator[tuple[int, list[str], list]]:
    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        raise FileError(_damaged_xlsx()) from error
    except Exception as error:  # noqa: BLE001 (openpyxl raises many kinds for bad files)
        raise FileError(_damaged_xlsx()) from error
    try:
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1)
        line = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                break
            except Exception as error:  # noqa: BLE001 (a damaged sheet fails while read)
                raise FileError(_damaged_xlsx()) from error
            line += 1
            values, formulas = [], []
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    formulas.append((index, getattr(cell, "coordinate", "")))
                    values.append("")
                else:
                    values.append(_cell_text(getattr(cell, "value", None)))
            while values and values[-1] == "":
                values.pop()
            if len(values) > MAX_COLUMNS:
                raise FileError(_too_many_columns(line, f"{MAX_COLUMNS}+"))
            yield line, values, formulas
            if progress and total and line % 1000 == 0:
                progress(min(1.0, line / total))
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        if value.date() == dt.date(1899, 12, 30):
            return value.strftime("%H:%M")
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Rows to records ----------------------------------------------------------------------------


def _header(row: list[str]) -> list[str]:
    keys = [normalise_header(cell) for cell in row]
    while keys and keys[-1] == "":
        keys.pop()
    unknown = [row[i] for i, key in enumerate(keys) if key and key not in BY_KEY]
    if unknown and len(unknown) == len([key for key in keys if key]):
        unknown = []  # no known column at all: the header is missing (said below)
    if unknown:
        raise FileError(
            _(
                "Die erste Zeile enthält unbekannte Spalten: %(columns)s. Bitte verwenden Sie "
                "die Spaltennamen der Vorlage."
            )
            % {"columns": ", ".join(f"„{name}“" for name in unknown[:10])}
        )
    seen = set()
    for key in keys:
        if key and key in seen:
            raise FileError(
                _("Die Spalte „%(column)s“ steht zweimal in der ersten Zeile.") % {"column": key}
            )
        seen.add(key)
    missing = [key for key in ("kennung", "titel") if key not in seen]
    if missing:
        raise FileError(
            _(
                "In der ersten Zeile fehlen die Spalten %(columns)s. Die erste Zeile muss die "
                "Spaltennamen der Vorlage enthalten."
            )
            % {"columns": ", ".join(f"„{key}“" for key in missing)}
        )
    return keys


def clean_text(value: str) -> str:
    """A cell's text: trimmed; a leading apostrophe that neutralised a formula sign (as the
    export writes it) removed."""
    value = value.strip()
    if value[:1] == "'" and value[1:2] in FORMULA_PREFIXES:
        return value[1:]
    return value


def group_rows(rows) -> ReadResult:
    """Rows ``(line, cells, formula cells)`` (the first is the header) into courses: rows
    with the same ``kennung`` are one course, each adding a date and a module where it has
    them."""
    result = ReadResult()
    by_id: dict[str, CourseRecord] = {}
    keys: list[str] | None = None
    columns: list[tuple[int, str]] = []
    for line, row, formulas in rows:
        if keys is None:
            if not any(str(cell).strip() for cell in row):
                continue
            keys = _header(row)
            columns = [(index, key) for index, key in enumerate(keys) if key]
            continue
        if not formulas and not any(row):
            continue
        result.rows += 1
        source = Source(line=line)
        for index, coordinate in formulas:
            result.errors.append(
                RowError(
                    source,
                    keys[index] if index < len(keys) and keys[index] else coordinate,
                    _(
                        "Die Zelle %(cell)s enthält eine Formel. Der Import rechnet keine "
                        "Formeln aus: bitte kopieren Sie die Zelle und fügen Sie sie „als "
                        "Wert“ ein."
                    )
                    % {"cell": coordinate},
                )
            )
        width = len(row)
        values = {}
        for index, key in columns:
            if index < width:
                cell = row[index]
                if cell:
                    text = clean_text(cell)
                    if text:
                        values[key] = text
        if width > len(keys):
            for index in range(len(keys), width):
                if row[index].strip():
                    result.errors.append(
                        RowError(
                            source,
                            str(index + 1),
                            _(
                                "Diese Spalte hat keine Überschrift; ihr Wert „%(value)s“ "
                                "wird nicht verstanden."
                            )
                            % {"value": row[index].strip()[:40]},
                        )
                    )
        external_id = values.pop("kennung", "")
        if not external_id:
            result.errors.append(
                RowError(
                    source,
                    "kennung",
                    _("Die Kennung fehlt: jede Zeile braucht die Kennung ihres Angebots."),
                )
            )
            continue
        record = by_id.get(external_id)
        course_values = {key: values[key] for key in COURSE_KEYS if key in values}
        if record is None:
            record = CourseRecord(external_id=external_id, source=source, values=course_values)
            by_id[external_id] = record
            result.records.append(record)
        else:
            for key, value in course_values.items():
                if key not in record.values:
                    record.values[key] = value
                    record.sources[key] = source
                elif record.values[key] != value:
                    result.errors.append(
                        RowError(
                            source,
                            key,
                            _(
                                "Diese Zeile gehört zum Angebot „%(id)s“ aus Zeile %(first)s, "
                                "nennt aber einen anderen Wert. Angaben zum Angebot bitte nur "
                                "in seiner ersten Zeile (oder überall gleich)."
                            )
                            % {"id": external_id, "first": record.source.line},
                        )
                    )
        date = {key: values[key] for key in DATE_KEYS if key in values}
        if date:
            record.dates.append(PartRecord(source, date))
        module = {key: values[key] for key in MODULE_KEYS if key in values}
        if module:
            record.modules.append(PartRecord(source, module))
    if keys is None:
        raise FileError(_("Die Datei enthält keine Zeilen."))
    return result
