"""The information pages and the feedback on barriers now belong to the ``pages`` app (its
migration ``0001`` takes over the tables): removed from this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("atlas", "0003_legal_pages"),
        ("pages", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InfoPage"),
                migrations.DeleteModel(name="AccessibilityFeedback"),
            ],
            database_operations=[],
        ),
    ]
