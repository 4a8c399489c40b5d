"""The legal pages every installation starts with (created by migration ``atlas.0003``).

Coordinators edit them in admin; the texts here are only the starting point. The imprint needs
the operator's details, which only the operator knows: its default says so in its text.
"""

import re

IMPRINT = """Angaben gemäß § 5 Digitale-Dienste-Gesetz (DDG).

## Anbieter dieses Portals

**Bitte ergänzen:** Name der Einrichtung, die das Portal betreibt (in der Regel der Lead-Partner
des Netzwerks), mit Rechtsform und Anschrift.

## Vertreten durch

**Bitte ergänzen:** die vertretungsberechtigte Person (Geschäftsführung, Vorstand, Leitung).

## Kontakt

**Bitte ergänzen:** Telefon und E-Mail-Adresse.

## Register und Umsatzsteuer

Falls vorhanden: Registergericht und Registernummer, Umsatzsteuer-Identifikationsnummer.

## Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV

**Bitte ergänzen:** Name und Anschrift der verantwortlichen Person.

## Hinweis zu den Angeboten

Für die Inhalte der Kursangebote sind die jeweiligen Anbieter verantwortlich. Die
Netzwerkkoordination prüft Angebote nach den Qualitätskriterien des Netzwerks.
"""

PRIVACY = """## Das Wichtigste in Kürze

- Sie können alle Kurse und Anbieter ohne Anmeldung suchen und ansehen.
- Wir setzen keine Tracking-Werkzeuge ein und laden nichts von fremden Servern: keine
  Schriften, keine Karten, keine Skripte anderer Anbieter. Die Karten zeichnen wir selbst.
- Suchanfragen werden nur gezählt, um das Angebot zu verbessern – ohne IP-Adresse und ohne
  Benutzerkennung.
- Cookies setzen wir nur, wo es technisch notwendig ist: wenn Sie sich als Mitarbeiterin oder
  Mitarbeiter eines Anbieters anmelden, und auf der Seite mit dem Formular zur Barrierefreiheit
  (ein Sicherheits-Cookie gegen gefälschte Formulare und die Bestätigung nach dem Absenden).

## Verantwortliche Stelle

Verantwortlich ist der Betreiber dieses Portals, wie im [Impressum](/impressum/) angegeben.

## Server-Protokolle

Der Webserver speichert beim Aufruf einer Seite technisch notwendige Angaben (Zeitpunkt,
aufgerufene Adresse, Statuscode) zur Sicherstellung des Betriebs. Diese Angaben werden nach
spätestens sieben Tagen gelöscht.

## Rückmeldungen zur Barrierefreiheit

Wenn Sie uns über das Formular der [Erklärung zur Barrierefreiheit](/barrierefreiheit/) eine
Barriere melden, speichern wir Ihre Nachricht, die Seite, die Sie nennen, und – nur wenn Sie sie
angeben – Ihren Namen und Ihre E-Mail-Adresse, um Ihnen zu antworten. Wir speichern keine
IP-Adresse. Wir löschen die Rückmeldung, wenn sie erledigt ist, spätestens nach einem Jahr.
Rechtsgrundlage ist Art. 6 Abs. 1 Buchst. e DSGVO in Verbindung mit § 12b BGG.

## Ihre Rechte

Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung
Ihrer Daten sowie ein Beschwerderecht bei der zuständigen Datenschutz-Aufsichtsbehörde.
"""

