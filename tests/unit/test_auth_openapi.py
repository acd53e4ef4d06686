"""The auth OpenAPI document: docs/auth-openapi.yaml is current, and its paths are the app's routes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from parley_auth.app import build_service
from parley_auth.openapi import OPENAPI, OPENAPI_YAML
from parley_auth.settings import AuthSettings

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[2] / "docs" / "auth-openapi.yaml"


def test_the_document_in_docs_is_the_one_the_code_builds() -> None:
    assert DOC.read_text() == OPENAPI_YAML, "regenerate: python -m parley_auth.openapi > docs/auth-openapi.yaml"
    assert yaml.safe_load(DOC.read_text()) == OPENAPI


def test_its_operations_are_exactly_the_routes_of_the_app() -> None:
    service = build_service(AuthSettings())
    served = {(route.method.lower(), route.resource.canonical) for route in service.http.router.routes() if route.method != "HEAD"}
    documented = {(method, path) for path, operations in OPENAPI["paths"].items() for method in operations}
    assert documented == served


def test_every_reference_resolves() -> None:
    text = yaml.safe_dump(OPENAPI)
    schemas = OPENAPI["components"]["schemas"]
    for line in text.splitlines():
        if "$ref: '#/components/schemas/" in line:
            name = line.split("/")[-1].strip("'")
            assert name in schemas, name
