"""Full-text search over courses: the stored search vector, query parsing, synonyms, suggestions.

Text is folded the same way on both sides (``atlas_fold`` in the database, :func:`fold` here:
lower case, umlauts as digraphs, ß as ss, accents removed) and stemmed with PostgreSQL's
``german`` configuration, so "Fuehrerschein" finds "Führerschein" and "Weiterbildungen" finds
"Weiterbildung". Compounds are split in the application (``measures.compounds``) on both
sides: a course is indexed with the parts of its compounds, a query word is also searched by
its parts. A query is a list of groups that must all match (:func:`parse`); the course search
leaves out the fewest when none matches them all.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from core import generations, replicas
from core.text import fold
from measures import compounds
from measures.models import Course, SearchWord, Synonym

CONFIG = "german"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MIN_SUGGESTION_SIMILARITY = 0.35

_WORD = re.compile(r"[0-9a-z]+")


def words(text: str) -> list[str]:
    """The folded words of a user's query, at most MAX_WORDS."""
    return _WORD.findall(fold(text[:MAX_QUERY_LENGTH]))[:MAX_WORDS]


@dataclass
class Group:
    """One thing a query asks for: a word, or a phrase the thesaurus knows ("Erste Hilfe"),
    with its alternatives (synonyms, the parts of a compound) in ``to_tsquery`` syntax."""

    words: list[str]  # the folded query words it stands for
    tsquery: str
    spelling: str  # as the user wrote it, for "… ohne „Ältere“"


@dataclass
class ParsedQuery:
    """A query as groups that must all match; words that carry no subject ("für", "ab 60")
    and generic heads ("Kurs") are not required where other words say what is wanted."""

    text: str
    words: list[str]
    groups: list[Group] = field(default_factory=list)
    any_group: bool = False  # partial matches: a course that matches one group is found

    def __bool__(self):
        return bool(self.groups)

    def tsquery(self) -> str | None:
        """The query in ``to_tsquery`` syntax: every group (any group for partial matches)."""
        if not self.groups:
            return None
        return (" | " if self.any_group else " & ").join(group.tsquery for group in self.groups)

    def search_query(self) -> SearchQuery | None:
        raw = self.tsquery()
        if raw is None:
            return None
        return SearchQuery(raw, search_type="raw", config=CONFIG)

    def only(self, group: Group) -> ParsedQuery:
        return ParsedQuery(text=self.text, words=group.words, groups=[group])

    def partial(self) -> ParsedQuery:
        """The same groups, any of which finds a course (ranked by how many it matches)."""
        return ParsedQuery(text=self.text, words=self.words, groups=self.groups, any_group=True)


def _find(haystack: list[str], needle: list[str]) -> int | None:
    for start in range(len(haystack) - len(needle) + 1):
        if haystack[start : start + len(needle)] == needle:
            return start
    return None


def _phrase(phrase_words: list[str]) -> str:
    if len(phrase_words) == 1:
        return phrase_words[0]
    return "(" + " <-> ".join(phrase_words) + ")"


_synonyms: tuple[int, dict] | None = None  # (generation, table)


def active_synonyms() -> dict[str, list[list[str]]]:
    """Folded term words → folded alternatives, from the admin-editable table (read once per
    reference generation: saving a synonym starts a new one)."""
    global _synonyms  # noqa: PLW0603 - a per-process memo keyed by the generation
    current = generations.reference()
    if _synonyms is not None and _synonyms[0] == current:
        return _synonyms[1]
    table: dict[str, list[list[str]]] = {}
    with replicas.primary():  # kept as the generation's: not from a lagging replica
        entries = list(
            Synonym.objects.filter(is_active=True).only("term", "alternatives", "two_way")
        )
    for synonym in entries:
        term = words(synonym.term)
        if not term:
            continue
        alternatives = [alt for alt in map(words, synonym.alternative_list()) if alt]
        table.setdefault(" ".join(term), []).extend(alternatives)
        if synonym.two_way:  # every alternative also finds the term and the others
            group = [term, *alternatives]
            for alternative in alternatives:
                others = [other for other in group if other != alternative]
                table.setdefault(" ".join(alternative), []).extend(others)
    _synonyms = (current, table)
    return table


