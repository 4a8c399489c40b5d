"""The demo is opt-in: ``load_demo`` writes only into an empty database or one with nothing but
demo and synthetic data, never beside an installation's own data, and into a ``DATABASE_URL``
only when asked (``--force``). ``make run`` (``make data``) calls ``load_demo --if-demo-only``:
it loads on empty, reloads on demo-only, and otherwise says why in one line and goes on."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atlas import demo
from atlas.models import GeneratedAccount
from measures.models import Course
from network.models import Network, Organisation
from tests.factories import make_course, make_provider

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def _embedded(monkeypatch):
    """As on the embedded development database (the tests may run on a DATABASE_URL)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)


def run(*args) -> tuple[str, list[str]]:
    """``load_demo`` with the arguments: its output and the writing statements it sent."""
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("load_demo", *args, stdout=out)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)]
    return out.getvalue(), writes


def refused(*args) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError) as error:
        call_command("load_demo", *args, stdout=StringIO())
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)]
    return str(error.value), writes


def test_the_demo_recognises_its_own_rows_by_their_flag():
    assert demo.other_data() == {}
    assert Organisation.objects.filter(demo=True).count() == Organisation.objects.count()
    assert Network.objects.filter(demo=True).count() == 5
    assert not Course.objects.filter(demo=False).exists()


def test_a_demo_only_database_is_loaded_again():
    output, _ = run("--if-demo-only")
    assert output.startswith("Demodaten geladen")


def test_an_empty_database_is_loaded():
    Course.objects.all().delete()
    Network.objects.all().delete()
    Organisation.objects.all().delete()
    output, _ = run("--if-demo-only")
    assert output.startswith("Demodaten geladen: 5 Netzwerke")
    assert Course.objects.filter(demo=True).count() > 80
    assert demo.other_data() == {}


def test_load_demo_refuses_beside_a_real_organisation_and_writes_nothing():
    make_provider("Volkshochschule Echtstadt")
    message, writes = refused()
    assert "eigene Daten (1 Organisationen" in message
    assert writes == []
    # --force is about DATABASE_URL only: it never loads beside other data.
    message, writes = refused("--force")
    assert "eigene Daten" in message and writes == []


@pytest.mark.parametrize("what", ["course", "network", "user"])
def test_every_kind_of_other_data_counts(what):
    if what == "course":
        make_course(Organisation.objects.filter(demo=True, is_provider=True)[0], "Echter Kurs")
        label = "1 Kurse"
    elif what == "network":
        Network.objects.create(name="Echtes Netzwerk", slug="echtes-netzwerk")
        label = "1 Netzwerke"
    else:
        get_user_model().objects.create_user("redaktion-echt", password="x" * 16)
        label = "1 Benutzerkonten"
    assert label in refused()[0]


def test_make_runs_decision_skips_other_data_with_one_line():
    make_provider("Volkshochschule Echtstadt")
    before = Course.objects.get(external_id="demo-saz-amon-lernbegleitung").updated_at
    output, writes = run("--if-demo-only")
    assert len(output.strip().splitlines()) == 1
    assert "eigene Daten" in output and "keine Demodaten geschrieben" in output
    assert writes == []
    assert Course.objects.get(external_id="demo-saz-amon-lernbegleitung").updated_at == before


def test_with_database_url_nothing_is_written_unless_forced(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://atlas@db.example.org/atlas")
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("load_demo", "--if-demo-only", stdout=out)
    assert queries.captured_queries == []  # decided before any query: not even a read
    output = out.getvalue()
    assert "DATABASE_URL ist gesetzt" in output and "load_demo --force" in output
    assert len(output.strip().splitlines()) == 1
    message, writes = refused()
    assert "DATABASE_URL" in message and writes == []
    # Asked for explicitly: an empty or demo-only database gets the demo.
    output, _ = run("--force")
    assert output.startswith("Demodaten geladen")
    output, _ = run("--if-demo-only", "--force")
    assert output.startswith("Demodaten geladen")


def test_demo_accounts_and_synthetic_data_are_not_other_data(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run("--with-accounts")
    assert GeneratedAccount.objects.filter(source="demo").count() >= 3
    call_command("generate_synthetic", courses=20, stdout=StringIO())
    assert demo.other_data() == {}
    output, _ = run("--if-demo-only")
    assert output.startswith("Demodaten geladen")


def test_an_account_named_like_a_demo_account_is_the_installations_own():
    # Made by a person (createsuperuser): load_demo --with-accounts must not take it over.
    get_user_model().objects.create_superuser("admin", "it@example.org", "x" * 16)
    assert "1 Benutzerkonten" in refused("--with-accounts")[0]


def test_the_makefile_loads_the_demo_through_the_decision():
    makefile = (ROOT / "Makefile").read_text()
    data = re.search(r"^data:.*?(?=^\S)", makefile, re.M | re.S).group(0)
    assert "manage.py load_demo --if-demo-only" in data
    assert not re.search(r"load_demo(?! --if-demo-only)", data)


# The migration that flags what earlier versions loaded -----------------------------------------


def migration(app, name):
    import importlib

    return importlib.import_module(f"{app}.migrations.{name}")


def test_the_migration_flags_the_demo_rows_an_earlier_version_loaded(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run("--with-accounts")
    edited = Organisation.objects.filter(demo=True).order_by("slug")[0]
    edited.description = "Von der Redaktion überarbeitet."
    edited.save()
    Organisation.objects.update(demo=False)
    Network.objects.update(demo=False)
    Course.objects.update(demo=False)
    GeneratedAccount.objects.all().delete()

    migration("atlas", "0006_shared_state_and_origins").flag_demo(apps, None)

    assert list(Organisation.objects.filter(demo=False)) == [edited]
    assert not Network.objects.filter(demo=False).exists()
    assert set(Course.objects.filter(demo=False).values_list("provider", flat=True)) <= {edited.pk}
    assert GeneratedAccount.objects.filter(user__username="admin", source="demo").exists()
    found = demo.other_data()
    assert found["Organisationen"] == 1 and "Netzwerke" not in found
