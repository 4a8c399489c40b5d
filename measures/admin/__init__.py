"""Admin for the measures app, one module per topic (as in measures.models)."""

from measures.admin import courses, vocabularies  # noqa: F401
