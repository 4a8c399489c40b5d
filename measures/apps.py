from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Bildungsangebote")

    def ready(self):
        from measures import signals

        signals.connect()
