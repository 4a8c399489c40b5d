"""``manage.py benchmark_workspace`` visits every list of the admin per role and reports it."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from measures import synthetic
from network.models import Membership, Network, Organisation
from tests.factories import make_course, make_provider

pytestmark = pytest.mark.django_db


def test_every_list_answers_for_both_roles(world):
    out = StringIO()
    call_command(
        "benchmark_workspace", repeat=1, coordinator=world.coordinator.username, stdout=out
    )
    report = out.getvalue()
    assert f"Koordination {world.coordinator.username}" in report
    assert "Superuser" in report
    rows = {}  # page -> its statuses
    for line in report.splitlines():
        found = re.search(r"\s((?:\d{3},)*\d{3})( über Budget)?$", line)
        if found and re.search(r"\d+\s+\d+\s+\d+\s+\S+$", line.removesuffix(" über Budget")):
            rows[line[:58].strip()] = set(found.group(1).split(","))
    for page in ("Übersicht /admin/", "Liste Kurse", "zur Prüfung", "unvollständig", "Termine"):
        assert any(page in label for label in rows), page
    assert any("Formular eines Angebots" in label for label in rows)
    # Every page answered (a short list's page 50 redirects to its first page).
    assert all(statuses <= {"200", "302"} for statuses in rows.values()), rows


def test_a_synthetic_network_measures_a_coordinator_at_size_and_goes_with_the_rest(world):
    providers = [make_provider(f"{synthetic.PREFIX}p{i}") for i in range(4)]
    for provider in providers:
        provider.slug = f"{synthetic.PREFIX}{provider.slug}"
        provider.synthetic = True  # as generate_synthetic writes them
        provider.save()
        course = make_course(provider, "Kurs")
        course.external_id = f"{synthetic.PREFIX}{course.pk}"
        course.synthetic = True
        course.save()
    out = StringIO()
    call_command("benchmark_workspace", repeat=1, network_share=0.5, stdout=out)
    network = Network.objects.get(slug=synthetic.BENCHMARK_NETWORK)
    assert Membership.objects.filter(network=network).count() == 2
    assert f"Koordination {synthetic.BENCHMARK_COORDINATOR} (2 Angebote)" in out.getvalue()
    synthetic.delete_synthetic()
    assert not Network.objects.filter(slug=synthetic.BENCHMARK_NETWORK).exists()
    users = get_user_model().objects.filter(username=synthetic.BENCHMARK_COORDINATOR)
    assert not users.exists()
    assert not Organisation.objects.filter(pk__in=[p.pk for p in providers]).exists()
