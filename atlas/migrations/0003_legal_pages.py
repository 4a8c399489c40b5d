"""Every installation starts with the legal pages a German public portal needs (Impressum,
Datenschutzerklärung, Erklärung zur Barrierefreiheit, Leichte Sprache, Datenquellen); the
coordinators then edit them in admin. Pages that exist already are left alone."""

from django.db import migrations


def create_legal_pages(apps, schema_editor):
    from pages.info_defaults import create_missing

    create_missing(apps.get_model("atlas", "InfoPage"))


class Migration(migrations.Migration):
    dependencies = [
        ("atlas", "0002_info_pages_feedback"),
    ]

    operations = [
        migrations.RunPython(create_legal_pages, migrations.RunPython.noop),
    ]
