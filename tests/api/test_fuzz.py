"""The API fuzzed from its own OpenAPI description by schemathesis, over loopback against the
session's live server (tests/browser/conftest.py): valid and invalid parameters of every
operation, a bounded number of examples each. No response may be a server error, and every
response — 200, 400 and 404 alike — must have a status code, content type and body the
description documents."""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.browser.conftest import site_url  # noqa: F401 - the live server fixture

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def served_description() -> dict:
    """The description /api/schema/ serves, built the same way (at collection: no request)."""
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(served_description())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.mark.django_db
def test_the_fuzzed_description_is_the_served_one(site_url):  # noqa: F811
    with urlopen(f"{site_url}/api/schema/") as response:  # noqa: S310 - loopback
        assert json.load(response) == json.loads(json.dumps(served_description()))


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_description(case, site_url):  # noqa: F811
    case.call_and_validate(base_url=site_url, checks=CHECKS)
