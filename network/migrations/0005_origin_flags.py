"""Organisations and networks say whether the demo loader or the synthetic benchmark data made
them (``OriginFields``), instead of a slug prefix anybody could type.

Existing synthetic rows are flagged here, recognised by every mark the generator gave them: an
organisation whose slug starts with ``syn-anbieter-``, whose name ends with "(synthetisch)"
and whose description starts with "[Synthetische Testdaten]"; the benchmark network by its slug
and name. A person's organisation matches all three only if someone copied the generator's
text on purpose. The demo's rows are flagged by ``atlas.0005``, which reads the demo files."""

from django.db import migrations, models

MARK = "[Synthetische Testdaten]"


def flag_synthetic(apps, schema_editor):
    Organisation = apps.get_model("network", "Organisation")
    Network = apps.get_model("network", "Network")
    Organisation.objects.filter(
        slug__startswith="syn-anbieter-", name__endswith="(synthetisch)", description__startswith=MARK
    ).update(synthetic=True)
    Network.objects.filter(
        slug="syn-benchmark-netzwerk", name="Benchmark-Netzwerk (synthetisch)"
    ).update(synthetic=True)


def flag_field(name, label):
    return models.BooleanField(default=False, db_default=False, editable=False, verbose_name=label)


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0004_provider_search_document"),
    ]

    operations = [
        migrations.AddField("network", "demo", flag_field("demo", "Demodaten")),
        migrations.AddField("network", "synthetic", flag_field("synthetic", "synthetische Testdaten")),
        migrations.AddField("organisation", "demo", flag_field("demo", "Demodaten")),
        migrations.AddField(
            "organisation", "synthetic", flag_field("synthetic", "synthetische Testdaten")
        ),
        migrations.RunPython(flag_synthetic, migrations.RunPython.noop, elidable=True),
    ]
