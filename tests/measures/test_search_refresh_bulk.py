"""Refreshing the search of many courses at once stores what refreshing each alone stores:
the same vectors (title, keywords, subjects with their parents, compounds' parts, target
groups, funding, provider, the cities of the venues) and the same "Meinten Sie …?"
vocabulary, with a number of statements that does not grow with the courses."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from measures.models import Course, FundingType, SearchWord, SearchWordSource, Subject, TargetGroup
from measures.search import compound_parts, refresh_search_vectors, refresh_search_words
from tests.factories import make_course, make_provider, make_venue, today

pytestmark = pytest.mark.django_db

# The statement before the refresh became set-based (a subquery per course and linked table,
# its aggregates in no defined order): the oracle for what a document holds.
_PREVIOUS_VECTOR_SQL = """
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
    || setweight(to_tsvector('german', coalesce(p.parts, '')), 'B')
    || setweight(to_tsvector('german', atlas_fold(concat_ws(' ', c.summary,
        (SELECT string_agg(g.name, ' ') FROM measures_course_target_groups cg
         JOIN measures_targetgroup g ON g.id = cg.targetgroup_id WHERE cg.course_id = c.id),
        (SELECT string_agg(f.name, ' ') FROM measures_course_funding cf
         JOIN measures_fundingtype f ON f.id = cf.fundingtype_id WHERE cf.course_id = c.id)))),
        'C')
    || setweight(to_tsvector('german', atlas_fold(concat_ws(' ',
        c.description, c.objectives, c.contents,
        (SELECT concat_ws(' ', o.name, o.short_name, o.city) FROM network_organisation o
         WHERE o.id = c.provider_id),
        (SELECT string_agg(DISTINCT v.city, ' ') FROM measures_coursedate d
         JOIN network_venue v ON v.id = d.venue_id WHERE d.course_id = c.id)))), 'D')
FROM measures_course AS c
LEFT JOIN unnest(%(part_ids)s::bigint[], %(parts)s::text[]) AS p(course_id, parts)
    ON p.course_id = c.id
WHERE c.id = ANY(%(ids)s)
"""


@pytest.fixture
def courses():
    """Courses with everything a document holds: several keywords, subjects with parents,
    target groups and funding types, dates at venues in several cities, compounds."""
    provider = make_provider("Bildungswerk Stapelfeld", short_name="BWS", city="Mainz")
    mainz, berlin, hamburg = (make_venue(provider, code) for code in ("55116", "10115", "20095"))
    subjects = list(Subject.objects.filter(parent__isnull=False).order_by("pk")[:3])
    groups = list(TargetGroup.objects.order_by("pk")[:3])
    funding = list(FundingType.objects.order_by("pk")[:3])
    assert len(subjects) == len(groups) == len(funding) == 3
    soon = today() + timedelta(days=10)
    made = [
        make_course(
            provider,
            "Gabelstaplerschein kompakt",
            keywords=["Lagerlogistik", "Flurförderzeuge", "Arbeitssicherheit"],
            subjects=subjects,
            target_groups=groups,
            funding=funding,
            summary="Mit Prüfung und Fahrausweis.",
            description="Theorie und Praxis am Gabelstapler.",
            dates=[
                {"venue": berlin, "start_date": soon},
                {"venue": mainz, "start_date": soon},
                {"venue": hamburg, "start_date": soon},
                {"venue": mainz, "start_date": soon + timedelta(days=7)},
                {"mode": "online", "start_date": soon},
            ],
        ),
        make_course(
            provider,
            "Deutschkurs für Pflegekräfte",
            keywords=["Pflegedeutsch", "Berufssprache"],
            subjects=subjects[1:],
            target_groups=groups[:1],
            funding=funding[2:],
            dates=[{"venue": hamburg}, {"venue": berlin}],
        ),
        make_course(
            provider,
            "Erste Hilfe am Kind",
            keywords=["Notfall"],
            subjects=subjects[:1],
            target_groups=groups[2:],
            funding=funding[:1],
            dates=[{"venue": mainz}],
        ),
        make_course(
            provider,
            "Ein Entwurf zur Tierpflegeausbildung",
            status=Course.Status.DRAFT,
            keywords=["Hundesalon", "Katzenpension"],
            subjects=subjects[2:],
            dates=[{"venue": berlin}],
        ),
        make_course(provider, "Yoga ohne alles", dates=[{"mode": "online"}]),
    ]
    return [course.pk for course in made]


def _forget(ids):
    """Back to where no refresh happened: no documents, an empty vocabulary."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM measures_searchdocument WHERE course_id = ANY(%s)", [ids])
    SearchWordSource.objects.all().delete()
    SearchWord.objects.all().delete()


def _stored(ids) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT course_id, vector::text FROM measures_searchdocument "
            "WHERE course_id = ANY(%s) ORDER BY course_id",
            [ids],
        )
        vectors = dict(cursor.fetchall())
    return {
        "vectors": vectors,
        "words": sorted(SearchWord.objects.values_list("word", "display", "frequency")),
        "sources": sorted(
            (pk, tuple(words))
            for pk, words in SearchWordSource.objects.values_list("course_id", "words")
        ),
    }


