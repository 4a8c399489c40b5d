"""Shared state and where data came from (issue 15).

- ``atlas_rate_count``: the rate limits' counts, when they live in PostgreSQL
  (``core.ratelimit``).
- ``atlas_cache``: Django's database cache, the default cache shared by all workers when no
  ``REDIS_URL`` is set (the table ``manage.py createcachetable`` makes; made here so that
  ``migrate`` alone sets up a new installation).
- ``GeneratedAccount``: the accounts the demo loader and the workspace benchmark make.
- The rows an earlier ``load_demo`` wrote are flagged ``demo`` and its accounts recorded, so
  that a development database loaded before keeps getting the demo's updates. A row counts as
  the demo's only where it still holds what the demo files give it: an organisation or network
  with the demo's slug, name and description, a course with the demo's provider, external id,
  title and description, an account with the demo's user name and its address at
  ``bildungsatlas.example``. A row someone changed stays the installation's own (``load_demo``
  then refuses to run beside it). The benchmark's coordinator of the synthetic network is
  recorded as synthetic.
"""

import json
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CACHE_TABLE = "atlas_cache"
DEMO_EMAIL_DOMAIN = "bildungsatlas.example"


def create_cache_table(apps, schema_editor):
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {CACHE_TABLE}")


def _demo_files() -> list[dict]:
    directory = Path(settings.FIXTURES_DIR) / "demo"
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


def flag_demo(apps, schema_editor):
    Organisation = apps.get_model("network", "Organisation")
    Network = apps.get_model("network", "Network")
    Course = apps.get_model("measures", "Course")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    GeneratedAccount = apps.get_model("atlas", "GeneratedAccount")
    RoleAssignment = apps.get_model("workspace", "RoleAssignment")
    files = _demo_files()

    organisations = {
        spec["slug"]: (spec["name"], spec.get("description", ""))
        for data in files
        for spec in data.get("organisations", [])
    }
    flagged = [
        pk
        for pk, slug, name, description in Organisation.objects.filter(
            slug__in=list(organisations)
        ).values_list("pk", "slug", "name", "description")
        if organisations[slug] == (name, description)
    ]
    Organisation.objects.filter(pk__in=flagged).update(demo=True)

    networks = {
        data["network"]["slug"]: (data["network"]["name"], data["network"].get("description", ""))
        for data in files
        if "network" in data
    }
    flagged = [
        pk
        for pk, slug, name, description in Network.objects.filter(
            slug__in=list(networks)
        ).values_list("pk", "slug", "name", "description")
        if networks[slug] == (name, description)
    ]
    Network.objects.filter(pk__in=flagged).update(demo=True)

    courses = {
        (spec["provider"], spec["external_id"]): (spec["title"], spec.get("description", ""))
        for data in files
        for spec in data.get("courses", [])
    }
    rows = Course.objects.filter(
        external_id__in=[external_id for _, external_id in courses], provider__demo=True
    ).values_list("pk", "provider__slug", "external_id", "title", "description")
    flagged = [
        pk
        for pk, provider, external_id, title, description in rows
        if courses.get((provider, external_id)) == (title, description)
    ]
    Course.objects.filter(pk__in=flagged).update(demo=True)

    # The accounts of load_demo --with-accounts: "admin", a coordinator per demo network and
    # staff of demo providers, each with its address at bildungsatlas.example.
    names = {"admin": f"admin@{DEMO_EMAIL_DOMAIN}"}
    for slug in Network.objects.filter(demo=True).values_list("slug", flat=True):
        name = f"koordination-{slug}"[:150]
        names[name] = f"{name}@{DEMO_EMAIL_DOMAIN}"
    for slug in Organisation.objects.filter(demo=True).values_list("slug", flat=True):
        name = f"redaktion-{slug}"[:150]
        names[name] = f"{name}@{DEMO_EMAIL_DOMAIN}"
    demo_users = [
        pk
        for pk, username, email in User.objects.filter(username__in=list(names)).values_list(
            "pk", "username", "email"
        )
        if names[username] == email
    ]
    GeneratedAccount.objects.bulk_create(
        [GeneratedAccount(user_id=pk, source="demo") for pk in demo_users],
        ignore_conflicts=True,
    )

    # The workspace benchmark's coordinator of its synthetic network.
    synthetic_users = RoleAssignment.objects.filter(
        user__username="syn-benchmark-koordination", network__synthetic=True
    ).values_list("user_id", flat=True)
    GeneratedAccount.objects.bulk_create(
        [GeneratedAccount(user_id=pk, source="synthetic") for pk in set(synthetic_users)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("atlas", "0005_scheduled_runs"),
        ("network", "0005_origin_flags"),
        ("measures", "0022_origin_flags"),
        ("workspace", "0004_course_import"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RateCount",
            fields=[
                ("key", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField()),
                ("started", models.DateTimeField()),
            ],
            options={
                "verbose_name": "Zähler einer Begrenzung",
                "verbose_name_plural": "Zähler der Begrenzungen",
                "db_table": "atlas_rate_count",
            },
        ),
        migrations.CreateModel(
            name="GeneratedAccount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[("demo", "Demodaten"), ("synthetic", "synthetische Testdaten")],
                        max_length=10,
                        verbose_name="Herkunft",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="generated_account",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="Benutzer",
                    ),
                ),
            ],
            options={
                "verbose_name": "erzeugtes Konto",
                "verbose_name_plural": "erzeugte Konten",
            },
        ),
        migrations.RunPython(create_cache_table, drop_cache_table),
        migrations.RunPython(flag_demo, migrations.RunPython.noop, elidable=True),
    ]
