from django.contrib.postgres.operations import (
    CreateExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations


class Migration(migrations.Migration):
    """The PostgreSQL extensions the search needs (all ship with standard PostgreSQL)."""

    initial = True
    dependencies = []

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        CreateExtension("cube"),
        CreateExtension("earthdistance"),
    ]
