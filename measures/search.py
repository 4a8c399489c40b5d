"""Full-text search over courses: the stored search vector, query parsing, synonyms, suggestions.

Text is folded the same way on both sides (``atlas_fold`` in the database, :func:`fold` here:
lower case, umlauts as digraphs, ß as ss, accents removed) and stemmed with PostgreSQL's
``german`` configuration, so "Fuehrerschein" finds "Führerschein" and "Weiterbildungen" finds
"Weiterbildung".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core import generations
from core.text import fold
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
class ParsedQuery:
    text: str
    words: list[str]
    expansions: dict[str, list[list[str]]] = field(default_factory=dict)
    prefix_last: bool = True

    def __bool__(self):
        return bool(self.words)

    def tsquery(self) -> str | None:
        """The query in ``to_tsquery`` syntax: all words, the last as a prefix, plus synonyms."""
        if not self.words:
            return None
        used_by_phrase: set[int] = set()
        groups: list[str] = []
        # Multi-word synonym terms replace the words they cover.
        for term, alternatives in self.expansions.items():
            term_words = term.split()
            position = _find(self.words, term_words)
            if position is None:
                continue
            used_by_phrase.update(range(position, position + len(term_words)))
            options = [_phrase(term_words)] + [_phrase(alt) for alt in alternatives]
            groups.append("(" + " | ".join(options) + ")")
        for index, word in enumerate(self.words):
            if index in used_by_phrase:
                continue
            last = index == len(self.words) - 1
            groups.append(f"{word}:*" if last and self.prefix_last else word)
        return " & ".join(groups)

    def search_query(self) -> SearchQuery | None:
        raw = self.tsquery()
        if raw is None:
            return None
        return SearchQuery(raw, search_type="raw", config=CONFIG)


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
    for synonym in Synonym.objects.filter(is_active=True).only("term", "alternatives"):
        term = " ".join(words(synonym.term))
        if not term:
            continue
        alternatives = [words(alt) for alt in synonym.alternative_list()]
        table.setdefault(term, []).extend(alt for alt in alternatives if alt)
    _synonyms = (current, table)
    return table


def parse(text: str, synonyms: dict[str, list[list[str]]] | None = None) -> ParsedQuery:
    query_words = words(text or "")
    parsed = ParsedQuery(text=(text or "")[:MAX_QUERY_LENGTH], words=query_words)
    if query_words:
        table = active_synonyms() if synonyms is None else synonyms
        joined = f" {' '.join(query_words)} "
        parsed.expansions = {
            term: alternatives for term, alternatives in table.items() if f" {term} " in joined
        }
        # A synonym term that is the last word is matched whole, not as a prefix.
        if any(term.split()[-1] == query_words[-1] for term in parsed.expansions):
            parsed.prefix_last = False
    return parsed


# The document: title (A), keywords and subjects (B), summary (C), description, provider and
# places (D), in the course's SearchDocument. Kept in one statement so every writer refreshes
# it the same way.
_VECTOR_SQL = """
INSERT INTO measures_searchdocument (course_id, vector)
SELECT c.id,
    setweight(to_tsvector('german', atlas_fold(c.title)), 'A')
    || setweight(to_tsvector('german', atlas_fold(coalesce((
        SELECT string_agg(t.name, ' ') FROM taggit_taggeditem ti
        JOIN taggit_tag t ON t.id = ti.tag_id
        WHERE ti.object_id = c.id AND ti.content_type_id = %(course_type)s), '')
        || ' ' || coalesce((
        SELECT string_agg(concat_ws(' ', s.name, p.name), ' ')
        FROM measures_course_subjects cs
        JOIN measures_subject s ON s.id = cs.subject_id
        LEFT JOIN measures_subject p ON p.id = s.parent_id
        WHERE cs.course_id = c.id), ''))), 'B')
    || setweight(to_tsvector('german', atlas_fold(c.summary)), 'C')
    || setweight(to_tsvector('german', atlas_fold(concat_ws(' ',
        c.description, c.objectives, c.contents,
        (SELECT concat_ws(' ', o.name, o.short_name, o.city) FROM network_organisation o
         WHERE o.id = c.provider_id),
        (SELECT string_agg(DISTINCT v.city, ' ') FROM measures_coursedate d
         JOIN network_venue v ON v.id = d.venue_id WHERE d.course_id = c.id)))), 'D')
