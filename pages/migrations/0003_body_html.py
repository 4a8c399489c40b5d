"""Information pages keep their text rendered as HTML (``body_html``), written when a page is
saved, so that a view no longer renders the Markdown subset on every request; the existing
pages are rendered here once."""

from django.db import migrations, models


def render_bodies(apps, schema_editor):
    from core import markup

    InfoPage = apps.get_model("pages", "InfoPage")
    for page in InfoPage.objects.only("pk", "body").iterator():
        InfoPage.objects.filter(pk=page.pk).update(body_html=str(markup.render(page.body)))


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0002_table_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="infopage",
            name="body_html",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="Aus dem Text erzeugt, wenn die Seite gespeichert wird.",
                verbose_name="Text als HTML",
            ),
        ),
        migrations.RunPython(render_bodies, migrations.RunPython.noop),
    ]
