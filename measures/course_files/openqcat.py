"""openQ-cat 1.1 XML, the catalogue format providers send to KURSNET and the states' databases:
read into the same ``CourseRecord``s as a table (so it is checked and written by the same
import), and written from the same rows as the table export (so export → import changes
nothing).

The structure (element names as in openQ-cat; what this project reads and writes)::

    OPENQCAT version="1.1"
      HEADER
        CATALOG: LANGUAGE, CATALOG_ID, CATALOG_VERSION, CATALOG_NAME, GENERATION_DATE
        SUPPLIER: SUPPLIER_ID (the provider's Kurzadresse), SUPPLIER_NAME
      NEW_CATALOG | UPDATE_CATALOG
        SERVICE mode="new|update|delete"        one course; "delete" archives it
          PRODUCT_ID                            the provider's own id (column "kennung")
          SUPPLIER_ID_REF                       optional, else the header's SUPPLIER_ID
          SERVICE_DETAILS
            TITLE, DESCRIPTION_SHORT, DESCRIPTION_LONG
            KEYWORD*                            one keyword each
            TARGET_GROUP* / TARGET_GROUP_TEXT   one target group each
            SERVICE_MODULE / EDUCATION
              DEGREE / DEGREE_TITLE, DEGREE_ADD_QUALIFICATION
              SUBSIDY*                          one kind of funding each
              SUBMODULE*: TITLE, DESCRIPTION, TEACHING_UNITS   the curriculum
              MODULE_COURSE*                    one per date (and venue)
                START_DATE, END_DATE, FLEXIBLE_START (true/false), INSTRUCTION_FORM,
                LOCATION: NAME, STREET, ZIP, CITY
                PRICE_DETAILS / PRICE / PRICE_AMOUNT
                EXTENDED_INFO / FEATURE*: FNAME, FVALUE   the date's other columns
          SERVICE_PRICE_DETAILS / SERVICE_PRICE / PRICE_AMOUNT, PRICE_CURRENCY
          SERVICE_CLASSIFICATION / FEATURE*: FNAME, FVALUE   the course's other columns

A FEATURE's FNAME is the column's key of the table format (``columns.COLUMNS``: "fachgebiete",
"sprache", "uhrzeit_von", …) and its FVALUE the text as in a table cell, so every column has
a place. Parsed by expat under ``defusedxml``'s rules (a declared entity or an external
reference is refused with its exception, so an entity bomb never expands), element by element
into ElementTree's C tree builder (a SERVICE is dropped once read).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.etree.ElementTree import Element, SubElement, TreeBuilder, tostring  # noqa: S405
from xml.parsers.expat import ExpatError, ParserCreate  # noqa: S408 - defused below

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from django.utils.translation import gettext as _

from measures.course_files.columns import COURSE_KEYS, DATE_KEYS, LIST_SEPARATOR, MODULE_KEYS
from measures.course_files.records import (
    CourseRecord,
    FileError,
    PartRecord,
    ReadResult,
    RowError,
    Source,
)

VERSION = "1.1"
YES_TEXT = "ja"

# Course columns with an element of their own (a path below SERVICE); lists repeat the element.
COURSE_ELEMENTS = {
    "titel": "SERVICE_DETAILS/TITLE",
    "kurzbeschreibung": "SERVICE_DETAILS/DESCRIPTION_SHORT",
    "beschreibung": "SERVICE_DETAILS/DESCRIPTION_LONG",
    "abschluss": "SERVICE_DETAILS/SERVICE_MODULE/EDUCATION/DEGREE/DEGREE_TITLE",
    "abschluss_details": "SERVICE_DETAILS/SERVICE_MODULE/EDUCATION/DEGREE/DEGREE_ADD_QUALIFICATION",
    "preis": "SERVICE_PRICE_DETAILS/SERVICE_PRICE/PRICE_AMOUNT",
}
COURSE_LISTS = {
    "schlagwoerter": "SERVICE_DETAILS/KEYWORD",
    "zielgruppen": "SERVICE_DETAILS/TARGET_GROUP/TARGET_GROUP_TEXT",
    "foerderung": "SERVICE_DETAILS/SERVICE_MODULE/EDUCATION/SUBSIDY",
}
DATE_ELEMENTS = {
    "beginn": "START_DATE",
    "ende": "END_DATE",
    "einstieg_jederzeit": "FLEXIBLE_START",
    "form": "INSTRUCTION_FORM",
    "ort": "LOCATION/NAME",
    "ort_strasse": "LOCATION/STREET",
    "ort_plz": "LOCATION/ZIP",
    "ort_ort": "LOCATION/CITY",
    "termin_preis": "PRICE_DETAILS/PRICE/PRICE_AMOUNT",
}
MODULE_ELEMENTS = {
    "modul_titel": "TITLE",
    "modul_inhalte": "DESCRIPTION",
    "modul_ue": "TEACHING_UNITS",
}
EDUCATION = "SERVICE_DETAILS/SERVICE_MODULE/EDUCATION"
COURSE_FEATURES = "SERVICE_CLASSIFICATION/FEATURE"
DATE_FEATURES = "EXTENDED_INFO/FEATURE"
_TRUE = {"true", "1", "ja", "yes"}


# Reading --------------------------------------------------------------------------------------


def read_openqcat(binary, size: int, progress=None) -> ReadResult:
    """The catalogue's SERVICEs as records; ``FileError`` for a file that is not a well-formed
    openQ-cat catalogue. ``size``: the file's, for the progress."""
    reader = _CatalogueReader()
    parser = reader.parser
    try:
        while chunk := binary.read(_CHUNK):
            parser.Parse(chunk, False)
            reader.take_services()
            if progress is not None and size:
                progress(min(1.0, binary.tell() / size))
        parser.Parse(b"", True)
        reader.take_services(finished=True)
    except ExpatError as error:
        raise FileError(
            _("Die XML-Datei ist nicht wohlgeformt (Zeile %(line)s): %(error)s")
            % {"line": error.lineno or "?", "error": str(error).split(":")[0]}
        ) from None
    except DefusedXmlException:
        raise FileError(
            _(
                "Die XML-Datei enthält eine DTD oder Entitäten. Aus Sicherheitsgründen werden "
                "nur Dateien ohne sie eingelesen."
            )
        ) from None
    if reader.root is None:
        raise FileError(_("Die Datei enthält kein XML."))
    if not reader.catalogs:
        raise FileError(
            _("Der Katalog enthält weder NEW_CATALOG noch UPDATE_CATALOG: nichts einzulesen.")
        )
    return reader.result