_LEXICON_SQL = f"SELECT DISTINCT word FROM {SearchWord._meta.db_table} WHERE word = ANY(%s)"  # noqa: S608 - a table name


def lexicon(candidates) -> set[str]:
    """Which of these folded words the splitter knows (``measures.compounds``): the public
    vocabulary (one indexed query), the thesaurus' words and the field's word parts."""
    candidates = sorted(set(candidates))
    if not candidates:
        return set()
    # Constant SQL (no ORM compilation for every search), on a replica in a public request.
    with replicas.read_connection().cursor() as cursor:
        cursor.execute(_LEXICON_SQL, [candidates])
        found = {word for (word,) in cursor.fetchall()}
    return found | (set(candidates) & (compounds.BASE_WORDS | thesaurus_words()))


_thesaurus_words: tuple[dict, frozenset[str]] | None = None


def thesaurus_words() -> frozenset[str]:
    """Every single word of the active thesaurus' terms and alternatives."""
    global _thesaurus_words  # noqa: PLW0603 - follows the synonyms' memo
    table = active_synonyms()
    if _thesaurus_words is None or _thesaurus_words[0] is not table:
        found = {word for term, alternatives in table.items() for word in term.split()}
        found.update(word for alternative in table.values() for alt in alternative for word in alt)
        _thesaurus_words = (table, frozenset(found))
    return _thesaurus_words[1]


_HEADS_LONGEST_FIRST = sorted(compounds.GENERIC_HEADS, key=lambda head: (-len(head), head))


def _word_alternatives(word: str, known: set[str], table) -> list[str]:
    """What else finds a query word: the parts of the compound it is, when the vocabulary does
    not know it ("staplerschein" → stapler & schein), or the word before its generic head
    ("deutschkurs" → deutsch); each part with its own synonyms."""
    if word in known:
        parts = None
        for head in _HEADS_LONGEST_FIRST:
            stem = word.removesuffix(head)
            part = compounds.as_part(stem, known) if stem != word else None
            if part:
                parts = [part, head]
                break
    else:
        parts = compounds.split(word, known) or _before_generic_head(word, known)
    if not parts:
        return []
    specific = [part for part in parts if part not in compounds.GENERIC_HEADS]
    if not specific:
        return []
    return [" & ".join(_with_synonyms(part, table) for part in specific)]


def _before_generic_head(word: str, known: set[str]) -> list[str] | None:
    """An unknown word on a generic head ("computerkurs"): the rest is what is wanted (a
    synonym may know it)."""
    for head in _HEADS_LONGEST_FIRST:
        stem = word.removesuffix(head)
        if stem != word and len(stem) >= compounds.MIN_PART:
            for link in compounds.LINKS:
                if stem.endswith(link) and stem[: -len(link)] in known:
                    return [stem[: -len(link)], head]
            return [stem, head]
    return None


def _with_synonyms(word: str, table) -> str:
    options = [word] + [_phrase(alternative) for alternative in table.get(word, [])]
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


_OWN_WORD = re.compile(r"[^\W_]+")


def _carries_no_subject(word: str) -> bool:
    return word in compounds.STOP_WORDS or word in compounds.GENERIC_HEADS or word.isdigit()


