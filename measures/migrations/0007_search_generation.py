from django.db import migrations

# The search and reference generations (measures.search.generation): sequences, because their
# values must be shared by every process and must not roll back with the transaction that
# advanced them.
FORWARD = """
CREATE SEQUENCE IF NOT EXISTS measures_search_generation;
CREATE SEQUENCE IF NOT EXISTS measures_reference_generation;
"""
BACKWARD = """
DROP SEQUENCE IF EXISTS measures_search_generation;
DROP SEQUENCE IF EXISTS measures_reference_generation;
"""


class Migration(migrations.Migration):
    dependencies = [("measures", "0006_search_summary")]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
