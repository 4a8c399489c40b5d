"""sitemap.xml: every public page, in sections (an index at /sitemap.xml).

Request-based: the host comes from the request, so no ``SITE_ID`` or sites framework is needed.
Large sections are paginated by Django (50,000 addresses per file).
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from measures.models import Course
from network.models import Event, Network, Organisation, Project, Region, WorkingGroup
from pages.models import InfoPage


class UpdatedSitemap(Sitemap):
    """A section of model rows with ``updated_at``: the index asks the database for the latest
    change instead of loading every row (Django's default)."""

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        return self.items().order_by().aggregate(latest=Max("updated_at"))["latest"]


class StaticSitemap(Sitemap):
    """The site's fixed pages."""

    names = [
        "atlas:home",
        "measures:course_list",
        "measures:provider_list",
        "network:partner_list",
        "measures:region_list",
        "network:network_list",
        "atlas:info_index",
        "atlas:imprint",
        "atlas:privacy",
        "atlas:accessibility",
        "atlas:easy_language",
        "atlas:data_sources",
    ]

    def items(self):
        return self.names

    def location(self, item):
        return reverse(item)


class InfoPageSitemap(UpdatedSitemap):
    def items(self):
        return InfoPage.objects.filter(is_published=True, purpose="").order_by("pk")


class CourseSitemap(UpdatedSitemap):
    """Current published courses (out-of-date pages stay reachable but are not advertised).

    Files of 5,000 addresses (not Django's 50,000): each renders in well under a second, and
    the index lists as many files as needed."""

    limit = 5000

    def items(self):
        return Course.objects.public().only("slug", "updated_at").order_by("pk")

    def location(self, course):
        # One reverse() per file, not per course.
        if not hasattr(self, "_prefix"):
            self._prefix = reverse("measures:course_detail", kwargs={"slug": "x"})[:-2]
        return f"{self._prefix}{course.slug}/"


class OrganisationSitemap(UpdatedSitemap):
    limit = 5000

    def items(self):
        return Organisation.objects.public().only("slug", "updated_at").order_by("pk")


class NetworkSitemap(Sitemap):
    """Networks with their working groups, projects, events and their lists."""

    def items(self):
        networks = list(Network.objects.only("slug").order_by("pk"))
        items = []
        for network in networks:
            items.append(network.get_absolute_url())
            items.append(reverse("network:project_list", kwargs={"network": network.slug}))
            items.append(reverse("network:event_list", kwargs={"network": network.slug}))
        for model, name in (
            (WorkingGroup, "network:working_group_detail"),
            (Project, "network:project_detail"),
            (Event, "network:event_detail"),
        ):
            for network_slug, slug in model.objects.values_list("network__slug", "slug").order_by(
                "pk"
            ):
                items.append(reverse(name, kwargs={"network": network_slug, "slug": slug}))
        return items

    def location(self, item):
        return item


class RegionSitemap(Sitemap):
    """States, government regions and districts of Germany, and the networks' other regions."""

    def items(self):
        german = (
            Region.objects.filter(country="DE")
            .exclude(kind__in=[Region.Kind.COUNTRY, Region.Kind.MUNICIPALITY])
            .order_by("key")
            .values_list("key", flat=True)
        )
        elsewhere = (
            Region.objects.filter(networks__isnull=False)
            .exclude(country="DE")
            .order_by("key")
            .values_list("key", flat=True)
            .distinct()
        )
        return [*german, *elsewhere]

    def location(self, key):
        return reverse("measures:region_detail", kwargs={"key": key})


SITEMAPS = {
    "seiten": StaticSitemap,
    "informationen": InfoPageSitemap,
    "kurse": CourseSitemap,
    "anbieter": OrganisationSitemap,
    "netzwerk": NetworkSitemap,
    "regionen": RegionSitemap,
}
