"""benchmark_soak: the pages it requests, the memory sampler, the imports beside the load, the
check that nothing acknowledged is lost, and one short real run of the command (gunicorn,
production settings, wrk) against the test database's demo data. Nothing here judges a
figure: the figures belong in the README."""

from __future__ import annotations

import os
import re
import socket
import time
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from atlas import soak_benchmark
from atlas.load_benchmark import Writer, benchmark_user, save_course
from atlas.soak_benchmark import (
    KEY_PREFIX,
    SOAK_SLUG,
    Importer,
    MemorySampler,
    lost_writes,
    page_paths,
    remove_soak_provider,
    resident_kb,
)
from measures.models import Course
from network.models import Organisation
from tests.servers import database_url_of_the_tests
from workspace.services.courses import content_change_needs_review


@pytest.mark.django_db
def test_the_pages_are_every_public_pattern_but_the_exports():
    paths = page_paths()
    assert "/" in paths and "/kurse/" in paths and "/regionen/" in paths
    assert any(path.startswith("/anbieter/") and path != "/anbieter/" for path in paths)
    assert not any("/export" in path for path in paths)
    assert len(paths) == len(set(paths))


def test_the_sampler_follows_each_process_and_its_growth():
    sampler = MemorySampler(lambda: [os.getpid()], interval=0.01)
    sampler.start()
    time.sleep(0.1)  # sampled before
    ballast = bytearray(30 * 1024 * 1024)  # touched: resident
    for index in range(0, len(ballast), 4096):
        ballast[index] = 1
    sampler.stop()  # and sampled once more
    (growth,) = sampler.growth(since=0)
    assert growth.pid == os.getpid()
    assert growth.late_kb - growth.early_kb >= 25 * 1024
    assert growth.percent > 0
    assert sampler.replaced() == set()
    assert resident_kb(2**22 + 1) is None  # no such process


def test_a_worker_gone_during_the_run_is_named():
    sampler = MemorySampler(lambda: [])
    sampler.samples = [(0.0, {1: 100, 2: 100}), (3.0, {2: 110, 3: 90})]
    assert sampler.replaced() == {1}
    assert [(g.pid, g.early_kb, g.late_kb) for g in sampler.growth(since=2)] == [
        (2, 110, 110),
        (3, 90, 90),
    ]


@pytest.mark.django_db
def test_each_import_round_writes_new_prices_through_the_import_service():
    importer = Importer(courses=3, interval=60)
    importer.run_once()
    importer.run_once()
    assert importer.failures == []
    organisation = Organisation.objects.get(slug=SOAK_SLUG)
    prices = dict(Course.objects.filter(provider=organisation).values_list("external_id", "price"))
    assert prices == {key: Decimal(price) for key, price in importer.acknowledged.items()}
    assert set(prices) == {f"{KEY_PREFIX}-{n}" for n in (1, 2, 3)}
    assert lost_writes(None, importer) == []

    Course.objects.filter(provider=organisation, external_id=f"{KEY_PREFIX}-2").update(price=1)
    Course.objects.filter(provider=organisation, external_id=f"{KEY_PREFIX}-3").delete()
    assert lost_writes(None, importer) == [
        f"Import {KEY_PREFIX}-2: Preis 1.00 statt {importer.acknowledged[f'{KEY_PREFIX}-2']}",
        f"Import {KEY_PREFIX}-3: fehlt",
    ]

    remove_soak_provider()
    assert not Organisation.objects.filter(slug=SOAK_SLUG).exists()


@pytest.mark.django_db
def test_an_acknowledged_save_that_the_database_lost_is_named():
    user = benchmark_user()
    course = next(c for c in Course.objects.public() if not content_change_needs_review(c))
    save_course(course_id=course.pk, user=user, word="lastprobewort", note="Lastprobe 7")
    writer = SimpleNamespace(acknowledged={course.pk: ("Lastprobe 7", "lastprobewort")})
    assert lost_writes(writer, None) == []

    Course.objects.filter(pk=course.pk).update(price_notes="überschrieben")
    assert lost_writes(writer, None) == [
        f"Kurs {course.pk}: Preishinweis 'überschrieben' statt 'Lastprobe 7'"
    ]
    Course.objects.filter(pk=course.pk).update(price_notes="Lastprobe 7", summary="ohne")
    assert lost_writes(writer, None) == [
        f"Kurs {course.pk}: „lastprobewort“ fehlt in der Kurzbeschreibung"
    ]


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_command_runs_load_and_soak_against_a_real_server(monkeypatch, tmp_path):
    """gunicorn with production settings and wrk against the test database's demo data. The
    saves and imports of the soak are only counted: written in their threads they would be
    committed to the shared test data (both are tested above, in the test's transaction)."""
    monkeypatch.setenv("DATABASE_URL", database_url_of_the_tests())
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path / "static"))
    saved, imported = [], []
    monkeypatch.setattr(Writer, "save", staticmethod(lambda **kwargs: saved.append(kwargs)))
    monkeypatch.setattr(Writer, "original", staticmethod(lambda course_id: {}))
    monkeypatch.setattr(Writer, "restore", lambda self: len(self.originals))
    monkeypatch.setattr(Writer, "_poll_loop", lambda self: None)
    monkeypatch.setattr(
        Importer, "run_once", lambda self: (imported.append(1), self.seconds.append(0.1))
    )
    monkeypatch.setattr(soak_benchmark, "lost_writes", lambda writer, importer: [])
    out = StringIO()

    call_command(
        "benchmark_soak",
        *("--connections", "12", "--duration", "2", "--requests", "30"),
        *("--soak-minutes", "0.05", "--import-every", "1"),
        stdout=out,
    )

    output = out.getvalue()
    assert re.search(r"Mischung: 30 Suchen und Kursseiten, \d{2,} Pfade", output), output
    assert re.search(r"Aufgewärmt: .*\(200×\d+\)\.", output), output
    for label in ("Lasttest", "Dauerlauf"):
        row = re.search(
            rf"^{label} \(.*\): (\d+\.\d) Anfragen/s, (\d+) Anfragen; .* Socket-Fehler (\d+), "
            r"nicht 2xx/3xx (\d+)\.$",
            output,
            re.M,
        )
        assert row, f"{label}:\n{output}"
        assert float(row[1]) > 0 and int(row[2]) > 0
        assert row[4] == "0", output  # every answer 2xx/3xx
    assert len(re.findall(r"^  Worker \d+: \d+ MB ab 2 s → \d+ MB am Ende", output, re.M)) == 2
    assert 1 <= len(saved) and 1 <= len(imported)
    assert f"Geschrieben: {len(saved)} Kurse über course_edit; {len(imported)} Importe" in output
    assert "fehlend: 0" in output
    port = int(re.search(r"auf Port (\d+)", output).group(1))
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server still answers"
