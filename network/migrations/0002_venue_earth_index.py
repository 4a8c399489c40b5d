from django.db import migrations


class Migration(migrations.Migration):
    """A GiST index on the venues' positions for radius search (earthdistance)."""

    dependencies = [
        ("atlas", "0001_extensions"),
        ("network", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX venue_earth_idx ON network_venue "
                "USING gist (ll_to_earth(latitude, longitude)) "
                "WHERE latitude IS NOT NULL AND longitude IS NOT NULL;"
            ),
            reverse_sql="DROP INDEX IF EXISTS venue_earth_idx;",
        ),
    ]
