from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Bildungsangebote")

    def ready(self):
        from core import generations
        from measures import course_search, models, search_index, text_matches

        # The course search validates and labels with these, held in memory per generation.
        # The search index holds none of the synonyms, and only the ids of the others (the
        # subjects' parents too: their areas).
        generations.bump_on_change(models.Synonym, reference=True, courses=())
        for model in (
            models.Subject,
            models.FundingType,
            models.TargetGroup,
            models.CertificateKind,
        ):
            generations.bump_on_change(model, reference=True)

        # After a full build at a catalogue's size (where workers share text matches), the
        # builder matches the common terms for all workers.
        prematch = (text_matches.SHARED_MIN_COURSES, course_search.prematch_common_terms)
        if prematch not in search_index.AFTER_FULL_BUILD:
            search_index.AFTER_FULL_BUILD.append(prematch)

    def load_replaceable(self) -> None:
        """Before a web worker's first request, after the warm-up's freeze (``atlas.warmup``):
        the search index, if a build of the current generation is there to read."""
        from measures import search_index

        search_index.load_shared()
