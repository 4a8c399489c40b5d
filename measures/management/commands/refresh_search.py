from django.core.management.base import BaseCommand

from measures.search import (
    refresh_search_vectors,
    refresh_search_words,
    refresh_stale_summaries,
)


class Command(BaseCommand):
    help = (
        "Baut den Suchindex aller Kurse und das Vokabular für „Meinten Sie …?“ neu auf "
        "und erneuert veraltete Terminübersichten der Suche."
    )

    def handle(self, *args, **options):
        refresh_search_words()  # first: compounds are split by the vocabulary
        refresh_search_vectors()
        refresh_stale_summaries()
        if options["verbosity"]:
            self.stdout.write("Suchindex neu aufgebaut.")
