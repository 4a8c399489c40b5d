"""Admin for the measures app, one module per topic (as in measures.models)."""

from measures.admin import courses, search, vocabularies  # noqa: F401
