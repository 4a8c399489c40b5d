"""The controlled vocabularies every installation starts with.

``load_vocabularies`` writes these rows, keyed by slug, so the slugs are stable identifiers: the
demo data and imports refer to them. Names and descriptions are German data, not UI text.
Editing a name here and running the command again updates the row; admins can add their own rows
in admin.
"""

# Subject tree: (slug, name, children as (slug, name)).
SUBJECTS = [
    (
        "sprachen",
        "Sprachen",
        [
            ("deutsch-als-zweitsprache", "Deutsch als Zweitsprache"),
            ("englisch", "Englisch"),
            ("franzoesisch", "Französisch"),
            ("spanisch", "Spanisch"),
            ("italienisch", "Italienisch"),
            (
                "niederlaendisch-skandinavische-sprachen",
                "Niederländisch und skandinavische Sprachen",
            ),
            ("herkunftssprachen", "Türkisch, Arabisch, Russisch und weitere Sprachen"),
            ("gebaerdensprache", "Deutsche Gebärdensprache"),
        ],
    ),
    (
        "beruf-und-karriere",
        "Beruf und Karriere",
        [
            ("berufsorientierung-bewerbung", "Berufsorientierung und Bewerbung"),
            ("wiedereinstieg", "Wiedereinstieg und berufliche Neuorientierung"),
            ("nachqualifizierung", "Nachqualifizierung und Externenprüfung"),
            ("existenzgruendung", "Existenzgründung und Selbstständigkeit"),
            ("fuehrung-personalentwicklung", "Führung und Personalentwicklung"),
            ("kommunikation-arbeitstechniken", "Kommunikation und Arbeitstechniken"),
        ],
    ),
    (
        "edv-und-it",
        "EDV und IT",
        [
            ("digitale-grundlagen", "Digitale Grundlagen"),
            ("office", "Office"),
            ("internet-sicherheit", "Internet und IT-Sicherheit"),
            ("programmierung-webentwicklung", "Programmierung und Webentwicklung"),
            ("sap-unternehmenssoftware", "SAP und Unternehmenssoftware"),
            ("cad", "CAD und technisches Zeichnen"),
        ],
    ),
    (
        "gesundheit-und-pflege",
        "Gesundheit und Pflege",
        [
            ("altenpflege", "Altenpflege"),
            ("pflege", "Pflege"),
            ("betreuung-alltagsbegleitung", "Betreuung und Alltagsbegleitung"),
            ("gesundheitsvorsorge", "Gesundheitsvorsorge"),
            ("bewegung-entspannung", "Bewegung und Entspannung"),
            ("erste-hilfe", "Erste Hilfe"),
        ],
    ),
    (
        "technik-und-handwerk",
        "Technik und Handwerk",
        [
            ("metall-maschinenbau", "Metall und Maschinenbau"),
            ("elektrotechnik-mechatronik", "Elektrotechnik und Mechatronik"),
            ("kunststofftechnik", "Kunststofftechnik"),
            ("schweisstechnik", "Schweißtechnik"),
            ("lager-logistik", "Lager und Logistik"),
            ("bau-energie", "Bau, Ausbau und Energie"),
            ("agrartechnik-forst", "Agrartechnik und Forst"),
            ("meister-techniker", "Meister und Techniker"),
        ],
    ),
    (
        "wirtschaft-und-verwaltung",
        "Wirtschaft und Verwaltung",
        [
            ("kaufmaennische-grundlagen", "Kaufmännische Grundlagen und Büro"),
            ("rechnungswesen", "Buchhaltung und Rechnungswesen"),
            ("dialogmarketing-kundenservice", "Dialogmarketing und Kundenservice"),
            ("marketing-vertrieb", "Marketing und Vertrieb"),
            ("projekt-qualitaetsmanagement", "Projekt- und Qualitätsmanagement"),
            ("gesundheitswirtschaft", "Verwaltung im Gesundheitswesen"),
        ],
    ),
    (
        "gesellschaft-politik-umwelt",
        "Gesellschaft, Politik und Umwelt",
        [
            ("politische-bildung", "Politische Bildung"),
            ("arbeitswelt-mitbestimmung", "Arbeitswelt und Mitbestimmung"),
            ("geschichte-regionalkunde", "Geschichte und Regionalkunde"),
            ("umwelt-nachhaltigkeit", "Umwelt und Nachhaltigkeit"),
            ("ehrenamt-engagement", "Ehrenamt und Engagement"),
        ],
    ),
    (
        "kultur-und-kreativitaet",
        "Kultur und Kreativität",
        [
            ("kunst-gestalten", "Kunst und Gestalten"),
            ("handwerkliches-gestalten", "Handwerkliches Gestalten"),
            ("literatur-lesen", "Literatur und Lesen"),
            ("musik", "Musik"),
            ("fotografie", "Fotografie"),
        ],
    ),
    (
        "grundbildung-schulabschluesse",
        "Grundbildung und Schulabschlüsse",
        [
            ("lesen-schreiben", "Lesen und Schreiben"),
            ("rechnen", "Rechnen"),
            ("schulabschluesse", "Schulabschlüsse nachholen"),
            ("lernen-lernen", "Lernen lernen"),
        ],
    ),
    (
        "medien",
        "Medien",
        [
            ("mediengestaltung", "Mediengestaltung Digital und Print"),
            ("film-video", "Film und Video"),
            ("audio-podcast", "Audio, Radio und Podcast"),
            ("journalismus-pr", "Journalismus und Öffentlichkeitsarbeit"),
            ("medienkompetenz", "Medienkompetenz"),
            ("veranstaltungstechnik", "Veranstaltungstechnik"),
        ],
    ),
    (
        "paedagogik-und-soziales",
        "Pädagogik und Soziales",
        [
            ("gender", "Gender und Chancengleichheit"),
            ("interkulturelle-kompetenz", "Interkulturelle Kompetenz"),
            ("erwachsenenbildung-lernbegleitung", "Erwachsenenbildung und Lernbegleitung"),
            ("ausbildung-der-ausbilder", "Ausbildung der Ausbilder"),
            ("erziehung-familie", "Erziehung und Familie"),
            ("beratung", "Bildungs- und Sozialberatung"),
        ],
    ),
    (
        "leben-im-alter",
        "Leben im Alter und Generationen",
        [
            ("lernen-im-alter", "Lernen im Alter"),
            ("aelter-werden-migration", "Älter werden in der Migration"),
            ("digitale-teilhabe-alter", "Digitale Teilhabe im Alter"),
            ("vorsorge-wohnen-alter", "Vorsorge und Wohnen im Alter"),
        ],
    ),
]

