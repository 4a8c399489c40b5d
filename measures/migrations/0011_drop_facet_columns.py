"""Drop the date summary's modes, regions and venues (``facet_modes``, ``facet_regions``,
``facet_venues``): the search filters and counts them in its in-memory index, and only the
SQL restatement of the filters in the tests read them. The summary keeps the next start and
the last day it holds; the trigger that renewed it when a venue moved to another region goes
(only the regions depended on a venue)."""

from django.db import migrations

# The summary of the given courses' dates current on ``day``: the next start and the last day
# it holds (the first of those dates then ends).
SUMMARY_FUNCTION = """
CREATE OR REPLACE FUNCTION measures_course_summarise_dates(ids bigint[], day date)
RETURNS void LANGUAGE sql AS $$
    UPDATE measures_course c SET
        summary_next_start = s.summary_next_start,
        summary_valid_until = s.valid_until
    FROM unnest(ids) AS t(id)
    CROSS JOIN LATERAL (
        SELECT min(d.start_date) AS summary_next_start,
               min(coalesce(d.end_date, d.start_date)) FILTER (WHERE NOT d.rolling_start)
                   AS valid_until
        FROM measures_coursedate d
        WHERE d.course_id = t.id AND d.booking_status <> 'cancelled'
          AND (d.rolling_start OR d.end_date >= day OR (d.end_date IS NULL AND d.start_date >= day))
    ) AS s
    WHERE c.id = t.id
$$;
"""

FORWARD = (
    SUMMARY_FUNCTION
    + """
DROP TRIGGER IF EXISTS venue_summary_update ON network_venue;
DROP FUNCTION IF EXISTS measures_venue_summary();
"""
)

# Back: migration 0006's function and venue trigger, and every summary written again.
TODAY = "(now() AT TIME ZONE 'Europe/Berlin')::date"
BACKWARD = f"""
CREATE OR REPLACE FUNCTION measures_course_summarise_dates(ids bigint[], day date)
RETURNS void LANGUAGE sql AS $$
    UPDATE measures_course c SET
        summary_next_start = s.summary_next_start,
        facet_modes = s.modes,
        facet_regions = s.regions,
        facet_venues = s.venues,
        summary_valid_until = s.valid_until
    FROM unnest(ids) AS t(id)
    CROSS JOIN LATERAL (
        SELECT min(d.start_date) AS summary_next_start,
               coalesce(array_agg(DISTINCT d.mode::text), '{{}}') AS modes,
               coalesce(array_agg(DISTINCT r.key::text) FILTER (WHERE r.key IS NOT NULL), '{{}}')
                   AS regions,
               coalesce(array_agg(DISTINCT d.venue_id) FILTER (WHERE d.venue_id IS NOT NULL),
                        '{{}}') AS venues,
               min(coalesce(d.end_date, d.start_date)) FILTER (WHERE NOT d.rolling_start)
                   AS valid_until
        FROM measures_coursedate d
        LEFT JOIN network_venue v ON v.id = d.venue_id
        LEFT JOIN network_region r ON r.id = v.region_id
        WHERE d.course_id = t.id AND d.booking_status <> 'cancelled'
          AND (d.rolling_start OR d.end_date >= day OR (d.end_date IS NULL AND d.start_date >= day))
    ) AS s
    WHERE c.id = t.id
$$;

CREATE OR REPLACE FUNCTION measures_venue_summary() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM measures_course_summarise_dates(array(
        SELECT DISTINCT d.course_id FROM measures_coursedate d
        JOIN changed_new n ON n.id = d.venue_id
        JOIN changed_old o ON o.id = n.id
        WHERE n.region_id IS DISTINCT FROM o.region_id), {TODAY});
    RETURN NULL;
END
$$;

CREATE TRIGGER venue_summary_update AFTER UPDATE ON network_venue
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION measures_venue_summary();

SELECT measures_course_summarise_dates(array(SELECT id FROM measures_course), {TODAY});
"""


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0010_search_word_display"),
    ]

    operations = [
        # First the function, so that no statement writes the columns once they are gone.
        migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD),
        migrations.RemoveIndex(model_name="course", name="course_facet_regions_idx"),
        migrations.RemoveIndex(model_name="course", name="course_facet_venues_idx"),
        migrations.RemoveField(model_name="course", name="facet_modes"),
        migrations.RemoveField(model_name="course", name="facet_regions"),
        migrations.RemoveField(model_name="course", name="facet_venues"),
    ]
