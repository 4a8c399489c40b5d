"""Courses say whether the demo loader or the synthetic benchmark data made them
(``OriginFields``): ``generate_synthetic --delete`` deletes by the flag, no longer by the
external-id prefix ``syn-``, which a provider may use for courses of its own.

Existing synthetic courses are flagged here: a course whose external id starts with ``syn-``,
whose description starts with "[Synthetische Testdaten]" and whose provider is a synthetic
organisation (flagged by ``network.0005`` by the same marks). A provider's own course with such
an id stays unflagged: its provider is not synthetic. One statement, which rewrites every
synthetic course row once (README "Demo data and accounts": 26 s for 50,000 on a loaded 2-core
machine); without synthetic data it only reads the courses. The demo's courses are flagged by
``atlas.0005``."""

from django.db import migrations, models

MARK = "[Synthetische Testdaten]"


def flag_synthetic(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE measures_course AS course SET synthetic = true
            FROM network_organisation AS provider
            WHERE provider.id = course.provider_id AND provider.synthetic
              AND starts_with(course.external_id, 'syn-')
              AND starts_with(course.description, %s)
            """,
            [MARK],
        )


def flag_field(label):
    return models.BooleanField(default=False, db_default=False, editable=False, verbose_name=label)


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0021_exportjob"),
        ("network", "0005_origin_flags"),
    ]

    operations = [
        migrations.AddField("course", "demo", flag_field("Demodaten")),
        migrations.AddField("course", "synthetic", flag_field("synthetische Testdaten")),
        migrations.RunPython(flag_synthetic, migrations.RunPython.noop, elidable=True),
    ]
