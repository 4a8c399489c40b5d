"""Raw SQL conditions compiled from querysets (core.sql.where_sql)."""

import pytest
from django.db import connection

from core.sql import where_sql
from network.models import Organisation, Region

pytestmark = pytest.mark.django_db


def ids(sql: str, params: dict, table: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT o.id FROM {table} o WHERE {sql}", params)  # noqa: S608 - test
        return {row[0] for row in cursor.fetchall()}


def test_the_condition_finds_what_the_queryset_finds():
    queryset = Organisation.objects.filter(
        kind__in=["vhs", "chamber"], region__isnull=False
    ).exclude(name__startswith="Volks")
    sql, params = where_sql(queryset, "o", "test")
    assert '"network_organisation"' not in sql and all(key.startswith("test_") for key in params)
    assert ids(sql, params, "network_organisation") == set(queryset.values_list("pk", flat=True))


def test_a_stand_in_becomes_a_parameter_given_later():
    queryset = Region.objects.filter(key__gte="07").exclude(name="Mainz")
    sql, params = where_sql(queryset, "o", "test", stand_ins={"07": "from_key"})
    assert "%(from_key)s" in sql and "07" not in params.values()
    found = ids(sql, {**params, "from_key": "09"}, "network_region")
    expected = Region.objects.filter(key__gte="09").exclude(name="Mainz")
    assert found == set(expected.values_list("pk", flat=True))


def test_any_of_sends_the_array_in_the_columns_type():
    """PostgreSQL hashes ``= ANY(array)`` only when both sides have one type: a list of small
    ids (psycopg's ``int2[]``) against a ``bigint`` key was compared value by value."""
    from core.sql import AnyOf
    from measures.models import Course

    provider = Organisation.objects.order_by("pk").first()
    by_provider = Course.objects.filter(AnyOf("provider", [provider.pk, 2**40]))
    assert "= ANY(%s::bigint[])" in by_provider.query.sql_with_params()[0]
    assert set(by_provider) == set(Course.objects.filter(provider=provider))
    by_key = Course.objects.filter(AnyOf("pk", list(range(1, 3000))))
    assert "= ANY(%s::bigint[])" in by_key.query.sql_with_params()[0]
    # Text keeps its length: a longer value is not cut to the column's size to match.
    region = Region.objects.order_by("pk").first()
    longer = region.key + "x" * 200
    by_text = Region.objects.filter(AnyOf("key", [longer]))
    assert "::varchar[])" in by_text.query.sql_with_params()[0]
    assert not by_text.exists()
    assert list(Region.objects.filter(AnyOf("key", [region.key]))) == [region]