def parse(text: str, synonyms: dict[str, list[list[str]]] | None = None) -> ParsedQuery:
    """The groups a query asks for. Each word finds itself (the last one as a prefix), its
    synonyms, and the parts of the compound it is; a phrase of the thesaurus finds itself and
    its alternatives. Stop words and generic heads are left out where other words remain."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    query_words = words(text)
    parsed = ParsedQuery(text=text, words=query_words)
    if not query_words:
        return parsed
    table = active_synonyms() if synonyms is None else synonyms
    own = {fold(token): token for token in _OWN_WORD.findall(text)}
    content = [word for word in query_words if not _carries_no_subject(word)]
    looked_up = [word for word in content if len(word) >= 2 * compounds.MIN_PART]
    known = lexicon(part for word in looked_up for part in compounds.part_candidates(word))
    groups: list[Group] = []
    covered: set[int] = set()
    # Phrases of the thesaurus, longest first, each word in at most one.
    phrases = sorted((term for term in table if " " in term), key=len, reverse=True)
    for term in phrases:
        term_words = term.split()
        position = _find(query_words, term_words)
        if position is None or covered & set(range(position, position + len(term_words))):
            continue
        covered.update(range(position, position + len(term_words)))
        options = list(dict.fromkeys([_phrase(term_words)] + [_phrase(a) for a in table[term]]))
        spelling = " ".join(own.get(word, word) for word in term_words)
        groups.append(Group(term_words, "(" + " | ".join(options) + ")", spelling))
    required = content or query_words
    for index, word in enumerate(query_words):
        if index in covered or word not in required:
            continue
        last = index == len(query_words) - 1
        alternatives = [_phrase(alt) for alt in table.get(word, [])]
        prefix = last and not alternatives and len(word) >= 2
        options = [f"{word}:*" if prefix else word, *alternatives]
        options += _word_alternatives(word, known, table) if word in content else []
        options = list(dict.fromkeys(options))
        tsquery = options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"
        groups.append(Group([word], tsquery, own.get(word, word)))
    # In the order the words were typed.
    parsed.groups = sorted(groups, key=lambda group: query_words.index(group.words[0]))
    return parsed


# The texts of a course's links, each computed once for all the courses refreshed (one
# ``GROUP BY`` per linked table over their ids, not a subquery per course), each in a defined
# order, so that a course's document is the same whether it is refreshed alone or with
# thousands of others: by the id of the tag, subject, target group or funding type (the order
# the earlier subqueries' joins gave, so the documents stay as they were; the ranking depends
# on the positions). ``{ids X}`` is the condition on the course id ``X`` (``_for_courses``).
_LINKED_TEXT_SQL = """
tags AS (
    SELECT ti.object_id AS course_id, string_agg(t.name, ' ' ORDER BY t.id) AS text
    FROM taggit_taggeditem ti JOIN taggit_tag t ON t.id = ti.tag_id
    WHERE ti.content_type_id = %(course_type)s AND {ids ti.object_id}
    GROUP BY ti.object_id
), subjects AS (
    SELECT cs.course_id,
        string_agg(concat_ws(' ', s.name, sp.name), ' ' ORDER BY s.id) AS text
    FROM measures_course_subjects cs
    JOIN measures_subject s ON s.id = cs.subject_id
    LEFT JOIN measures_subject sp ON sp.id = s.parent_id
    WHERE {ids cs.course_id}
    GROUP BY cs.course_id
)"""

# The document: title (A), keywords and subjects and the parts of the compounds in title,
# keywords and subjects (B), summary, target groups and funding (C), description, provider and
# places (D), in the course's SearchDocument. Kept in one statement so every writer refreshes
# it the same way, for one course or for many; the parts come from the application
# (``compound_parts``).
_VECTOR_SQL = (
    "WITH"  # noqa: S608 - constant pieces
    + _LINKED_TEXT_SQL
    + """, target_groups AS (
    SELECT cg.course_id, string_agg(g.name, ' ' ORDER BY g.id) AS text
    FROM measures_course_target_groups cg
    JOIN measures_targetgroup g ON g.id = cg.targetgroup_id
    WHERE {ids cg.course_id}
    GROUP BY cg.course_id
), funding AS (
    SELECT cf.course_id, string_agg(f.name, ' ' ORDER BY f.id) AS text
    FROM measures_course_funding cf
    JOIN measures_fundingtype f ON f.id = cf.fundingtype_id
    WHERE {ids cf.course_id}
    GROUP BY cf.course_id
), cities AS (
    SELECT d.course_id, string_agg(DISTINCT v.city, ' ' ORDER BY v.city) AS text
    FROM measures_coursedate d
    JOIN network_venue v ON v.id = d.venue_id
    WHERE {ids d.course_id}
    GROUP BY d.course_id
)
INSERT INTO measures_searchdocument (course_id, vector)
SELECT c.id,
    setweight(to_tsvector('german', atlas_fold(c.title)), 'A')
    || setweight(to_tsvector('german', atlas_fold(
        coalesce(tags.text, '') || ' ' || coalesce(subjects.text, ''))), 'B')
    || setweight(to_tsvector('german', coalesce(p.parts, '')), 'B')
    || setweight(to_tsvector('german', atlas_fold(concat_ws(' ', c.summary,
        target_groups.text, funding.text))), 'C')
    || setweight(to_tsvector('german', atlas_fold(concat_ws(' ',
        c.description, c.objectives, c.contents,
        concat_ws(' ', o.name, o.short_name, o.city),
        cities.text))), 'D')
