"""``manage.py restore PATH``: replace the database's contents with a backup of ``manage.py
backup`` (``pg_restore --clean --if-exists --no-owner``, in one transaction). It asks first on
a terminal; without one it needs ``--yes`` (atlas.backup)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from atlas.backup import BackupError, check_archive, describe_database, restore


class Command(BaseCommand):
    help = (
        "Spielt eine Sicherung von manage.py backup in die Datenbank zurück und ersetzt dabei "
        "ihren Inhalt (in einer Transaktion: scheitert es, bleibt alles, wie es war)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="DATEI", help="Die Sicherung (pg_dump -Fc).")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Ohne Rückfrage zurückspielen (ohne Terminal nötig, etwa in Skripten).",
        )

    def handle(self, *args, path, yes=False, **options):
        source = Path(path).expanduser().absolute()
        database = describe_database(connection.settings_dict)
        try:
            entries = check_archive(source)
        except BackupError as error:
            raise CommandError(str(error)) from None
        if not yes:
            self._confirm(source, database)
        try:
            done = restore(source, connection.settings_dict)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Datenbank {database} aus der Sicherung wiederhergestellt ({entries} Einträge): "
            f"{done.describe()}"
        )
        self.stdout.write(
            "Ist die Sicherung älter als der Code, danach `manage.py migrate` ausführen."
        )

    def _confirm(self, source: Path, database: str) -> None:
        question = (
            f"Der Inhalt der Datenbank {database} wird durch die Sicherung {source} ersetzt. "
            "Fortfahren? [ja/nein] "
        )
        if not sys.stdin.isatty():
            raise CommandError(
                f"Die Wiederherstellung ersetzt den Inhalt der Datenbank {database}. Ohne "
                "Terminal für die Rückfrage nur mit --yes."
            )
        if input(question).strip().lower() not in {"j", "ja", "y", "yes"}:
            raise CommandError("Abgebrochen, nichts wurde geändert.")