# (slug, name, description)
TARGET_GROUPS = [
    ("erwerbslose", "Erwerbslose", "Arbeitsuchende und arbeitslos gemeldete Menschen."),
    (
        "berufsrueckkehrende",
        "Berufsrückkehrerinnen und Berufsrückkehrer",
        "Menschen, die nach Familienzeit, Pflege oder Krankheit in den Beruf zurückkehren.",
    ),
    ("frauen", "Frauen", ""),
    (
        "frauen-ab-40",
        "Frauen ab 40",
        "Frauen in der zweiten Lebenshälfte, u. a. Wiedereinsteigerinnen.",
    ),
    (
        "aeltere-menschen",
        "Ältere Menschen",
        "Menschen ab etwa 60 Jahren, Seniorinnen und Senioren.",
    ),
    (
        "menschen-mit-migrationsgeschichte",
        "Menschen mit Migrationsgeschichte",
        "Zugewanderte und ihre Familien, Geflüchtete.",
    ),
    (
        "an-und-ungelernte",
        "An- und Ungelernte",
        "Beschäftigte und Arbeitsuchende ohne anerkannten Berufsabschluss.",
    ),
    ("beschaeftigte", "Beschäftigte", "Arbeitnehmerinnen und Arbeitnehmer."),
    ("fachkraefte", "Fachkräfte", "Menschen mit Berufsabschluss, die sich weiterqualifizieren."),
    ("fuehrungskraefte", "Führungskräfte", ""),
    ("jugendliche", "Jugendliche und junge Erwachsene", ""),
    ("schuelerinnen-schueler", "Schülerinnen und Schüler", ""),
    ("menschen-mit-behinderung", "Menschen mit Behinderung", ""),
    (
        "multiplikatoren",
        "Multiplikatorinnen und Multiplikatoren",
        "Menschen, die ihr Wissen in Einrichtungen, Vereinen oder Betrieben weitergeben.",
    ),
    (
        "lehrkraefte-bildungspersonal",
        "Lehrkräfte und Bildungspersonal",
        "Lehrende, Ausbilderinnen und Ausbilder, Lernbegleitung, Bildungsberatung.",
    ),
    ("pflegekraefte", "Pflege- und Betreuungskräfte", ""),
    ("eltern", "Eltern", ""),
    ("existenzgruendende", "Existenzgründerinnen und Existenzgründer", ""),
    (
        "betriebe",
        "Betriebe und Personalverantwortliche",
        "Kleine und mittlere Unternehmen, Personal- und Ausbildungsverantwortliche.",
    ),
    ("ehrenamtliche", "Ehrenamtlich Engagierte", ""),
    ("alle", "Alle Interessierten", ""),
]