_CHUNK = 256 * 1024


class _CatalogueReader:
    """Expat feeding ElementTree's C tree builder directly: in a catalogue without a namespace
    no element passes through Python (with one, each start does, to drop it). After each chunk
    the complete SERVICEs below NEW_CATALOG/UPDATE_CATALOG (all but a catalogue's last child,
    which may still be open) are turned into records and dropped. As defusedxml does, a
    declared entity or an external reference ends the reading with its exception; expat
    itself fetches nothing."""

    def __init__(self):
        self.result = ReadResult()
        self.supplier = ""
        self.root = None
        self._builder = TreeBuilder()
        self.parser = parser = ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartElementHandler = self._first_start
        parser.EndElementHandler = self._builder.end
        parser.CharacterDataHandler = self._builder.data
        parser.EntityDeclHandler = _entity_declared
        parser.UnparsedEntityDeclHandler = _unparsed_entity_declared
        parser.ExternalEntityRefHandler = _external_reference

    def _first_start(self, name, attributes):
        if "}" in name:  # a namespace (xmlns="…") is left aside
            self.parser.StartElementHandler = self._start_in_namespace
        else:
            self.parser.StartElementHandler = self._builder.start
        name = name.rpartition("}")[2]
        self.root = self._builder.start(name, attributes)
        if name != "OPENQCAT":
            raise FileError(
                _(
                    "Die XML-Datei ist kein openQ-cat-Katalog (ihr erstes Element "
                    "ist „%(name)s“, erwartet „OPENQCAT“)."
                )
                % {"name": name[:40]}
            )

    def _start_in_namespace(self, name, attributes):
        self._builder.start(name.rpartition("}")[2], attributes)

    @property
    def catalogs(self) -> list:
        if self.root is None:
            return []
        return [child for child in self.root if child.tag in ("NEW_CATALOG", "UPDATE_CATALOG")]

    def take_services(self, *, finished: bool = False) -> None:
        """Turn the complete SERVICEs read so far into records and drop them (all of them
        once the file is ``finished``)."""
        catalogs = self.catalogs
        if not catalogs:
            return
        if not self.supplier:  # the header comes before the catalogue: read once
            found = self.root.find("HEADER/SUPPLIER/SUPPLIER_ID")
            if found is not None:
                self.supplier = (found.text or "").strip()
        result = self.result
        for catalog in catalogs:
            complete = len(catalog) if finished else len(catalog) - 1
            for element in catalog[:complete]:
                if element.tag != "SERVICE":
                    continue
                result.rows += 1
                record = _service(element, result.rows, self.supplier, result.errors)
                if record is not None:
                    result.records.append(record)
            del catalog[:complete]


