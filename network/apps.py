from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Netzwerk")

    def ready(self):
        from core import generations
        from network.models import (
            Membership,
            Network,
            Organisation,
            OrganisationCertification,
            Region,
            Venue,
        )

        # Searches validate regions, and every page names the networks, from memory.
        # (The search index holds regions, through the venues, but no networks.)
        generations.bump_on_change(Region, reference=True)
        generations.bump_on_change(Network, reference=True, courses=())
        # The course search's index holds every venue (place, region, accessibility).
        generations.bump_on_change(Venue, courses=(generations.VENUES,))
        # The provider search's facets and the region pages' providers are kept per search
        # generation: a change of a provider, its memberships or certificates starts one (no
        # course's search data changed with it).
        for model in (Organisation, Membership, OrganisationCertification):
            generations.bump_on_change(model, courses=())
