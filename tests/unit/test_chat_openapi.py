"""chat_session's OpenAPI document: generated from the endpoint table, kept in docs/, complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from parley_chat_session.app import build_service
from parley_chat_session.http_endpoints import ENDPOINTS
from parley_chat_session.openapi import openapi_yaml
from parley_chat_session.settings import ChatSessionSettings

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[2] / "docs" / "chat-session-openapi.yaml"


def test_docs_copy_is_current() -> None:
    assert DOCS.read_text() == openapi_yaml(), (
        "docs/chat-session-openapi.yaml is stale: python -m parley_chat_session.openapi > docs/chat-session-openapi.yaml"
    )


def test_every_route_of_the_service_is_documented_and_nothing_else() -> None:
    service = build_service(ChatSessionSettings())
    served = {
        (route.method, route.resource.canonical)
        for route in service.http.router.routes()
        if route.method != "HEAD" and route.resource.canonical not in ("/healthz", "/readyz", "/metrics")
    }
    document = yaml.safe_load(openapi_yaml())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented == {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}


def test_every_reference_resolves_and_every_path_parameter_is_declared() -> None:
    text = openapi_yaml()
    document = yaml.safe_load(text)
    for ref in set(re.findall(r"\$ref: '?#/components/(\w+)/([\w-]+)'?", text)):
        assert ref[1] in document["components"][ref[0]], ref
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path
