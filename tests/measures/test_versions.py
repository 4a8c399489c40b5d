"""The review rule's classification: every field of a course and of its parts is minor, major
or kept by the system, in one place (``measures.versions``)."""

import pytest

from measures import versions
from measures.models import Course, CourseDate, Module


@pytest.mark.parametrize("model", [Course, CourseDate, Module], ids=lambda m: m.__name__)
def test_every_field_is_classified(model):
    classification = versions.CLASSIFICATION[model]
    unclassified = set(versions.classified_fields(model)) - set(classification)
    assert not unclassified, (
        f"Classify {sorted(unclassified)} of {model.__name__} in measures/versions.py "
        "(minor: live at once; major: a new version for review; system: not edited by people)"
    )
    # And nothing classified that does not exist (a renamed field would hide here).
    assert set(classification) <= set(versions.classified_fields(model))
    assert set(classification.values()) <= {versions.MINOR, versions.MAJOR, versions.SYSTEM}


def test_the_rule_that_design_promises():
    course = versions.COURSE_FIELDS
    # Dates (every field) and the price go live at once.
    assert set(versions.DATE_FIELDS.values()) <= {versions.MINOR, versions.SYSTEM}
    assert course["dates"] == versions.MINOR
    assert {course[name] for name in ("price", "price_kind", "price_notes")} == {versions.MINOR}
    # Everything a learner reads about the offer is reviewed.
    for name in (
        "title", "summary", "description", "provider", "kind", "funding", "certificate_kind",
        "certificate_details", "objectives", "contents", "prerequisites", "subjects",
        "target_groups", "keywords", "modules", "contact", "registration_url",
    ):  # fmt: skip
        assert course[name] == versions.MAJOR, name
    assert set(versions.MODULE_FIELDS.values()) <= {versions.MAJOR, versions.SYSTEM}
