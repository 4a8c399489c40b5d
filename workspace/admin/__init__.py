"""The admin for every model, one module per topic; ``base`` holds what they share (scoping,
role permissions, list filters). Django's admin autodiscovery imports this package."""

from workspace.admin import (  # noqa: F401 - registers the admins
    courses,
    networks,
    organisations,
    pages,
    regions,
    synonyms,
    users,
    vocabularies,
)