def _weighted_lexemes(vector_sql: str, params) -> dict[int, set]:
    """Each course's lexemes with their weights (positions left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id, u.lexeme, u.weights FROM ({vector_sql}) AS v(id, vector), "  # noqa: S608 - constant SQL
            "LATERAL unnest(v.vector) AS u",
            params,
        )
        found: dict[int, set] = {}
        for pk, lexeme, weights in cursor.fetchall():
            found.setdefault(pk, set()).update((lexeme, weight) for weight in weights)
    return found


def test_a_bulk_refresh_stores_what_refreshing_each_course_alone_stores(courses):
    _forget(courses)
    for pk in courses:
        refresh_search_vectors([pk])
    alone = _stored(courses)
    _forget(courses)
    refresh_search_vectors(courses)
    together = _stored(courses)
    assert together == alone
    assert set(alone["vectors"]) == set(courses)
    assert alone["words"], "the public courses' words are in the vocabulary"
    # A refresh of every course (``refresh_search``) writes the same documents.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM measures_searchdocument WHERE course_id = ANY(%s)", [courses])
    refresh_search_vectors()
    assert _stored(courses)["vectors"] == alone["vectors"]


def test_documents_hold_what_the_previous_statement_put_in(courses):
    refresh_search_vectors(courses)
    part_ids, parts = compound_parts(courses)
    assert part_ids, "the compounds' parts are indexed"
    params = {
        "course_type": ContentType.objects.get_for_model(Course).pk,
        "ids": courses,
        "part_ids": part_ids,
        "parts": parts,
    }
    previous = _weighted_lexemes(_PREVIOUS_VECTOR_SQL, params)
    stored = _weighted_lexemes(
        "SELECT course_id, vector FROM measures_searchdocument WHERE course_id = ANY(%(ids)s)",
        params,
    )
    assert stored == previous
    first = stored[courses[0]]
    for lexeme, weight in [
        ("gabelstaplerschein", "A"),
        ("lagerlogist", "B"),  # a keyword (stemmed)
        ("stapl", "B"),  # a part of a compound
        ("hamburg", "D"),  # the city of one of its venues
        ("berlin", "D"),
        ("bws", "D"),  # the provider's short name
    ]:
        assert (lexeme, weight) in first, (lexeme, weight, sorted(first))
    # A course with one link of each kind: even the positions are those of before.
    with connection.cursor() as cursor:
        previous_sql = f"SELECT * FROM ({_PREVIOUS_VECTOR_SQL}) AS p(id, vector)"  # noqa: S608
        cursor.execute(
            f"SELECT p.vector::text = d.vector::text FROM ({previous_sql}) AS p "  # noqa: S608
            "JOIN measures_searchdocument AS d ON d.course_id = p.id WHERE p.id = %(one)s",
            {**params, "one": courses[2]},
        )
        assert cursor.fetchone() == (True,)


def test_the_vocabulary_after_a_bulk_refresh_of_changed_courses_is_the_rebuilt_one(courses):
    refresh_search_words()
    first, second, third = Course.objects.filter(pk__in=courses[:3]).order_by("pk")
    first.title = "Gabelstaplerschein für Einsteiger"
    first.save()
    second.keywords.set(["Berufssprache", "Fachsprache"])
    third.status = Course.Status.ARCHIVED
    third.save()
    refresh_search_vectors(courses)
    updated = _stored(courses)
    sources = dict(updated["sources"])
    assert "Einsteiger" in sources[first.pk]
    assert "Fachsprache" in sources[second.pk]
    assert third.pk not in sources  # withdrawn: its words are taken back
    refresh_search_words()
    rebuilt = _stored(courses)
    assert updated["words"] == rebuilt["words"]
    assert updated["sources"] == rebuilt["sources"]


def test_a_refresh_costs_as_many_statements_for_many_courses_as_for_one(courses):
    provider = make_provider("Bildungswerk Vielfeld")
    venue = make_venue(provider, "55116")
    many = courses + [
        make_course(
            provider, f"Schweißerkurs {n}", keywords=[f"Schlagwort{n}"], dates=[{"venue": venue}]
        ).pk
        for n in range(20)
    ]
    counts = []
    for ids in (courses[:1], many):
        _forget(ids)
        with CaptureQueriesContext(connection) as queries:
            refresh_search_vectors(ids)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_keywords_are_indexed_in_the_order_of_their_tags_not_by_name_or_plan(courses):
    """The order the previous statement's joins gave (the ranking looks at positions), the
    same for a course refreshed alone and with others."""
    late, early = Tag.objects.create(name="Zylinderkopf"), Tag.objects.create(name="Ankerwinde")
    assert late.pk < early.pk
    provider = make_provider("Bildungswerk Reihenfolge")
    course = make_course(provider, "Motorenkunde", keywords=["Ankerwinde", "Zylinderkopf"])

    def positions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT u.lexeme, u.positions FROM measures_searchdocument AS d, "
                "LATERAL unnest(d.vector) AS u WHERE d.course_id = %s",
                [course.pk],
            )
            return dict(cursor.fetchall())

    alone = positions()
    assert alone["zylinderkopf"][0] < alone["ankerwind"][0], alone
    refresh_search_vectors([*courses, course.pk])
    assert positions() == alone