ACCESSIBILITY = """Wir möchten, dass alle Menschen den Bildungsatlas nutzen können.
Die Seiten sollen die Anforderungen der Barrierefreie-Informationstechnik-Verordnung
(BITV 2.0) und der WCAG 2.1 auf Stufe AA erfüllen.

## Stand der Vereinbarkeit

Die öffentlichen Seiten sind weitgehend barrierefrei. Die unten genannten Teile sind es noch
nicht vollständig.

## Wie wir prüfen

Jede öffentliche Seite wird bei jeder Änderung automatisch geprüft: auf gültiges HTML, mit
axe-core auf Barrieren nach WCAG 2.1 AA, auf Bedienbarkeit ohne JavaScript und auf einem
360 Pixel breiten Bildschirm. Alle Seiten lassen sich mit der Tastatur bedienen.

## Was noch nicht barrierefrei ist – und warum

- **Texte der Anbieter:** Die Beschreibungen der Kurse und Anbieter schreiben die Anbieter
  selbst. Nicht alle sind in einfacher Sprache geschrieben. Wir bitten die Anbieter, ihre Texte
  verständlich zu fassen, und kennzeichnen Kurse mit einer Beschreibung in Leichter Sprache.
- **Dokumente der Anbieter:** Verlinkte Dokumente (zum Beispiel PDF-Programmhefte) liegen bei den
  Anbietern; wir können sie nicht prüfen.
- **Karten:** Die Karten zeigen Zahlen durch Farben. Dieselben Zahlen stehen immer auch in einer
  Tabelle neben der Karte.
- **Verwaltungsbereich:** Der Bereich, in dem Anbieter und Netzwerkkoordination Daten pflegen,
  ist noch nicht vollständig geprüft.

## Barrieren melden

Wenn Sie auf eine Barriere stoßen, schreiben Sie uns bitte über das Formular unten. Wir
antworten, wenn Sie eine E-Mail-Adresse angeben, in der Regel innerhalb von zwei Wochen.

## Schlichtungsverfahren

Wenn Sie mit unserer Antwort nicht zufrieden sind, können Sie sich an die Schlichtungsstelle
nach § 16 Behindertengleichstellungsgesetz (BGG) wenden: Schlichtungsstelle nach dem
Behindertengleichstellungsgesetz bei dem Beauftragten der Bundesregierung für die Belange von
Menschen mit Behinderungen, Mauerstraße 53, 10117 Berlin, Telefon 030 18 527-2805,
[info@schlichtungsstelle-bgg.de](mailto:info@schlichtungsstelle-bgg.de),
[www.schlichtungsstelle-bgg.de](https://www.schlichtungsstelle-bgg.de/).

Betreibt eine Stelle eines Landes das Portal, ist die Schlichtungsstelle dieses Landes
zuständig.
"""

EASY_LANGUAGE = """## Was ist der Bildungs-Atlas?

Der Bildungs-Atlas ist eine Internet-Seite.

Hier finden Sie Kurse in Ihrer Nähe.

Ein Kurs ist zum Beispiel: Deutsch lernen.
Oder: Mit dem Computer arbeiten.

Hier finden Sie auch die Anbieter von Kursen.
Ein Anbieter ist zum Beispiel eine Volks-Hoch-Schule.

Viele Anbieter arbeiten zusammen.
Das nennt man: Netzwerk.
Auf dieser Internet-Seite stellt sich das Netzwerk vor.

## So finden Sie einen Kurs

1. Klicken Sie oben auf: Kurse finden.
2. Schreiben Sie in das Such-Feld: Was möchten Sie lernen?
3. Schreiben Sie Ihre Post-Leit-Zahl dazu.
   Dann finden Sie Kurse in Ihrer Nähe.
4. Klicken Sie auf: Suchen.
5. Klicken Sie auf einen Kurs.
   Dann sehen Sie:
   Wann ist der Kurs?
   Wo ist der Kurs?
   Was kostet der Kurs?

Sie können auch Filter benutzen.
Zum Beispiel: Nur Kurse am Abend.
Oder: Nur Kurse ohne Kosten.

## So finden Sie einen Anbieter

1. Klicken Sie oben auf: Anbieter.
2. Schreiben Sie den Namen oder Ihre Post-Leit-Zahl in das Such-Feld.
3. Klicken Sie auf: Suchen.

## Barriere-Freiheit

Alle Menschen sollen die Internet-Seite gut benutzen können.
Das nennt man: Barriere-Freiheit.

Manche Teile sind noch nicht barriere-frei.
Zum Beispiel:
Manche Kurs-Beschreibungen sind schwer zu lesen.
Die Anbieter schreiben diese Texte selbst.

Haben Sie ein Problem mit der Internet-Seite?
Dann schreiben Sie uns.
Dafür gibt es ein Formular.
Sie finden es auf der Seite: [Erklärung zur Barriere-Freiheit](/barrierefreiheit/).
Die Seite ist in Alltags-Sprache.
"""