FROM measures_course AS c
LEFT JOIN network_organisation o ON o.id = c.provider_id
LEFT JOIN tags ON tags.course_id = c.id
LEFT JOIN subjects ON subjects.course_id = c.id
LEFT JOIN target_groups ON target_groups.course_id = c.id
LEFT JOIN funding ON funding.course_id = c.id
LEFT JOIN cities ON cities.course_id = c.id
LEFT JOIN unnest(%(part_ids)s::bigint[], %(parts)s::text[]) AS p(course_id, parts)
    ON p.course_id = c.id
WHERE {ids c.id}
ON CONFLICT (course_id) DO UPDATE SET vector = EXCLUDED.vector
"""
)

_IDS_CONDITION = re.compile(r"\{ids ([a-z_]+\.[a-z_]+)\}")


def _for_courses(sql: str, course_ids) -> str:
    """The statement for the courses ``%(ids)s`` (one array, however many), or for every
    course when ``course_ids`` is None: each ``{ids X}`` becomes ``X = ANY(%(ids)s)`` (an index
    scan per linked table for a few courses, a scan of it for many) or ``true``."""
    return _IDS_CONDITION.sub(
        (lambda match: "true") if course_ids is None else r"\1 = ANY(%(ids)s)", sql
    )


def refresh_search_vectors(course_ids=None, *, words: bool = True) -> None:
    """Recompute the stored search vector of the given courses (all when None) and, unless
    ``words`` is false (for a caller that rebuilds it next), update the vocabulary of
    "Meinten Sie …?" for them (:func:`search_words_update`; the whole vocabulary is rebuilt
    by ``refresh_search_words``, not here). A constant number of statements, however many
    courses."""
    if course_ids is not None:
        course_ids = list(course_ids)
        if not course_ids:
            generations.bump(courses=course_ids)
            return
    generations.bump(courses=course_ids)
    params = {"course_type": ContentType.objects.get_for_model(Course).pk, "ids": course_ids}
    params["part_ids"], params["parts"] = compound_parts(course_ids)
    with connection.cursor() as cursor:
        cursor.execute(_for_courses(_VECTOR_SQL, course_ids), params)
    if course_ids is not None and words:
        search_words_update(course_ids=course_ids)


# The words whose compounds are split: the title's, the keywords' and the subjects' (folded).
_NAMED_TEXT_SQL = (
    "WITH"
    + _LINKED_TEXT_SQL
    + """
