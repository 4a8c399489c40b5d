"""Ways on from a search that found little: the subjects whose names or synonyms come closest
to what was typed, and the counselling offers nearby.

Both work on the in-memory index (``measures.search_index``) and the vocabularies held per
reference generation; the closest subjects cost one SQL statement (trigram similarity of the
typed words against every subject label), whatever the size of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection

from core import generations
from measures import compounds, search, search_index
from measures.models import Course
from measures.vocabulary import vocabulary

MAX_SUBJECTS = 6
MAX_COUNSELLING = 3
MIN_SUBJECT_SCORE = 0.4
# A subject is found through its whole name, one word of it, or a synonym that names it.
NAME_WEIGHT, NAME_WORD_WEIGHT, SYNONYM_WEIGHT = 1.0, 0.9, 0.85
# An area stands in for a subject of it that has no courses, a little below it.
AREA_FOR_EMPTY_SUBJECT = 0.9
# Counselling at a venue farther than this from the place is not "nearby".
COUNSELLING_MAX_KM = 100

# Words of subject names that say nothing by themselves (folded).
# Words of names and queries that say nothing about a subject (the search's own list).
NAME_STOP_WORDS = compounds.STOP_WORDS | {"weitere", "werden"}


@dataclass(frozen=True)
class SubjectLabels:
    """Every text that names a subject: ``texts[i]`` names ``subjects[i]`` with ``weights[i]``
    (folded words joined by spaces)."""

    texts: list[str]
    subjects: list[int]
    weights: list[float]


_labels: tuple[int, SubjectLabels] | None = None  # (reference generation, labels)


def _content_words(folded_words: list[str]) -> list[str]:
    return [word for word in folded_words if len(word) >= 3 and word not in NAME_STOP_WORDS]


def subject_labels() -> SubjectLabels:
    """The subjects' names, the content words of their names, and the terms of the active
    synonyms whose alternatives name a subject or a word of its name (kept per reference
    generation: saving a subject or a synonym starts a new one)."""
    global _labels  # noqa: PLW0603 - a per-process memo keyed by the generation
    current = generations.reference()
    if _labels is not None and _labels[0] == current:
        return _labels[1]
    best: dict[tuple[str, int], float] = {}

    def add(text: str, subject: int, weight: float) -> None:
        if text and best.get((text, subject), 0) < weight:
            best[(text, subject)] = weight

    named: dict[str, set[int]] = {}  # a name or a word of it -> the subjects it names
    for subject in vocabulary().subjects.values():
        name_words = search.words(subject.name)
        name = " ".join(name_words)
        add(name, subject.pk, NAME_WEIGHT)
        named.setdefault(name, set()).add(subject.pk)
        for word in _content_words(name_words):
            add(word, subject.pk, NAME_WORD_WEIGHT)
            named.setdefault(word, set()).add(subject.pk)
    for term, alternatives in search.active_synonyms().items():
        for alternative in alternatives:
            for subject in named.get(" ".join(alternative), ()):
                add(term, subject, SYNONYM_WEIGHT)
    labels = SubjectLabels(
        texts=[text for text, _subject in best],
        subjects=[subject for _text, subject in best],
        weights=list(best.values()),
    )
    _labels = (current, labels)
    return labels


# For each distinct label, its best similarity to any piece of the query: the whole trigram
# similarity, or (for labels of six letters or more) how well the label matches a part of a
# piece ("pflege" in "altenpflegehelfer"), a little below.
_SIMILARITY_SQL = """
SELECT l.n, max(greatest(
    similarity(l.label, p.piece),
    CASE WHEN length(l.label) >= 6 THEN 0.8 * word_similarity(l.label, p.piece) ELSE 0 END
))
FROM unnest(%s::text[]) WITH ORDINALITY AS l(label, n), unnest(%s::text[]) AS p(piece)
GROUP BY l.n
HAVING max(greatest(
    similarity(l.label, p.piece),
    CASE WHEN length(l.label) >= 6 THEN 0.8 * word_similarity(l.label, p.piece) ELSE 0 END
)) >= %s
"""


def query_pieces(text: str) -> list[str]:
    """What is compared with the labels: each content word of the query, and the whole
    phrase (folded)."""
    query_words = search.words(text)
    pieces = [
        word
        for word in _content_words(query_words)
        if word not in compounds.GENERIC_HEADS and not word.isdigit()
    ]
    phrase = " ".join(query_words)
    if phrase and phrase not in pieces:
        pieces.append(phrase)
    return pieces


def subject_scores(text: str) -> dict[int, float]:
    """Subject id → how close its name or one of its synonyms comes to the text (0–1), for the
    subjects that come close at all. One query."""
    pieces = query_pieces(text)
    labels = subject_labels()
    if not pieces or not labels.texts:
        return {}
    distinct = list(dict.fromkeys(labels.texts))
    with connection.cursor() as cursor:
        cursor.execute(_SIMILARITY_SQL, [distinct, pieces, MIN_SUBJECT_SCORE])
        similar = {distinct[n - 1]: similarity for n, similarity in cursor.fetchall()}
    scores: dict[int, float] = {}
    for label, subject, weight in zip(labels.texts, labels.subjects, labels.weights, strict=True):
        if label in similar:
            score = weight * similar[label]
            if score > scores.get(subject, 0):
                scores[subject] = score
    return scores


def subject_counts(index, mask: np.ndarray) -> dict[int, int]:
    """Subject id → the courses in ``mask`` that a search for the subject finds (the subject
    and every subject below it)."""
    words = vocabulary()
    direct = index.links["subject"].counts(mask)
    counts = dict(index.areas.counts(mask))
    for subject in words.subjects.values():
        if subject.parent_id is None:
            continue
        if words.subject_children.get(subject.pk):
            ids = words.descendant_ids(subject)
            found = int(np.count_nonzero(index.links["subject"].having(ids, index.size) & mask))
        else:
            found = direct.get(subject.pk, 0)
        if found:
            counts[subject.pk] = found
    return counts


def closest_subjects(text: str, index, mask: np.ndarray, *, limit: int = MAX_SUBJECTS):
    """(subject, courses) for the subjects with courses in ``mask`` whose names or synonyms
    come closest to the text, best first; a subject without courses hands its place to its
    area."""
    scores = subject_scores(text)
    if not scores:
        return []
    counts = subject_counts(index, mask)
    by_id = {subject.pk: subject for subject in vocabulary().subjects.values()}
    ranked: dict[int, float] = {}
    for pk, score in scores.items():
        subject = by_id.get(pk)
        if subject is None:
            continue
        if not counts.get(pk) and subject.parent_id is not None:
            pk, score = subject.parent_id, score * AREA_FOR_EMPTY_SUBJECT
        if counts.get(pk) and score > ranked.get(pk, 0):
            ranked[pk] = score
    order = sorted(ranked, key=lambda pk: (-ranked[pk], -counts[pk], by_id[pk].name))
    return [(by_id[pk], counts[pk]) for pk in order[:limit]]


def subject_areas(index, mask: np.ndarray):
    """(area, courses) for every top-level subject with courses in ``mask``, by name."""
    counts = index.areas.counts(mask)
    areas = [
        subject
        for subject in vocabulary().subjects.values()
        if subject.parent_id is None and counts.get(subject.pk)
    ]
    return [(area, counts[area.pk]) for area in sorted(areas, key=lambda area: area.name)]


def counselling_mask(index) -> np.ndarray:
    return (index.kind == search_index.KINDS.index(Course.Kind.COUNSELLING) + 1) & index.live


def nearest_counselling(
    index, place, *, radius_km: float = 0, area: np.ndarray | None = None, limit=MAX_COUNSELLING
):
    """The index positions of up to ``limit`` counselling offers. With a place: those within
    the radius, nearest first, then those without a venue (by telephone or online: they serve
    any place), then the nearest farther away up to COUNSELLING_MAX_KM. Without one: those in
    ``area`` (a mask: the chosen region) if any, else any, in the index's order."""
    counselling = counselling_mask(index)
    if place is not None:
        distance = index.course_distance(place)
        located = np.flatnonzero(counselling & (distance <= COUNSELLING_MAX_KM))
        located = located[np.argsort(distance[located], kind="stable")]
        within = distance[located] <= radius_km
        anywhere = np.flatnonzero(counselling & np.isinf(distance))
        return np.concatenate([located[within], anywhere, located[~within]])[:limit]
    if area is not None and (counselling & area).any():
        counselling = counselling & area
    return index.ordered(counselling, "date")[:limit]
