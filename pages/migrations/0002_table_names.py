"""The moved tables take the names of their new app, and their content types follow, so that
admin log entries and permissions keep pointing at them."""

from django.db import migrations

MODELS = ("infopage", "accessibilityfeedback")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="pages", model=model).exists():
            ContentType.objects.filter(app_label="atlas", model=model).update(app_label="pages")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="atlas", model=model).exists():
            ContentType.objects.filter(app_label="pages", model=model).update(app_label="atlas")


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="infopage", table=None),
        migrations.AlterModelTable(name="accessibilityfeedback", table=None),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
