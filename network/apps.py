from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Netzwerk")

    def ready(self):
        from core import generations
        from network.models import Network, Region, Venue

        # Searches validate regions, and every page names the networks, from memory.
        for model in (Region, Network):
            generations.bump_on_change(model, reference=True)
        # The course search's index holds every venue (place, region, accessibility).
        generations.bump_on_change(Venue)
