"""A new search generation whenever data that searches keep in caches changes outside the
course writers (which refresh the search index themselves): vocabularies, synonyms, regions,
networks and information pages (menus)."""

from django.db.models.signals import post_delete, post_save

from measures import search

CACHED_MODELS = (
    "measures.Synonym",
    "measures.Subject",
    "measures.FundingType",
    "measures.TargetGroup",
    "measures.CertificateKind",
    "network.Region",
    "network.Network",
    "atlas.InfoPage",
)


def _changed(sender, **kwargs):
    if not kwargs.get("raw"):  # fixtures loading start a generation of their own afterwards
        search.bump_generation(reference=True)


def connect() -> None:
    for label in CACHED_MODELS:
        post_save.connect(_changed, sender=label, dispatch_uid=f"search-generation-{label}")
        post_delete.connect(_changed, sender=label, dispatch_uid=f"search-generation-{label}")