# Educational leave: state key -> the name the state's law uses. Bayern (09) and Sachsen (14)
# have no such law.
EDUCATIONAL_LEAVE = {
    "01": ("Bildungsfreistellung Schleswig-Holstein", "Weiterbildungsgesetz Schleswig-Holstein"),
    "02": ("Bildungsurlaub Hamburg", "Hamburgisches Bildungsurlaubsgesetz"),
    "03": ("Bildungsurlaub Niedersachsen", "Niedersächsisches Bildungsurlaubsgesetz"),
    "04": ("Bildungsurlaub Bremen", "Bremisches Bildungsurlaubsgesetz"),
    "05": (
        "Bildungsurlaub Nordrhein-Westfalen",
        "Arbeitnehmerweiterbildungsgesetz Nordrhein-Westfalen",
    ),
    "06": ("Bildungsurlaub Hessen", "Hessisches Bildungsurlaubsgesetz"),
    "07": ("Bildungsfreistellung Rheinland-Pfalz", "Bildungsfreistellungsgesetz Rheinland-Pfalz"),
    "08": ("Bildungszeit Baden-Württemberg", "Bildungszeitgesetz Baden-Württemberg"),
    "10": ("Bildungsfreistellung Saarland", "Saarländisches Bildungsfreistellungsgesetz"),
    "11": ("Bildungsurlaub Berlin", "Berliner Bildungszeitgesetz"),
    "12": ("Bildungsfreistellung Brandenburg", "Brandenburgisches Weiterbildungsgesetz"),
    "13": (
        "Bildungsfreistellung Mecklenburg-Vorpommern",
        "Bildungsfreistellungsgesetz Mecklenburg-Vorpommern",
    ),
    "15": ("Bildungsfreistellung Sachsen-Anhalt", "Bildungsfreistellungsgesetz Sachsen-Anhalt"),
    "16": ("Bildungsfreistellung Thüringen", "Thüringer Bildungsfreistellungsgesetz"),
}
STATES_WITHOUT_EDUCATIONAL_LEAVE = ("09", "14")

