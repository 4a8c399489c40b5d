"""The vocabulary of "Meinten Sie …?" in its own spelling, from public courses only.

SearchWord gets the spelling shown (``display``) beside the folded lookup key (``word``), one
row per spelling; SearchWordSource keeps each public course's spellings so that edits update
the counts. The old rows (folded only, drafts' and archived courses' keywords among them) are
replaced by the vocabulary built here, as ``measures.search.refresh_search_words`` builds it.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

REBUILD = """
DELETE FROM measures_searchword;
INSERT INTO measures_searchwordsource (course_id, words)
SELECT c.id, array_agg(DISTINCT w.spelling ORDER BY w.spelling)
FROM measures_course AS c
CROSS JOIN LATERAL (
    SELECT regexp_split_to_table(c.title, '[^[:alnum:]]+') AS spelling
    UNION ALL
    SELECT regexp_split_to_table(t.name, '[^[:alnum:]]+')
    FROM taggit_taggeditem ti
    JOIN taggit_tag t ON t.id = ti.tag_id
    JOIN django_content_type ct ON ct.id = ti.content_type_id
    WHERE ti.object_id = c.id AND ct.app_label = 'measures' AND ct.model = 'course'
) AS w
WHERE c.status = 'published' AND c.current_until >= CURRENT_DATE
  AND length(w.spelling) BETWEEN 2 AND 100
GROUP BY c.id;
WITH counted AS MATERIALIZED (
    SELECT spelling, count(*) AS frequency FROM (
        SELECT unnest(words) AS spelling FROM measures_searchwordsource
        UNION ALL
        SELECT regexp_split_to_table(s.name, '[^[:alnum:]]+') FROM measures_subject AS s
    ) AS pieces
    WHERE length(spelling) <= 100
    GROUP BY spelling
), v AS MATERIALIZED (  -- folded once per spelling, not once per course's use of it
    SELECT atlas_fold(spelling) AS word, spelling, frequency FROM counted
)
INSERT INTO measures_searchword (word, display, frequency)
SELECT v.word, v.spelling, v.frequency FROM v
WHERE length(v.word) BETWEEN 3 AND 100 AND v.word !~ '[^0-9a-z]';
"""


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('measures', '0009_course_revision_of'),
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
    ]

    operations = [
        migrations.RunSQL("DELETE FROM measures_searchword", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='searchword',
            name='word',
            field=models.CharField(help_text='gefaltet: kleingeschrieben, Umlaute als ae, oe, ue', max_length=100),
        ),
        migrations.AddField(
            model_name='searchword',
            name='display',
            field=models.CharField(default='', max_length=100, verbose_name='Schreibweise'),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='searchword',
            constraint=models.UniqueConstraint(fields=('word', 'display'), name='searchword_unique_spelling'),
        ),
        migrations.CreateModel(
            name='SearchWordSource',
            fields=[
                ('course_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('words', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=100), default=list, size=None)),
            ],
            options={
                'verbose_name': 'Suchwörter eines Kurses',
                'verbose_name_plural': 'Suchwörter der Kurse',
            },
        ),
        migrations.RunSQL(REBUILD, "DELETE FROM measures_searchwordsource; DELETE FROM measures_searchword;"),
    ]