FROM measures_course AS c
{where}
ON CONFLICT (course_id) DO UPDATE SET vector = EXCLUDED.vector
"""


def refresh_search_vectors(course_ids=None) -> None:
    """Recompute the stored search vector of the given courses (all when None)."""
    generations.bump()
    params = {"course_type": ContentType.objects.get_for_model(Course).pk}
    where = ""
    if course_ids is not None:
        course_ids = list(course_ids)
        if not course_ids:
            return
        where = "WHERE c.id = ANY(%(ids)s)"
        params["ids"] = course_ids
    sql = _VECTOR_SQL.format(where=where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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


_WORDS_SQL = """
INSERT INTO measures_searchword (word, frequency)
SELECT word, count(*) FROM (
    SELECT regexp_split_to_table(atlas_fold(c.title), '[^0-9a-z]+') AS word
    FROM measures_course c WHERE c.status = 'published'
    UNION ALL
    SELECT regexp_split_to_table(atlas_fold(t.name), '[^0-9a-z]+')
    FROM taggit_tag t
    UNION ALL
    SELECT regexp_split_to_table(atlas_fold(s.name), '[^0-9a-z]+')
    FROM measures_subject s
) AS vocabulary
WHERE length(word) BETWEEN 3 AND 100
GROUP BY word
"""


@transaction.atomic
def refresh_search_words() -> None:
    """Rebuild the vocabulary that "Meinten Sie …?" suggests from."""
    SearchWord.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(_WORDS_SQL)


def suggestions(text: str, *, limit: int = 3) -> list[str]:
    """Similar spellings for a query that found little: each unknown word replaced by its
    closest indexed word (trigram similarity)."""
    query_words = words(text)
    if not query_words:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT q.word, best.word FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, n)
            LEFT JOIN LATERAL (
                SELECT w.word FROM measures_searchword w
                WHERE w.word %% q.word AND w.word <> q.word
                  AND similarity(w.word, q.word) >= %s
                  AND NOT EXISTS (SELECT 1 FROM measures_searchword k WHERE k.word = q.word)
                ORDER BY similarity(w.word, q.word) DESC, w.frequency DESC, w.word
                LIMIT %s
            ) AS best ON true
            ORDER BY q.n
            """,
            [query_words, MIN_SUGGESTION_SIMILARITY, limit],
        )
        rows = cursor.fetchall()
    by_word: dict[str, list[str]] = {}
    for word, best in rows:
        by_word.setdefault(word, [])
        if best:
            by_word[word].append(best)
    if not any(by_word.values()):
        return []
    results = []
    for rank in range(limit):
        candidate = [
            (by_word[word][rank] if rank < len(by_word[word]) else (by_word[word] or [word])[0])
            for word in query_words
        ]
        phrase = " ".join(candidate)
        if phrase != " ".join(query_words) and phrase not in results:
            results.append(phrase)
    return results


def refresh_courses_of(*, providers=(), subjects=(), venues=()) -> None:
    """Refresh the courses whose indexed text changes with these providers, subjects, venues."""
    condition = Q(pk__in=[])
    if providers:
        condition |= Q(provider__in=providers)
    if subjects:
        condition |= Q(subjects__in=subjects) | Q(subjects__parent__in=subjects)
    if venues:
        condition |= Q(dates__venue__in=venues)
    refresh_search_vectors(Course.objects.filter(condition).values_list("pk", flat=True).distinct())