SELECT c.id, atlas_fold(concat_ws(' ', c.title, tags.text, subjects.text))
FROM measures_course AS c
LEFT JOIN tags ON tags.course_id = c.id
LEFT JOIN subjects ON subjects.course_id = c.id
WHERE {ids c.id}
"""
)
# Above this many candidate parts the whole vocabulary is read instead of asked about.
_WHOLE_LEXICON = 20_000


def compound_parts(course_ids=None) -> tuple[list[int], list[str]]:
    """The parts of the compounds in each course's title, keywords and subjects, as text to
    index ("Gabelstaplerschein" → gabel stapler schein staplerschein), for the given courses
    (all when None): course ids and texts, courses without a compound left out."""
    params = {"course_type": ContentType.objects.get_for_model(Course).pk}
    if course_ids is not None:
        params["ids"] = list(course_ids)
    with connection.cursor() as cursor:
        cursor.execute(_for_courses(_NAMED_TEXT_SQL, course_ids), params)
        texts = cursor.fetchall()
    course_words = [(pk, set(_WORD.findall(text or ""))) for pk, text in texts]
    long_words = {
        word for _pk, found in course_words for word in found if len(word) >= 2 * compounds.MIN_PART
    }
    candidates = {part for word in long_words for part in compounds.part_candidates(word)}
    if len(candidates) > _WHOLE_LEXICON:
        known = set(SearchWord.objects.values_list("word", flat=True).distinct())
        known |= compounds.BASE_WORDS | thesaurus_words()
    else:
        known = lexicon(candidates)
    parts_of = {word: compounds.index_parts(word, known) for word in long_words}
    ids, parts = [], []
    for pk, found in course_words:
        course_parts = sorted({part for word in found for part in parts_of.get(word, ())})
        if course_parts:
            ids.append(pk)
            parts.append(" ".join(course_parts))
    return ids, parts


# Date summaries (next start, modes, regions: see Course) are written for the day they are
# written on; one goes stale when the first of its current dates ends.
_STALE_SUMMARIES_SQL = """
WITH stale AS (SELECT array_agg(id) AS ids FROM measures_course WHERE summary_valid_until < %s)
SELECT measures_course_summarise_dates(ids, %s), coalesce(cardinality(ids), 0) FROM stale
"""


def refresh_stale_summaries(day=None) -> int:
    """Renew the date summaries that dates ending since they were written have made stale;
    returns how many. One indexed query when there is nothing to do."""
    day = day or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(_STALE_SUMMARIES_SQL, [day, day])
        _result, renewed = cursor.fetchone()
    if renewed:
        generations.bump()
    return renewed


# "Meinten Sie …?" suggests from the public vocabulary: the words of public courses' titles
# and keywords and of the subjects' names, each spelling as written. Text is split where it has
# no letter or digit. Each public course's spellings are kept in its SearchWordSource row, so
# that a change to the course takes back exactly what it added; a spelling is a word of the
# vocabulary when its folded form is 3–100 plain letters and digits (what ``words`` makes of a
# query), which is tested once per distinct spelling (folding every word of every course
# would take most of a rebuild's time).
_COURSE_WORDS_SQL = """
WITH courses AS MATERIALIZED (
    SELECT c.id, c.title FROM measures_course AS c WHERE c.id IN ({public}){only}
)
SELECT w.course_id, array_agg(DISTINCT w.spelling ORDER BY w.spelling)
FROM (
    SELECT c.id AS course_id, regexp_split_to_table(c.title, '[^[:alnum:]]+') AS spelling
    FROM courses AS c
    UNION ALL  -- the keywords of all of them in one join, not a subquery per course
    SELECT ti.object_id, regexp_split_to_table(t.name, '[^[:alnum:]]+')
    FROM courses AS c
    JOIN taggit_taggeditem ti ON ti.object_id = c.id AND ti.content_type_id = %s
    JOIN taggit_tag t ON t.id = ti.tag_id
) AS w
WHERE length(w.spelling) BETWEEN 2 AND 100
GROUP BY w.course_id
"""

_VOCABULARY_SQL = """
WITH counted AS MATERIALIZED (
    SELECT spelling, count(*) AS frequency FROM (
        SELECT unnest(words) AS spelling FROM measures_searchwordsource
        UNION ALL
        SELECT regexp_split_to_table(s.name, '[^[:alnum:]]+') FROM measures_subject AS s
    ) AS pieces
    WHERE length(spelling) <= 100
    GROUP BY spelling
), v AS MATERIALIZED (  -- folded once per spelling, not once per course's use of it
    SELECT atlas_fold(spelling) AS word, spelling, frequency FROM counted
)
INSERT INTO measures_searchword (word, display, frequency)
SELECT v.word, v.spelling, v.frequency FROM v
WHERE length(v.word) BETWEEN 3 AND 100 AND v.word !~ '[^0-9a-z]'
"""

_GAINED_SQL = """
WITH v AS MATERIALIZED (  -- folded once per spelling, not once per condition on it
    SELECT atlas_fold(g.spelling) AS word, g.spelling, g.n
    FROM unnest(%s::text[], %s::integer[]) AS g(spelling, n)
)
INSERT INTO measures_searchword (word, display, frequency)
SELECT v.word, v.spelling, v.n FROM v
WHERE length(v.word) BETWEEN 3 AND 100 AND v.word !~ '[^0-9a-z]'  -- as in _VOCABULARY_SQL
ON CONFLICT (word, display)
DO UPDATE SET frequency = measures_searchword.frequency + EXCLUDED.frequency
"""

# Each course's spellings, as a blank-separated text per course (an array of arrays must be
# rectangular); kept sorted.
_SOURCES_SQL = """
INSERT INTO measures_searchwordsource (course_id, words)
SELECT s.course_id, string_to_array(s.words, ' ')
FROM unnest(%s::bigint[], %s::text[]) AS s(course_id, words)
ON CONFLICT (course_id) DO UPDATE SET words = EXCLUDED.words
"""

# Rebuilds and updates of the vocabulary take turns (a transaction-level advisory lock).
_SEARCH_WORDS_LOCK = 0x6D65617375726573  # "measures"


def _course_words_sql(ids=None) -> tuple[str, list]:
    """The statement reading each public course's spellings (``Course.objects.public()`` says
    which are public), of the courses ``ids`` only unless None."""
    public = Course.objects.public()
    if ids is not None:  # the subquery of those only: not a join with every public course
        public = public.filter(pk__in=list(ids))
    public_sql, public_params = public.values("pk").query.sql_with_params()
    params = [*public_params]
    only = ""
    if ids is not None:
        only = " AND c.id = ANY(%s)"  # one array, however many ids
        params.append(list(ids))
    params.append(ContentType.objects.get_for_model(Course).pk)
    return _COURSE_WORDS_SQL.format(public=public_sql, only=only), params


@transaction.atomic
def refresh_search_words() -> int:
    """Rebuild the vocabulary that "Meinten Sie …?" suggests from, from every public course
    and every subject; returns how many spellings it holds. The daily job runs it: courses
    whose dates have all ended leave the vocabulary then (edits update it at once:
    :func:`search_words_update`)."""
    sql, params = _course_words_sql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEARCH_WORDS_LOCK])
        cursor.execute("DELETE FROM measures_searchwordsource")
        cursor.execute("DELETE FROM measures_searchword")
        cursor.execute(f"INSERT INTO measures_searchwordsource (course_id, words) {sql}", params)
        cursor.execute(_VOCABULARY_SQL)
        return cursor.rowcount


@transaction.atomic
def search_words_update(*, course_ids) -> None:
    """Bring the vocabulary of "Meinten Sie …?" up to date for these courses after they were
    created, changed, published, withdrawn or deleted: what each added before is taken back
    and what it adds now (its title's and keywords' spellings, if it is public) is counted.
    Costs a few statements for the given courses, however many there are in all."""
    ids = sorted({int(pk) for pk in course_ids})
    if not ids:
        return
    sql, params = _course_words_sql(ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEARCH_WORDS_LOCK])
        cursor.execute(
            "SELECT course_id, words FROM measures_searchwordsource WHERE course_id = ANY(%s)",
            [ids],
        )
        before = {pk: set(spellings) for pk, spellings in cursor.fetchall()}
        cursor.execute(sql, params)
        after = {pk: set(spellings) for pk, spellings in cursor.fetchall()}
        change: Counter[str] = Counter()
        for pk in ids:
            old, new = before.get(pk, set()), after.get(pk, set())
            change.update(new - old)
            change.subtract(old - new)
        gained = sorted((spelling, n) for spelling, n in change.items() if n > 0)
        lost = sorted((spelling, -n) for spelling, n in change.items() if n < 0)
        if gained:
            cursor.execute(
                _GAINED_SQL,
                [[spelling for spelling, _n in gained], [n for _spelling, n in gained]],
            )
        if lost:
            cursor.execute(
                """
                UPDATE measures_searchword AS w SET frequency = greatest(w.frequency - l.n, 0)
                FROM unnest(%s::text[], %s::integer[]) AS l(spelling, n)
                WHERE w.word = atlas_fold(l.spelling) AND w.display = l.spelling
                """,
                [[spelling for spelling, _n in lost], [n for _spelling, n in lost]],
            )
            cursor.execute(
                "DELETE FROM measures_searchword WHERE frequency = 0 AND display = ANY(%s)",
                [[spelling for spelling, _n in lost]],
            )
        cursor.execute(
            "DELETE FROM measures_searchwordsource WHERE course_id = ANY(%s)",
            [[pk for pk in before if pk not in after]],
        )
        changed = [pk for pk, spellings in after.items() if spellings != before.get(pk)]
        if changed:  # one statement: a spelling has no blank (it is split at every non-alnum)
            cursor.execute(
                _SOURCES_SQL,
                [changed, [" ".join(sorted(after[pk])) for pk in changed]],
            )


_SUGGESTIONS_SQL = """
SELECT q.n, known.display, near.display
FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, n)
LEFT JOIN LATERAL (
    SELECT k.display FROM measures_searchword AS k WHERE k.word = q.word
    ORDER BY k.frequency DESC, k.display COLLATE "C" LIMIT 1
) AS known ON true
LEFT JOIN LATERAL (
    SELECT best.place, (
        SELECT s.display FROM measures_searchword AS s WHERE s.word = best.word
        ORDER BY s.frequency DESC, s.display COLLATE "C" LIMIT 1
    ) AS display
    FROM (
        SELECT w.word, row_number() OVER (
            ORDER BY similarity(w.word, q.word) DESC, sum(w.frequency) DESC, w.word
        ) AS place
        FROM measures_searchword AS w
        WHERE known.display IS NULL
          AND w.word %% q.word AND similarity(w.word, q.word) >= %s
        GROUP BY w.word
        ORDER BY place
        LIMIT %s
    ) AS best
) AS near ON true
ORDER BY q.n, near.place
"""


def thesaurus_terms() -> list[str]:
    """The terms of the active synonyms, as written."""
    return list(
        Synonym.objects.filter(is_active=True).order_by("term").values_list("term", flat=True)
    )


def frequent_words(limit: int) -> list[str]:
    """The ``limit`` words of the public vocabulary in the most courses, as most often spelt."""
    rows = (
        SearchWord.objects.values("word")
        .annotate(total=Sum("frequency"), spelt=Max("display"))
        .order_by("-total", "word")[:limit]
    )
    return [row["spelt"] for row in rows]


def suggestions(text: str, *, limit: int = 3) -> list[str]:
    """Similar spellings for a query that found little: each unknown word replaced by its
    closest word of the public vocabulary (trigram similarity), each word spelt as the
    vocabulary spells it most often ("Mechatroniker")."""
    query_words = words(text)
    if not query_words:
        return []
    with replicas.read_connection().cursor() as cursor:
        cursor.execute(_SUGGESTIONS_SQL, [query_words, MIN_SUGGESTION_SIMILARITY, limit])
        rows = cursor.fetchall()
    known: dict[int, str] = {}
    near: dict[int, list[str]] = {}
    for n, known_display, near_display in rows:
        if known_display:
            known[n - 1] = known_display
        if near_display:
            near.setdefault(n - 1, []).append(near_display)
    if not near:
        return []
    # A word neither known nor near anything stays as the user wrote it.
    own = {fold(token): token for token in _OWN_WORD.findall(text[:MAX_QUERY_LENGTH])}
    results: list[str] = []
    for rank in range(limit):
        candidate = []
        for position, word in enumerate(query_words):
            options = near.get(position)
            if options:
                candidate.append(options[min(rank, len(options) - 1)])
            else:
                candidate.append(known.get(position) or own.get(word, word))
        phrase = " ".join(candidate)
        if words(phrase) != query_words and phrase not in results:
            results.append(phrase)
    return results


def refresh_courses_of(
    *, providers=(), subjects=(), venues=(), target_groups=(), funding=()
) -> None:
    """Refresh the courses whose indexed text changes with these providers, subjects, venues,
    target groups or funding types."""
    condition = Q(pk__in=[])
    if providers:
        condition |= Q(provider__in=providers)
    if subjects:
        condition |= Q(subjects__in=subjects) | Q(subjects__parent__in=subjects)
    if venues:
        condition |= Q(dates__venue__in=venues)
    if target_groups:
        condition |= Q(target_groups__in=target_groups)
    if funding:
        condition |= Q(funding__in=funding)
    refresh_search_vectors(Course.objects.filter(condition).values_list("pk", flat=True).distinct())
