from django.db import migrations

# The courses each write changed, for the search index to apply only those
# (core.generations.bump, measures.search_index): the writing transaction's id, so that a
# reader can tell which changes its last snapshot did not see, and a number in the order of
# writing (for the reader's own transaction); no course: everything may have changed.
FORWARD = """
CREATE TABLE IF NOT EXISTS measures_search_change (
    id bigserial PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    course_id bigint NULL,
    created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS measures_search_change_xid ON measures_search_change (xid);
"""
BACKWARD = "DROP TABLE IF EXISTS measures_search_change;"


class Migration(migrations.Migration):
    dependencies = [("measures", "0015_workspace_indexes")]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
