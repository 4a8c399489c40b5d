"""Load the demo data drawn from the five seed reports (``fixtures/demo/*.json``).

Idempotent and in one transaction: running it twice changes nothing. Course dates are relative
to today, so the demo stays current. ``--with-accounts`` also creates demo log-ins with fresh
random passwords and prints them; without the flag no user is created or changed.

The demo is written only where it cannot mix with an installation's own data:

- never beside other data: a database that holds organisations, networks, courses or user
  accounts that the demo loader or the synthetic benchmark data did not make
  (``atlas.demo.other_data``) is refused, with nothing written;
- into a server named by ``DATABASE_URL`` only with ``--force``: without it nothing is written
  there, however empty it is (an installation's database is never filled with the demo by
  accident: ``make run`` with ``DATABASE_URL`` set writes nothing).

``--if-demo-only`` is ``make run``'s (``make data``'s) way to call it: where the command would
refuse, it says why in one line and ends without an error, so the server starts with the
data that is there.
"""

import os
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from atlas.demo import DemoDataError, create_accounts, load_demo, other_data


class Refused(Exception):
    """The demo is not to be written into this database (the message says why)."""


def server_refusal(*, force: bool) -> str | None:
    """Why the demo may not be written into a ``DATABASE_URL`` (decided without connecting)."""
    if os.environ.get("DATABASE_URL", "").strip() and not force:
        return (
            "DATABASE_URL ist gesetzt: keine Demodaten geschrieben. Demodaten in diese "
            "Datenbank nur ausdrücklich: manage.py load_demo --force."
        )
    return None


def data_refusal() -> str | None:
    """Why the demo may not be written beside what the database holds, or ``None``. Call it
    inside the transaction that loads the demo."""
    found = other_data()
    if found:
        summary = ", ".join(f"{count} {label}" for label, count in found.items())
        return (
            f"Die Datenbank enthält eigene Daten ({summary}, weder Demo- noch synthetische "
            "Daten): keine Demodaten geschrieben."
        )
    return None


class Command(BaseCommand):
    help = (
        "Lädt die Demodaten (fünf Lernende Regionen mit Partnern, Arbeitsgruppen, Vorhaben, "
        "Veranstaltungen, Kursen und Terminen) aus fixtures/demo/ in eine leere Datenbank oder "
        "eine mit nur Demo- und synthetischen Daten; nie neben anderen Daten. Setzt "
        "load_reference voraus."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-accounts",
            action="store_true",
            help="Auch Demo-Zugänge anlegen (Superuser „admin“) und ihre neuen Passwörter "
            "ausgeben.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Auch in die Datenbank aus DATABASE_URL schreiben (ohne: nie). Neben anderen "
            "Daten lädt der Befehl auch damit nicht.",
        )
        parser.add_argument(
            "--if-demo-only",
            action="store_true",
            help="Für make run: wo nicht geladen werden darf, eine Zeile dazu und Ende ohne "
            "Fehler.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            reason = server_refusal(force=options["force"])
            if reason:
                raise Refused(reason)
            with transaction.atomic():
                reason = data_refusal()
                if reason:
                    raise Refused(reason)
                call_command("load_vocabularies", verbosity=0)
                counts = load_demo()
                accounts = create_accounts() if options["with_accounts"] else []
        except Refused as refused:
            if options["if_demo_only"]:
                self.stdout.write(str(refused))
                return
            raise CommandError(str(refused)) from refused
        except (DemoDataError, IntegrityError) as error:
            raise CommandError(f"Demodaten nicht geladen: {error}") from error
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(f"Demodaten geladen: {summary} ({time.monotonic() - started:.1f} s).")
        for account in accounts:
            self.stdout.write(f"{account.username} / {account.password}  ({account.role})")
