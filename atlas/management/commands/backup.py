"""``manage.py backup``: a backup of the database with PostgreSQL's own ``pg_dump`` (custom
format), by default a file named by date and time in ``backups/`` of the data directory;
``--keep DAYS`` then deletes that folder's backups older than so many days (atlas.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from atlas.backup import BackupError, backup_dir, backup_name, describe_database, dump, prune


class Command(BaseCommand):
    help = (
        "Sichert die Datenbank mit pg_dump (Format -Fc) in eine Datei, ohne Angabe nach "
        "backups/ im Datenverzeichnis. Zurückspielen mit manage.py restore DATEI."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            metavar="PFAD",
            help="Datei der Sicherung, oder ein Ordner für eine nach Datum und Uhrzeit "
            "benannte (Standard: backups/ im Datenverzeichnis).",
        )
        parser.add_argument(
            "--keep",
            type=float,
            metavar="TAGE",
            help="Danach die Sicherungen im selben Ordner löschen, die älter sind als so viele "
            "Tage (nur nach Datum benannte Dateien bildungsatlas-….dump).",
        )

    def handle(self, *args, output=None, keep=None, **options):
        if keep is not None and keep <= 0:
            raise CommandError("--keep braucht eine Zahl von Tagen größer als 0.")
        name = backup_name(timezone.localtime())
        if output is None:
            path = backup_dir() / name
        else:
            path = Path(output).expanduser()
            if path.is_dir() or output.endswith(("/", "\\")):
                path = path / name
        path = path.absolute()
        try:
            done = dump(path, connection.settings_dict)
        except BackupError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Die Sicherung ließ sich nicht schreiben: {error}") from None
        database = describe_database(connection.settings_dict)
        self.stdout.write(f"Datenbank {database} gesichert: {done.describe()}")
        if keep is not None:
            for old in prune(path.parent, keep):
                self.stdout.write(f"Alte Sicherung gelöscht: {old}")
