"""German compounds: the parts a word is made of, for finding it by them.

German joins words ("Deutsch|kurs", "Alten|pflege|helfer|in", "Gabel|stapler|schein");
PostgreSQL's ``german`` configuration stems words but never splits them. Splitting happens here,
in the application, against a lexicon of known words (the index's own vocabulary, the
thesaurus, a short list of the field's word parts: ``measures.search.lexicon``), so it works on
any PostgreSQL server without files on the database host. A split must cover the whole word
with known parts of at least MIN_PART letters; a part may end with a linking element
("Bewerbung|s|training"), the last one with an inflection ("Helfer|in"). Among the splits the
one with the fewest parts wins, so "Altenpflege" stays one part where the lexicon knows it,
and each part is split again for the index.

Both sides use it: a query word the vocabulary does not know is searched by its parts, and a
course's title and keywords are indexed with the parts of their compounds, so "Pflege" finds
"Altenpflegehelfer/in" and "Stapler" finds "Gabelstaplerschein".

Everything here is pure (words in, words out; folded words: lower case, umlauts as digraphs).
"""

from __future__ import annotations

from functools import lru_cache

MIN_PART = 3
# Linking elements between parts ("Bewerbung|s|training", "Kinder|n|…", "Schule|n|…").
LINKS = ("s", "es", "n", "en", "e")
# Endings of the last part ("Helfer|in", "Erzieher|innen", "Kurs|e").
ENDINGS = ("innen", "in", "ern", "er", "en", "es", "e", "n", "s")

# Heads of compounds and words that say nothing about a course's subject ("Deutschkurs",
# "Excel Schulung"): they give way to the words that do.
GENERIC_HEADS = frozenset(
    {
        "kurs", "kurse", "kurses", "kursus", "seminar", "seminare", "lehrgang", "lehrgaenge",
        "schulung", "schulungen", "training", "trainings", "workshop", "workshops",
        "unterricht", "lernen", "angebot", "angebote", "weiterbildung", "weiterbildungen",
        "fortbildung", "fortbildungen",
    }
)  # fmt: skip

# Words that carry no subject in a query ("Computer für Ältere", "Kurse ab 60", "Deutsch in
# Schwerin"): not required to match when other words are there, and never a part of a
# compound. Folded.
STOP_WORDS = frozenset(
    """
    ab als am an auf aus bei beim bis da das dem den der des die durch ein eine einem einen
    einer eines er es fuer gegen gibt ich ihr im in ins ist mal man mein meine mich mir mit
    moechte nach oder ohne sie so suche suchen ueber um und unter vom von vor was wer wie will
    wir zu zum zur
    """.split()
)

# Word parts of the field that a catalogue may use only inside compounds ("Gabelstapler|schein",
# "Alten|pflege"): known to the splitter whatever the catalogue holds. Folded.
BASE_WORDS = frozenset(
    """
    alt alten arbeit arbeits assistenz aufbau ausbildung ausweis auto bau beratung beruf
    berufs betreuung betrieb bewerbung bild bildung buch buero cafe computer daten deutsch digital
    dienst eltern energie englisch erste fach fahrer fahrerin familie foto fotografie frau
    frauen fuehrung fuehrerschein gabel garten gesundheit gesellschaft grund handel handwerk
    haus heim helfer hilfe holz hotel internet jugend kasse kinder kind koch kraft kranken
    kuenstler kultur kunde kunden lager lehr lehrer leitung lese lesen logistik maler management
    markt mathe medien medizin metall mitarbeiter musik netz notfall personal pflege praxis
    projekt qualifizierung rechnung recht schein schreib schreiben schule schweiss sicherheit
    software sozial sport sprach sprache stapler steuer technik text umwelt unternehmen urlaub
    verkauf verwaltung wasser web werk wirtschaft wohnen zahlen zeit
    """.split()
)


def is_part(word: str, known) -> bool:
    """Whether ``word`` may be a part of a compound: known, not a stop word, long enough."""
    return len(word) >= MIN_PART and word not in STOP_WORDS and (word in known)


def as_part(piece: str, known) -> str | None:
    """A part before another ("bewerbungs" → bewerbung): the known word it is, or None."""
    if is_part(piece, known):
        return piece
    for link in LINKS:
        if piece.endswith(link) and is_part(piece[: -len(link)], known):
            return piece[: -len(link)]
    return None


def as_last(piece: str, known) -> str | None:
    """The last part ("helferin" → helferin or helfer): the known word it is, or None."""
    if is_part(piece, known):
        return piece
    for ending in ENDINGS:
        if piece.endswith(ending) and is_part(piece[: -len(ending)], known):
            return piece[: -len(ending)]
    return None


def split(word: str, known) -> list[str] | None:
    """The fewest known parts that make up ``word`` (at least two), as the words they are
    ("bewerbungstraining" → bewerbung, training); None when there is no such split.

    ``known`` is anything with ``in`` (a set of folded words; generic heads count as known).
    """
    pieces = _pieces(word, _WithGeneric(known))
    return [part for _start, part in pieces] if pieces else None


def _pieces(word: str, known) -> list[tuple[int, str]] | None:
    """The split as (where each piece starts in ``word``, the known word it is)."""
    length = len(word)
    if length < 2 * MIN_PART:
        return None
    # best[i]: the fewest pieces covering word[i:]; computed from the end.
    best: list[list[tuple[int, str]] | None] = [None] * (length + 1)
    for start in range(length - MIN_PART, -1, -1):
        last = as_last(word[start:], known) if start else None  # the whole word is no split
        candidates = [[(start, last)]] if last else []
        for end in range(length - MIN_PART, start + MIN_PART - 1, -1):  # longest head first
            rest = best[end]
            if rest is None:
                continue
            head = as_part(word[start:end], known)
            if head:
                candidates.append([(start, head), *rest])
        if candidates:
            best[start] = min(candidates, key=len)  # the first of the fewest
    return best[0]


def index_parts(word: str, known) -> list[str]:
    """What a course's word is indexed with besides itself: each part of its split, split
    again, and each run of parts that ends the word, as written (the head of a German compound
    is its end: "altenpflegehelferin" → pflegehelferin, alten, pflege, helfer …). Empty for a
    word that is no compound."""
    known = _WithGeneric(known)
    pieces = _pieces(word, known)
    if not pieces:
        return []
    found = [word[start:] for start, _part in pieces[1:]]
    for _start, part in pieces:
        found.append(part)
        found.extend(index_parts(part, known))
    return list(dict.fromkeys(part for part in found if part != word))


class _WithGeneric:
    """A lexicon that also knows the generic heads."""

    def __init__(self, known):
        self.known = known.known if isinstance(known, _WithGeneric) else known

    def __contains__(self, word) -> bool:
        return word in GENERIC_HEADS or word in self.known


@lru_cache(maxsize=4096)
def part_candidates(word: str) -> frozenset[str]:
    """Every part a split of ``word`` could have, at any depth (each piece of at least
    MIN_PART letters), to ask the lexicon about in one query."""
    length = len(word)
    return frozenset(
        word[start:end]
        for start in range(length - MIN_PART + 1)
        for end in range(start + MIN_PART, length + 1)
    )
