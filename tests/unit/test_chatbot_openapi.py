"""chatbot_engine's OpenAPI document: generated from the endpoint table, kept in docs/, complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from parley_chatbot_engine.api import ENDPOINTS
from parley_chatbot_engine.app import build_service
from parley_chatbot_engine.openapi import openapi_yaml
from parley_chatbot_engine.settings import ChatbotEngineSettings

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[2] / "docs" / "chatbot-openapi.yaml"
NOT_IN_THE_API = ("/healthz", "/readyz", "/metrics", "/chatbot/openapi.yaml")


def test_docs_copy_is_current() -> None:
    assert DOCS.read_text() == openapi_yaml(), (
        "docs/chatbot-openapi.yaml is stale: python -m parley_chatbot_engine.openapi > docs/chatbot-openapi.yaml"
    )


def test_every_route_of_the_service_is_documented_and_nothing_else() -> None:
    service = build_service(ChatbotEngineSettings())
    served = {
        (route.method, route.resource.canonical)
        for route in service.http.router.routes()
        if route.method != "HEAD" and route.resource is not None and route.resource.canonical not in NOT_IN_THE_API
    }
    document = yaml.safe_load(openapi_yaml())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented == {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}


def test_every_reference_resolves_and_every_path_parameter_is_declared() -> None:
    text = openapi_yaml()
    document = yaml.safe_load(text)
    for kind, name in set(re.findall(r"\$ref: '?#/components/(\w+)/([\w-]+)'?", text)):
        assert name in document["components"][kind], name
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_scripts_accept_yaml_and_refusals_list_every_problem() -> None:
    document = yaml.safe_load(openapi_yaml())
    validate = document["paths"]["/chatbot/scripts/validate"]["post"]
    assert set(validate["requestBody"]["content"]) == {"application/json", "application/yaml"}
    assert validate["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Validation")
    kinds = document["components"]["schemas"]["Step"]["properties"]["type"]["enum"]
    assert "free_input_multi" in kinds and "forward_operator" in kinds
