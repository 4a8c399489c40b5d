from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    """Information pages (the legal pages among them) and the feedback on barriers."""

    name = "pages"
    verbose_name = _("Seiten")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core import generations
        from pages.models import InfoPage

        # Menus are cached per reference generation (the search index holds no pages).
        generations.bump_on_change(InfoPage, reference=True, courses=())
