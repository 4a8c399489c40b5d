"""Load the demo data drawn from the five seed reports (``fixtures/demo/*.json``).

Idempotent and in one transaction: running it twice changes nothing. Course dates are relative
to today, so the demo stays current. ``--with-accounts`` also creates demo log-ins with fresh
random passwords and prints them; without the flag no user is created or changed.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from atlas.demo import DemoDataError, create_accounts, load_demo


class Command(BaseCommand):
    help = (
        "Lädt die Demodaten (fünf Lernende Regionen mit Partnern, Arbeitsgruppen, Vorhaben, "
        "Veranstaltungen, Kursen und Terminen) aus fixtures/demo/. Setzt load_reference voraus."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-accounts",
            action="store_true",
            help="Auch Demo-Zugänge anlegen (Superuser „admin“) und ihre neuen Passwörter "
            "ausgeben.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            with transaction.atomic():
                call_command("load_vocabularies", verbosity=0)
                counts = load_demo()
                accounts = create_accounts() if options["with_accounts"] else []
        except (DemoDataError, IntegrityError) as error:
            raise CommandError(f"Demodaten nicht geladen: {error}") from error
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(f"Demodaten geladen: {summary} ({time.monotonic() - started:.1f} s).")
        for account in accounts:
            self.stdout.write(f"{account.username} / {account.password}  ({account.role})")
