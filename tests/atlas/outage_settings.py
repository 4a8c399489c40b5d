"""The project's settings with the outage tests' URLs (tests/atlas/outage_urls.py), for the
app that tests/atlas/test_outage.py serves under gunicorn."""

from atlas.settings import *  # noqa: F403

ROOT_URLCONF = "tests.atlas.outage_urls"