DATA_SOURCES = """## Grenzen der Länder und Kreise

© GeoBasis-DE / [BKG](https://www.bkg.bund.de) 2021 (Daten verändert), VG5000, Stand 01.01.2021.
Lizenz: [Datenlizenz Deutschland – Namensnennung – Version 2.0](https://www.govdata.de/dl-de/by-2-0).
Die Grenzlinien wurden für die Darstellung vereinfacht.

## Postleitzahlen

Postleitzahlen mit Orten und Mittelpunkten: [GeoNames](https://www.geonames.org/),
Lizenz: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/).

## Angebote und Netzwerke

Die Kursangebote stammen von den Anbietern. Netzwerke, Partner, Arbeitsgruppen und Vorhaben
pflegt die Netzwerkkoordination.
"""


def _unwrap(text: str) -> str:
    """Join the lines of each paragraph and list item (the renderer keeps line breaks)."""
    blocks = re.compile(r"^(#|[-*] |\d+\. |> )")
    lines: list[str] = []
    for line in text.split("\n"):
        if lines and lines[-1].strip() and line.strip() and not blocks.match(line.strip()):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


IMPRINT, PRIVACY, ACCESSIBILITY, DATA_SOURCES = (
    _unwrap(text) for text in (IMPRINT, PRIVACY, ACCESSIBILITY, DATA_SOURCES)
)

# purpose -> fields of the page
DEFAULT_PAGES = {
    "imprint": {
        "title": "Impressum",
        "slug": "impressum",
        "summary": "Angaben zum Betreiber des Portals nach § 5 DDG.",
        "body": IMPRINT,
    },
    "privacy": {
        "title": "Datenschutzerklärung",
        "slug": "datenschutz",
        "summary": "Welche Daten das Portal verarbeitet: so wenige wie möglich.",
        "body": PRIVACY,
    },
    "accessibility": {
        "title": "Erklärung zur Barrierefreiheit",
        "slug": "barrierefreiheit",
        "summary": "Wie barrierefrei das Portal ist, was noch fehlt und wie Sie uns Barrieren "
        "melden.",
        "body": ACCESSIBILITY,
    },
    "easy_language": {
        "title": "Leichte Sprache",
        "slug": "leichte-sprache",
        "summary": "Der Bildungs-Atlas in Leichter Sprache.",
        "body": EASY_LANGUAGE,
    },
    "data_sources": {
        "title": "Datenquellen",
        "slug": "datenquellen",
        "summary": "Woher die Karten, Postleitzahlen und Angebote stammen.",
        "body": DATA_SOURCES,
    },
}


def create_missing(info_page_model) -> int:
    """Create the legal pages that do not exist yet; returns how many were created.

    Takes the model as an argument so that the data migration can pass its historical model.
    """
    existing = set(info_page_model.objects.exclude(purpose="").values_list("purpose", flat=True))
    taken = set(info_page_model.objects.values_list("slug", flat=True))
    created = 0
    for purpose, fields in DEFAULT_PAGES.items():
        if purpose in existing:
            continue
        slug = fields["slug"]
        while slug in taken:
            slug += "-1"
        page = info_page_model(purpose=purpose, **{**fields, "slug": slug})
        if hasattr(page, "render_markup"):  # not on the historical model of a migration
            page.render_markup()
        page.save()
        taken.add(slug)
        created += 1
    return created