# Funding other than educational leave: (slug, name, kind, state key or None, description, url)
FUNDING_TYPES = [
    (
        "bildungsgutschein",
        "Bildungsgutschein (AZAV)",
        "voucher",
        None,
        "Förderung beruflicher Weiterbildung durch die Agentur für Arbeit oder das Jobcenter "
        "(§ 81 SGB III); das Angebot muss nach AZAV zugelassen sein.",
        "https://www.arbeitsagentur.de/karriere-und-weiterbildung/foerderung-berufliche-weiterbildung",
    ),
    (
        "avgs",
        "Aktivierungs- und Vermittlungsgutschein (AVGS)",
        "voucher",
        None,
        "Coaching, Bewerbungstraining und Orientierung für Arbeitsuchende (§ 45 SGB III).",
        "",
    ),
    (
        "aufstiegs-bafoeg",
        "Aufstiegs-BAföG",
        "aufstiegs_bafoeg",
        None,
        "Förderung von Fortbildungen zu Meister, Fachwirt, Techniker, Erzieher und vergleichbaren "
        "Abschlüssen nach dem Aufstiegsfortbildungsförderungsgesetz (AFBG).",
        "https://www.aufstiegs-bafoeg.de/",
    ),
    (
        "foerderung-beschaeftigter",
        "Förderung Beschäftigter (Qualifizierungschancengesetz, § 82 SGB III)",
        "employer",
        None,
        "Zuschüsse zu Lehrgangskosten und Arbeitsentgelt, wenn Betriebe ihre Beschäftigten "
        "weiterbilden; früher WeGebAU.",
        "",
    ),
    (
        "weiterbildung-geringqualifizierter",
        "Abschlussorientierte Weiterbildung Geringqualifizierter (früher WeGebAU)",
        "employer",
        None,
        "Förderung von Beschäftigten ohne Berufsabschluss auf dem Weg zum Berufsabschluss, "
        "auch mit Externenprüfung.",
        "",
    ),
    (
        "qualifizierungsgeld",
        "Qualifizierungsgeld",
        "employer",
        None,
        "Entgeltersatz für Beschäftigte, deren Arbeitsplätze vom Strukturwandel betroffen sind "
        "(§ 82a SGB III).",
        "",
    ),
    (
        "weiterbildungsstipendium",
        "Weiterbildungsstipendium",
        "other",
        None,
        "Stipendium der Begabtenförderung berufliche Bildung für junge Fachkräfte.",
        "",
    ),
    (
        "bamf-sprachkurse",
        "Integrations- und Berufssprachkurse (BAMF)",
        "other",
        None,
        "Kostenfreie oder ermäßigte Sprachkurse des Bundesamts für Migration und Flüchtlinge.",
        "",
    ),
    (
        "qualischeck-rlp",
        "QualiScheck Rheinland-Pfalz",
        "state_programme",
        "07",
        "Zuschuss des Landes Rheinland-Pfalz zu beruflicher Weiterbildung für Beschäftigte.",
        "",
    ),
    (
        "weiterbildungsbonus-hamburg",
        "Hamburger Weiterbildungsbonus",
        "state_programme",
        "02",
        "Zuschuss für Beschäftigte in Hamburg mit geringem Einkommen oder in kleinen Betrieben.",
        "",
    ),
    (
        "weiterbildungsbonus-sh",
        "Weiterbildungsbonus Schleswig-Holstein (ESF Plus)",
        "state_programme",
        "01",
        "Landesprogramm für berufliche Weiterbildung von Beschäftigten in Schleswig-Holstein.",
        "",
    ),
    (
        "weiterbildung-in-niedersachsen",
        "Weiterbildung in Niedersachsen (WiN, ESF Plus)",
        "state_programme",
        "03",
        "Förderung beruflicher Weiterbildung für Beschäftigte und Betriebe in Niedersachsen.",
        "",
    ),
    (
        "esf-plus-mv",
        "ESF-Plus-Weiterbildungsförderung Mecklenburg-Vorpommern",
        "state_programme",
        "13",
        "Förderung beruflicher Weiterbildung aus dem ESF Plus Programm 2021–2027 "
        "Mecklenburg-Vorpommern.",
        "",
    ),
    (
        "bildungskonto-ooe",
        "Bildungskonto Oberösterreich",
        "state_programme",
        None,
        "Zuschuss des Landes Oberösterreich (Österreich) zu beruflicher Weiterbildung.",
        "",
    ),
    (
        "ams-foerderung",
        "AMS-Förderung (Österreich)",
        "other",
        None,
        "Kursförderung des Arbeitsmarktservice Österreich.",
        "",
    ),
]

