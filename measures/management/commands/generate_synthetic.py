from django.core.management.base import BaseCommand, CommandError

from measures import synthetic


class Command(BaseCommand):
    help = (
        "Erzeugt einen synthetischen Datensatz für Messungen (Anbieter in allen Kreisen, Kurse "
        "mit Terminen). Alles trägt das Merkmal „synthetisch“ und ist mit --delete wieder "
        "entfernbar; --delete löscht nur so Markiertes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=1000)
        parser.add_argument("--dates-per-course", type=int, default=4)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Die als synthetisch markierten Daten löschen (nichts anderes).",
        )

    def handle(self, *args, courses, dates_per_course, seed, delete, **options):
        if delete:
            counts = synthetic.delete_synthetic()
            summary = ", ".join(f"{count} {label}" for label, count in counts.items())
            self.stdout.write(f"Synthetische Daten gelöscht: {summary}.")
            return
        if not 1 <= courses <= 5_000_000 or not 1 <= dates_per_course <= 50:
            raise CommandError("--courses 1…5000000, --dates-per-course 1…50")
        try:
            counts = synthetic.generate(
                courses=courses, dates_per_course=dates_per_course, seed=seed, stdout=self.stdout
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Fertig: {counts}"))
