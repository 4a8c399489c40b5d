"""Run the judged queries through the course search and print recall@10, nDCG@10 and the
zero-result rate (``measures.relevance`` defines them). Meant for the demo data::

    manage.py load_demo
    manage.py evaluate_search              # the figures and the recorded ones
    manage.py evaluate_search --verbose    # and each query: what it missed, what was wrong
    manage.py evaluate_search --record     # write the figures the guard test holds to
"""

from django.core.management.base import BaseCommand

from measures import relevance


class Command(BaseCommand):
    help = "Misst die Relevanz der Kurssuche mit den bewerteten Suchanfragen (recall@10, nDCG@10)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--verbose", action="store_true", help="jede Anfrage mit Fehlendem und Falschem"
        )
        parser.add_argument(
            "--record",
            action="store_true",
            help=f"die Werte nach {relevance.RECORDED_FIGURES.name} schreiben (für den Test)",
        )

    def handle(self, *args, verbose, record, **options):
        judgements = relevance.load_judgements()
        evaluation = relevance.evaluate(judgements)
        if verbose:
            for result in evaluation.results:
                self.stdout.write(self._query_report(result))
            self.stdout.write("")
        judged = len(evaluation.judged)
        expected_none = len(evaluation.results) - judged
        zero = evaluation.zero_results
        self.stdout.write(
            f"{len(evaluation.results)} judged queries "
            f"({judged} with a relevant demo course, {expected_none} expecting none)"
        )
        self.stdout.write(f"recall@10         {evaluation.recall:.3f}")
        self.stdout.write(f"nDCG@10           {evaluation.ndcg:.3f}")
        self.stdout.write(
            f"zero-result rate  {evaluation.zero_result_rate:.3f} ({len(zero)} of {judged}"
            + (": " + ", ".join(result.judgement.text for result in zero) if zero else "")
            + ")"
        )
        wrong = evaluation.with_wrong
        self.stdout.write(
            f"queries showing a course that must not appear: {len(wrong)}"
            + (": " + ", ".join(result.judgement.text for result in wrong) if wrong else "")
        )
        figures = relevance.recordable(evaluation)
        if record:
            relevance.write_recorded(figures)
            self.stdout.write(f"Recorded in {relevance.RECORDED_FIGURES}:")
        else:
            recorded = relevance.recorded_figures()
            self.stdout.write(
                "recorded: "
                + ", ".join(f"{name} = {value}" for name, value in recorded.items())
                + f" ({relevance.RECORDED_FIGURES.name}); --record writes:"
            )
        for name, value in figures.items():
            self.stdout.write(f"{name} = {value}")

    @staticmethod
    def _query_report(result: relevance.QueryResult) -> str:
        judgement = result.judgement
        if judgement.expect_none:
            figures = "(expects none)"
        else:
            figures = f"recall {result.recall:.2f}  nDCG {result.ndcg:.2f}"
        lines = [f"{judgement.text!r}: {result.count} found  {figures}"]
        for position, key in enumerate(result.shown, start=1):
            mark = {2: "++", 1: "+ "}.get(judgement.grades.get(key, 0), "  ")
            if key in judgement.never:
                mark = "!!"
            lines.append(f"   {mark} {position:2}. {key}  {result.titles.get(key, '')[:60]}")
        for key in result.missed:
            lines.append(
                f"   missed ({'first' if judgement.grades[key] == 2 else 'relevant'}): {key}"
            )
        return "\n".join(lines)
