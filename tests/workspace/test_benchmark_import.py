"""``benchmark_import`` on a small catalogue: each phase reported, the update changes every
course (or the share asked for), the re-imports change nothing, nothing is left behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from network.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("file_format", ["csv", "openqcat"])
def test_benchmark_import_runs_every_phase(file_format):
    out = io.StringIO()
    call_command("benchmark_import", courses=6, dates=2, file_format=file_format, stdout=out)
    lines = out.getvalue().splitlines()
    by_label = {line.split(":")[0]: line for line in lines}
    assert "6 neu, 0 geändert" in by_label["Import"]
    assert "0 neu, 0 geändert, 6 unverändert, 0 Fehler" in by_label["Re-Import (Import)"]
    assert "0 neu, 6 geändert, 0 unverändert, 0 Fehler" in by_label["Aktualisierung"]
    assert "6 unverändert" in by_label["Re-Import (Aktualisierung)"]
    assert any(line.startswith("Spitzenspeicher") for line in lines)
    assert not Organisation.objects.filter(slug="benchmark-import").exists()


def test_benchmark_import_changes_the_share_asked_for():
    out = io.StringIO()
    call_command("benchmark_import", courses=20, dates=1, changed_share=0.0, stdout=out)
    assert "0 geändert, 20 unverändert" in out.getvalue().split("Aktualisierung:")[1]
