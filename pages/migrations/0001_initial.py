"""The information pages and the feedback on barriers move from ``atlas`` to ``pages``: the
tables stay as they are (state only here; ``0002`` gives them their new names)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("atlas", "0003_legal_pages"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AccessibilityFeedback',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('message', models.TextField(max_length=5000, verbose_name='Nachricht')),
                        ('page', models.CharField(blank=True, help_text='Adresse oder Beschreibung der Seite, auf der die Barriere ist.', max_length=300, verbose_name='Betroffene Seite')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='Name')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='E-Mail für die Antwort')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='eingegangen')),
                        ('is_resolved', models.BooleanField(default=False, verbose_name='erledigt')),
                        ('notes', models.TextField(blank=True, verbose_name='interne Notizen')),
                    ],
                    options={
                        'verbose_name': 'Rückmeldung zur Barrierefreiheit',
                        'verbose_name_plural': 'Rückmeldungen zur Barrierefreiheit',
                        'ordering': ['-created_at'],
                        'db_table': 'atlas_accessibilityfeedback',
                    },
                ),
                migrations.CreateModel(
                    name='InfoPage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='Titel')),
                        ('slug', models.SlugField(help_text='Die Seite erscheint unter /info/<Kurzadresse>/.', max_length=80, unique=True, verbose_name='Kurzadresse')),
                        ('purpose', models.CharField(blank=True, choices=[('', 'Informationsseite'), ('imprint', 'Impressum'), ('privacy', 'Datenschutzerklärung'), ('accessibility', 'Erklärung zur Barrierefreiheit'), ('easy_language', 'Leichte Sprache'), ('data_sources', 'Datenquellen')], default='', help_text='Pflichtseiten stehen unter ihrer festen Adresse, z. B. /impressum/.', max_length=20, verbose_name='Pflichtseite')),
                        ('summary', models.CharField(blank=True, help_text='Für Suchmaschinen und Übersichten; ein bis zwei Sätze.', max_length=300, verbose_name='Kurzbeschreibung')),
                        ('body', models.TextField(help_text='Einfaches Markdown: Leerzeile = neuer Absatz, Zeilenumbruch = neue Zeile; „## Überschrift“, „### Unterüberschrift“; Listen mit „- “ oder „1. “; **fett**, *kursiv*; Links als [Text](https://…) oder [Text](/kurse/); „> “ für ein Zitat. HTML wird nicht ausgeführt, sondern angezeigt.', validators=[django.core.validators.MaxLengthValidator(100000)], verbose_name='Text')),
                        ('menu', models.CharField(blank=True, choices=[('', 'in keinem Menü'), ('main', 'Hauptnavigation (oben)'), ('footer', 'Fußzeile (unten)')], default='', max_length=10, verbose_name='Menü')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Kleinere Zahlen stehen weiter vorn.', verbose_name='Position im Menü')),
                        ('is_published', models.BooleanField(default=True, verbose_name='veröffentlicht')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='angelegt')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='zuletzt geändert')),
                    ],
                    options={
                        'verbose_name': 'Informationsseite',
                        'verbose_name_plural': 'Informationsseiten',
                        'ordering': ['menu', 'position', 'title'],
                        'db_table': 'atlas_infopage',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('purpose', ''), _negated=True), fields=('purpose',), name='infopage_one_page_per_purpose', violation_error_message='Für diese Pflichtseite gibt es schon eine Seite.'), models.CheckConstraint(condition=models.Q(('purpose', ''), ('is_published', True), _connector='OR'), name='infopage_required_pages_published', violation_error_message='Pflichtseiten (Impressum, Datenschutz …) müssen veröffentlicht sein.')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