# (slug, name, description)
CERTIFICATE_KINDS = [
    ("teilnahmebescheinigung", "Teilnahmebescheinigung", ""),
    (
        "zertifikat-anbieter",
        "Zertifikat des Anbieters",
        "Abschlusszertifikat mit Prüfung beim Anbieter.",
    ),
    (
        "ihk-abschluss",
        "IHK-Abschluss / Kammerprüfung",
        "Berufsabschluss oder Fortbildungsabschluss vor der Industrie- und Handelskammer.",
    ),
    (
        "hwk-abschluss",
        "HWK-Abschluss (Gesellen- oder Meisterprüfung)",
        "Prüfung vor der Handwerkskammer.",
    ),
    (
        "externenpruefung",
        "Berufsabschluss (Externenprüfung)",
        "Anerkannter Berufsabschluss über die Zulassung zur Externenprüfung (§ 45 Abs. 2 BBiG).",
    ),
    ("teilqualifikation", "Teilqualifikation (Kompetenzfeststellung)", ""),
    ("staatlicher-abschluss", "Staatlich anerkannter Abschluss", "z. B. Pflegefachfrau/-mann."),
    ("schulabschluss", "Schulabschluss", "Berufsreife, Sekundarabschluss I, Fachhochschulreife."),
    (
        "hochschulzertifikat",
        "Hochschulzertifikat",
        "Zertifikat einer Hochschule, mit ECTS-Punkten.",
    ),
    ("sprachzertifikat", "Sprachzertifikat (GER)", "z. B. telc, Goethe, DTZ, nach Niveaustufe."),
    ("edv-zertifikat", "EDV-Zertifikat (Xpert, ICDL)", ""),
    (
        "sachkundenachweis",
        "Sachkunde- oder Befähigungsnachweis",
        "z. B. Staplerschein, Schweißerprüfung.",
    ),
]

# network.Certification: (slug, name, description, url)
CERTIFICATIONS = [
    (
        "azav",
        "AZAV",
        "Zulassung als Träger und für Maßnahmen der Arbeitsförderung nach der "
        "Akkreditierungs- und Zulassungsverordnung Arbeitsförderung.",
        "",
    ),
    ("iso-9001", "ISO 9001", "Qualitätsmanagementsystem nach DIN EN ISO 9001.", ""),
    (
        "lqw",
        "LQW",
        "Lernerorientierte Qualitätstestierung in der Weiterbildung (ArtSet).",
        "",
    ),
    ("efqm", "EFQM", "Excellence-Modell der European Foundation for Quality Management.", ""),
    (
        "hamburger-pruefsiegel",
        "Hamburger Prüfsiegel für Weiterbildung",
        "Qualitätssiegel von Weiterbildung Hamburg e.V. für Bildungsanbieter in der "
        "Metropolregion.",
        "https://www.weiterbildung-hamburg.de/",
    ),
    (
        "qualitaetssiegel-weiterbildung-mv",
        "Qualitätssiegel Weiterbildung Mecklenburg-Vorpommern",
        "Landesweites Qualitätssiegel für Weiterbildungsanbieter in Mecklenburg-Vorpommern.",
        "",
    ),
    (
        "guetesiegel-weiterbildung",
        "Gütesiegel Weiterbildung",
        "Gütesiegel des Gütesiegelverbunds Weiterbildung e.V.",
        "",
    ),
    (
        "din-iso-29993",
        "DIN ISO 29993",
        "Norm für Lerndienstleistungen außerhalb formaler Bildung.",
        "",
    ),
    (
        "oe-cert",
        "Ö-Cert",
        "Qualitätsrahmen für die Erwachsenenbildung in Österreich.",
        "",
    ),
]
