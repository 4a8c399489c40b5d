"""Admin for the network app, one module per topic (as in network.models)."""

from network.admin import networks, organisations, regions  # noqa: F401