def _entity_declared(name, *args):
    raise EntitiesForbidden(name, *args[1:])


def _unparsed_entity_declared(name, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _external_reference(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


# Paths are walked one plain name at a time: ElementTree finds a plain name in C, a path with
# "/" in Python (that took a third of reading a large catalogue).
_STEPS: dict[str, list[str]] = {}


def _steps(path: str) -> list[str]:
    steps = _STEPS.get(path)
    if steps is None:
        steps = _STEPS[path] = path.split("/")
    return steps


def _find(element, path: str):
    for name in _steps(path):
        element = element.find(name)
        if element is None:
            return None
    return element


def _find_all(element, path: str) -> list:
    *parents, last = _steps(path)
    for name in parents:
        element = element.find(name)
        if element is None:
            return []
    return element.findall(last)


def _text(element, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def _service(element, number: int, supplier: str, errors: list) -> CourseRecord | None:
    external_id = _text(element, "PRODUCT_ID")
    source = Source(element=f"SERVICE {number}" + (f" ({external_id})" if external_id else ""))
    if not external_id:
        errors.append(
            RowError(source, "PRODUCT_ID", _("Die Kennung (PRODUCT_ID) des Angebots fehlt."))
        )
        return None
    values = {}
    provider = _text(element, "SUPPLIER_ID_REF") or supplier
    if provider:
        values["anbieter"] = provider
    if element.get("mode", "").strip().lower() == "delete":
        values["loeschen"] = YES_TEXT
    for key, path in COURSE_ELEMENTS.items():
        if text := _text(element, path):
            values[key] = text
    for key, path in COURSE_LISTS.items():
        items = [(found.text or "").strip() for found in _find_all(element, path)]
        if items := [item for item in items if item]:
            values[key] = LIST_SEPARATOR.join(items)
    for feature in _find_all(element, COURSE_FEATURES):
        _feature(feature, values, COURSE_KEYS, source, errors)
    record = CourseRecord(external_id=external_id, source=source, values=values)
    education = _find(element, EDUCATION)
    if education is not None:
        for index, course in enumerate(education.findall("MODULE_COURSE"), start=1):
            part = {
                key: text for key, path in DATE_ELEMENTS.items() if (text := _text(course, path))
            }
            if part.get("einstieg_jederzeit"):
                part["einstieg_jederzeit"] = (
                    YES_TEXT if part["einstieg_jederzeit"].lower() in _TRUE else ""
                )
            where = Source(element=f"{source.element} MODULE_COURSE {index}")
            for feature in _find_all(course, DATE_FEATURES):
                _feature(feature, part, DATE_KEYS, where, errors)
            if part := {key: value for key, value in part.items() if value}:
                record.dates.append(PartRecord(where, part))
        for index, module in enumerate(education.findall("SUBMODULE"), start=1):
            part = {
                key: text for key, path in MODULE_ELEMENTS.items() if (text := _text(module, path))
            }
            if part:
                where = Source(element=f"{source.element} SUBMODULE {index}")
                record.modules.append(PartRecord(where, part))
    return record


def _feature(feature, values: dict, allowed: tuple, source: Source, errors: list) -> None:
    name = _text(feature, "FNAME")
    if name not in allowed:
        errors.append(
            RowError(
                source,
                name or "FEATURE",
                _("Das Merkmal „%(name)s“ ist hier unbekannt.") % {"name": name[:40]},
            )
        )
        return
    if text := _text(feature, "FVALUE"):
        values[name] = text


# Writing --------------------------------------------------------------------------------------


def openqcat_bytes(
    rows: Iterable[dict[str, str]], *, supplier: str, supplier_name: str, update: bool = False
) -> bytes:
    """A catalogue of the rows of ``writers.course_rows`` (a course's columns on its first
    row, one date and one module per row): one SERVICE per course."""
    root = Element("OPENQCAT", version=VERSION)
    header = SubElement(root, "HEADER")
    catalog = SubElement(header, "CATALOG")
    for name, text in (
        ("LANGUAGE", "deu"),
        ("CATALOG_ID", f"bildungsatlas-{supplier}"),
        ("CATALOG_VERSION", "1.0"),
        ("CATALOG_NAME", f"Bildungsatlas: {supplier_name}"),
        ("GENERATION_DATE", date.today().isoformat()),
    ):
        SubElement(catalog, name).text = text
    supplier_element = SubElement(header, "SUPPLIER")
    SubElement(supplier_element, "SUPPLIER_ID", type="supplier_specific").text = supplier
    SubElement(supplier_element, "SUPPLIER_NAME").text = supplier_name
    body = SubElement(root, "UPDATE_CATALOG" if update else "NEW_CATALOG")
    service, current = None, None
    for row in rows:  # a course's first row has its columns, the next ones only parts
        if service is None or "titel" in row or row.get("kennung") != current:
            current = row["kennung"]
            service = _new_service(body, row, update=update)
        _add_parts(service, row)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _new_service(body, row: dict, *, update: bool):
    deleted = row.get("loeschen", "").strip().lower() == YES_TEXT
    mode = "delete" if deleted else ("update" if update else "new")
    service = SubElement(body, "SERVICE", mode=mode)
    SubElement(service, "PRODUCT_ID").text = row["kennung"]
    if row.get("anbieter"):
        SubElement(service, "SUPPLIER_ID_REF").text = row["anbieter"]
    for key, path in COURSE_ELEMENTS.items():
        if row.get(key):
            _path(service, path).text = row[key]
    for key, path in COURSE_LISTS.items():
        parent, _slash, leaf = path.rpartition("/")
        for item in filter(None, (row.get(key) or "").split(LIST_SEPARATOR)):
            if key == "zielgruppen":
                group = SubElement(_path(service, "SERVICE_DETAILS"), "TARGET_GROUP")
                SubElement(group, "TARGET_GROUP_TEXT").text = item
            else:
                SubElement(_path(service, parent), leaf).text = item
    if row.get("preis"):
        price = _path(service, "SERVICE_PRICE_DETAILS/SERVICE_PRICE")
        SubElement(price, "PRICE_CURRENCY").text = "EUR"
    shown = {"kennung", "anbieter", "loeschen", *COURSE_ELEMENTS, *COURSE_LISTS}
    for key in COURSE_KEYS:
        if key not in shown and row.get(key):
            _add_feature(_path(service, "SERVICE_CLASSIFICATION"), key, row[key])
    return service


def _add_parts(service, row: dict) -> None:
    if any(row.get(key) for key in DATE_KEYS):
        course = SubElement(_path(service, EDUCATION), "MODULE_COURSE")
        for key, path in DATE_ELEMENTS.items():
            value = row.get(key)
            if key == "einstieg_jederzeit":
                value = "true" if value == YES_TEXT else ""
            if value:
                _path(course, path).text = value
        for key in DATE_KEYS:
            if key not in DATE_ELEMENTS and row.get(key):
                _add_feature(_path(course, "EXTENDED_INFO"), key, row[key])
    if any(row.get(key) for key in MODULE_KEYS):
        module = SubElement(_path(service, EDUCATION), "SUBMODULE")
        for key, path in MODULE_ELEMENTS.items():
            if row.get(key):
                SubElement(module, path).text = row[key]


def _add_feature(parent, name: str, value: str) -> None:
    feature = SubElement(parent, "FEATURE")
    SubElement(feature, "FNAME").text = name
    SubElement(feature, "FVALUE").text = value


def _path(element, path: str):
    """The element at ``path`` below ``element``, made where missing (the first of a name)."""
    for name in path.split("/"):
        found = element.find(name)
        element = found if found is not None else SubElement(element, name)
    return element
