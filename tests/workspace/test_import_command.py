"""``manage.py import_courses FILE --organisation SLUG [--dry-run]``: a summary, and a non-zero
exit with the errors when the file has any."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from measures.course_files.writers import csv_bytes
from measures.models import Course
from tests.workspace.test_course_import import rows

pytestmark = pytest.mark.django_db


def _file(tmp_path, data: bytes):
    path = tmp_path / "kurse.csv"
    path.write_bytes(data)
    return str(path)


def test_dry_run_then_import(world, tmp_path, capsys):
    path = _file(tmp_path, csv_bytes(rows(world)))
    slug = world.a.provider.slug
    call_command("import_courses", path, organisation=slug, dry_run=True, user=world.staff.username)
    assert "Probelauf, nichts gespeichert: 3 Zeilen: 2 neu" in capsys.readouterr().out
    assert not Course.objects.filter(provider=world.a.provider, external_id="K-1").exists()
    call_command("import_courses", path, organisation=slug, user=world.staff.username)
    assert "Gespeichert: 3 Zeilen: 2 neu" in capsys.readouterr().out
    call_command("import_courses", path, organisation=slug, user=world.staff.username)
    assert "0 neu, 0 geändert (davon 0 zur Prüfung), 2 unverändert" in capsys.readouterr().out


def test_errors_exit_non_zero_and_are_listed(world, tmp_path, capsys):
    data = rows(world, beginn="32.13.2027")
    path = _file(tmp_path, csv_bytes(data))
    with pytest.raises(CommandError, match="1 Fehler, nichts gespeichert"):
        call_command(
            "import_courses", path, organisation=world.a.provider.slug, user=world.staff.username
        )
    assert "Zeile 2, Spalte „beginn“" in capsys.readouterr().err


def test_bad_file_and_other_organisation(world, tmp_path):
    path = _file(tmp_path, b"\x00garbage")
    with pytest.raises(CommandError, match="weder"):
        call_command(
            "import_courses", path, organisation=world.a.provider.slug, user=world.staff.username
        )
    with pytest.raises(CommandError, match="darf"):
        call_command(
            "import_courses", path, organisation=world.b.provider.slug, user=world.staff.username
        )
    with pytest.raises(CommandError, match="gibt es nicht"):
        call_command("import_courses", path, organisation="gibt-es-nicht")
