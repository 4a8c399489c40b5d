"""The columns of the import format, in the order the template and the export write them.

One course takes one or more rows with the same ``kennung``: the course's columns are read
from its first row (later rows leave them empty or repeat them); every row may add one date
(``beginn`` or ``einstieg_jederzeit``) and one curriculum module (``modul_titel``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

COURSE, DATE, MODULE = "course", "date", "module"

# Lists in a cell (subjects, keywords, target groups, funding, weekdays) are separated by "|".
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Column:
    key: str
    part: str  # COURSE, DATE or MODULE
    field: str  # the model field it fills ("" for the key columns)
    help: object  # German explanation (lazy)
    example: str = ""
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "kennung",
        COURSE,
        "external_id",
        _(
            "Ihre eigene, eindeutige Kennung des Angebots (höchstens 100 Zeichen). Über sie "
            "erkennt der Import ein Angebot wieder: dieselbe Kennung in mehreren Zeilen = "
            "mehrere Termine oder Module eines Angebots."
        ),
        "KURS-2027-001",
        required=True,
    ),
    Column(
        "anbieter",
        COURSE,
        "",
        _(
            "Kurzadresse Ihrer Organisation (wie in der Adresse Ihrer Anbieterseite). Leer "
            "lassen: die Organisation, für die Sie importieren. Eine andere Organisation ist "
            "ein Fehler."
        ),
    ),
    Column(
        "loeschen",
        COURSE,
        "",
        _(
            "„ja“ archiviert das Angebot mit dieser Kennung (es verschwindet aus der Suche, "
            "bleibt aber in Ihrem Verlauf). Sonst leer lassen."
        ),
    ),
    Column(
        "titel",
        COURSE,
        "title",
        _("Titel des Angebots (Pflicht, höchstens 250 Zeichen)."),
        "Excel für Einsteiger",
        required=True,
    ),
    Column(
        "art",
        COURSE,
        "kind",
        _(
            "Art: Kurs, Seminar / Workshop, Umschulung / Nachqualifizierung, Studiengang, "
            "Beratung oder Veranstaltung. Leer: Kurs."
        ),
        "Kurs",
    ),
    Column(
        "kurzbeschreibung",
        COURSE,
        "summary",
        _("Kurzbeschreibung (höchstens 600 Zeichen), erscheint in der Trefferliste."),
        "Tabellen anlegen, rechnen und auswerten.",
    ),
    Column("beschreibung", COURSE, "description", _("Ausführliche Beschreibung.")),
    Column("lernziele", COURSE, "objectives", _("Lernziele.")),
    Column("inhalte", COURSE, "contents", _("Inhalte.")),
    Column("voraussetzungen", COURSE, "prerequisites", _("Voraussetzungen für die Teilnahme.")),
    Column(
        "fachgebiete",
        COURSE,
        "subjects",
        _("Fachgebiete des Bildungsatlas, Name oder Kurzadresse, mehrere durch | getrennt."),
        "Office-Anwendungen",
    ),
    Column(
        "schlagwoerter",
        COURSE,
        "keywords",
        _("Schlagwörter, durch | getrennt."),
        "Excel|Tabellenkalkulation",
    ),
    Column(
        "zielgruppen",
        COURSE,
        "target_groups",
        _("Zielgruppen des Bildungsatlas, Name oder Kurzadresse, durch | getrennt."),
    ),
    Column(
        "sprache",
        COURSE,
        "language",
        _(
            "Unterrichtssprache, z. B. Deutsch, Englisch, Deutsch in Leichter Sprache (oder de, "
            "en …). Leer: Deutsch."
        ),
        "Deutsch",
    ),
    Column(
        "abschluss",
        COURSE,
        "certificate_kind",
        _("Art des Abschlusses (Name oder Kurzadresse aus dem Bildungsatlas)."),
    ),
    Column(
        "abschluss_details",
        COURSE,
        "certificate_details",
        _("Abschluss, Einzelheiten (höchstens 300 Zeichen)."),
    ),
    Column(
        "foerderung",
        COURSE,
        "funding",
        _(
            "Förderarten des Bildungsatlas (z. B. Bildungsgutschein), Name oder Kurzadresse, "
            "durch | getrennt."
        ),
    ),
    Column("zeitstunden", COURSE, "hours", _("Dauer in Zeitstunden, z. B. 12 oder 12,5.")),
    Column(
        "unterrichtseinheiten",
        COURSE,
        "teaching_units",
        _("Dauer in Unterrichtseinheiten (UE à 45 Minuten), ganze Zahl."),
        "16",
    ),
    Column(
        "preis",
        COURSE,
        "price",
        _("Preis in Euro, z. B. 129 oder 129,50. Leer bei kostenfrei oder auf Anfrage."),
        "129,00",
    ),
    Column(
        "preisangabe",
        COURSE,
        "price_kind",
        _("Festpreis, kostenfrei, ermäßigt möglich oder auf Anfrage. Leer: Festpreis."),
        "Festpreis",
    ),
    Column(
        "preis_hinweise", COURSE, "price_notes", _("Hinweise zum Preis (höchstens 300 Zeichen).")
    ),
    Column(
        "leichte_sprache",
        COURSE,
        "easy_language",
        _("„ja“, wenn die Beschreibung in Leichter Sprache ist; sonst leer oder „nein“."),
    ),
    Column(
        "kinderbetreuung",
        COURSE,
        "childcare",
        _("„ja“, wenn Kinderbetreuung möglich ist; sonst leer oder „nein“."),
    ),
    Column("anmeldung_link", COURSE, "registration_url", _("Link zur Anmeldung (https://…).")),
    Column(
        "anmeldung_hinweise",
        COURSE,
        "registration_notes",
        _("Hinweise zur Anmeldung (höchstens 300 Zeichen)."),
    ),
    Column(
        "termin_kennung",
        DATE,
        "external_id",
        _("Ihre Kennung des Termins (frei, höchstens 100 Zeichen)."),
    ),
    Column(
        "beginn",
        DATE,
        "start_date",
        _("Erster Tag des Termins, TT.MM.JJJJ (oder JJJJ-MM-TT)."),
        "12.04.2027",
    ),
    Column("ende", DATE, "end_date", _("Letzter Tag, TT.MM.JJJJ."), "26.04.2027"),
    Column(
        "einstieg_jederzeit",
        DATE,
        "rolling_start",
        _("„ja“ für Einstieg jederzeit (dann kein Beginn nötig)."),
    ),
    Column("wochentage", DATE, "weekdays", _("Wochentage: Mo|Di|Mi|Do|Fr|Sa|So."), "Mo|Mi"),
    Column("uhrzeit_von", DATE, "start_time", _("Beginn, SS:MM."), "18:00"),
    Column("uhrzeit_bis", DATE, "end_time", _("Ende, SS:MM (nach dem Beginn)."), "20:15"),
    Column(
        "zeiten_hinweise",
        DATE,
        "schedule_notes",
        _("Hinweise zu den Zeiten (höchstens 300 Zeichen)."),
    ),
    Column(
        "form",
        DATE,
        "mode",
        _("in Präsenz, online oder Präsenz und online. Leer: in Präsenz."),
        "in Präsenz",
    ),
    Column(
        "ort",
        DATE,
        "venue",
        _(
            "Name des Veranstaltungsorts. Ein Ort Ihrer Organisation mit diesem Namen und dieser "
            "Adresse wird verwendet, sonst neu angelegt. Leer bei Online-Terminen."
        ),
        "Volkshochschule, Raum 2",
    ),
    Column(
        "ort_strasse", DATE, "", _("Straße und Hausnummer des Veranstaltungsorts."), "Hauptstraße 1"
    ),
    Column(
        "ort_plz",
        DATE,
        "",
        _(
            "Postleitzahl des Veranstaltungsorts (aus ihr ermittelt der Bildungsatlas Region und "
            "Lage)."
        ),
        "55116",
    ),
    Column("ort_ort", DATE, "", _("Ort des Veranstaltungsorts."), "Mainz"),
    Column("plaetze", DATE, "seats", _("Anzahl der Plätze, ganze Zahl."), "12"),
    Column(
        "buchungsstand",
        DATE,
        "booking_status",
        _("Plätze frei, wenige Plätze frei, ausgebucht oder abgesagt. Leer: Plätze frei."),
        "Plätze frei",
    ),
    Column("anmeldeschluss", DATE, "registration_deadline", _("Anmeldeschluss, TT.MM.JJJJ.")),
    Column("termin_preis", DATE, "price", _("Abweichender Preis dieses Termins in Euro.")),
    Column(
        "modul_titel",
        MODULE,
        "title",
        _(
            "Titel eines Moduls des Lehrplans (eine Zeile je Modul, in der Reihenfolge des "
            "Lehrplans)."
        ),
    ),
    Column("modul_ue", MODULE, "teaching_units", _("Unterrichtseinheiten des Moduls, ganze Zahl.")),
    Column("modul_inhalte", MODULE, "contents", _("Inhalte des Moduls.")),
)

BY_KEY = {column.key: column for column in COLUMNS}
KEYS = tuple(column.key for column in COLUMNS)
COURSE_KEYS = tuple(c.key for c in COLUMNS if c.part == COURSE and c.key != "kennung")
DATE_KEYS = tuple(c.key for c in COLUMNS if c.part == DATE)
MODULE_KEYS = tuple(c.key for c in COLUMNS if c.part == MODULE)


def normalise_header(text: str) -> str:
    """A header cell as a key: any case, spaces or hyphens for underscores, umlauts spelt out."""
    text = str(text or "").strip().lower().replace("-", "_").replace(" ", "_")
    return text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
