"""Delete feedback on barriers that is resolved or older than a year (run it daily, e.g. from
cron): the privacy statement promises that such feedback is not kept longer."""

from django.core.management.base import BaseCommand

from pages.services import FEEDBACK_KEPT_DAYS, feedback_delete_old


class Command(BaseCommand):
    help = (
        "Löscht erledigte Rückmeldungen zur Barrierefreiheit und solche, die älter als ein "
        "Jahr sind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=FEEDBACK_KEPT_DAYS)

    def handle(self, *args, **options):
        deleted = feedback_delete_old(days=max(options["days"], 1))
        if options["verbosity"] >= 1:
            self.stdout.write(f"{deleted} Rückmeldungen gelöscht.")
