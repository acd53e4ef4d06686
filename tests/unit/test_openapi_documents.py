"""Each OpenAPI document generated from a service's endpoint table (parley.http_api) is the one
kept in docs/, and documents exactly the routes the service serves."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from parley.http_api import Endpoint
from parley.runtime import Service
from parley_auth import openapi as auth_openapi
from parley_auth.app import build_service as build_auth
from parley_auth.endpoints import ENDPOINTS as AUTH_ENDPOINTS
from parley_auth.settings import AuthSettings
from parley_chat_session.app import build_service as build_chat_session
from parley_chat_session.http import openapi as chat_session_openapi
from parley_chat_session.http.endpoints import ENDPOINTS as CHAT_SESSION_ENDPOINTS
from parley_chat_session.settings import ChatSessionSettings
from parley_chatbot_engine import openapi as chatbot_openapi
from parley_chatbot_engine.api import ENDPOINTS as CHATBOT_ENDPOINTS
from parley_chatbot_engine.api import YAML_TYPES
from parley_chatbot_engine.app import build_service as build_chatbot
from parley_chatbot_engine.settings import ChatbotEngineSettings
from parley_gateway import openapi as gateway_openapi
from parley_gateway.app import build_service as build_gateway
from parley_gateway.http_endpoints import ENDPOINTS as GATEWAY_ENDPOINTS
from parley_gateway.settings import GatewaySettings
from parley_integrations import openapi as integrations_openapi
from parley_integrations.api import ENDPOINTS as INTEGRATIONS_ENDPOINTS
from parley_integrations.app import build_service as build_integrations
from parley_integrations.settings import IntegrationsSettings
from parley_notification import openapi as notification_openapi
from parley_notification.app import build_service as build_notification
from parley_notification.push_api import ENDPOINTS as NOTIFICATION_ENDPOINTS
from parley_notification.push_payload import PushNotice
from parley_notification.settings import NotificationSettings
from parley_notification.subscriptions import RegisterSubscription

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Routes every service serves outside its table: the runtime's probes and metrics.
RUNTIME_ROUTES = {"/healthz", "/readyz", "/metrics"}

SERVICES: dict[str, tuple[str, Callable[[], str], list[Endpoint], Callable[[], Service], set[str]]] = {
    # name: (docs file, generator, table, service factory, routes served outside the table and why)
    "gateway": (
        "gateway-openapi.yaml",
        gateway_openapi.openapi_yaml,
        GATEWAY_ENDPOINTS,
        lambda: build_gateway(GatewaySettings()),
        set(),
    ),
    "auth": ("auth-openapi.yaml", auth_openapi.openapi_yaml, AUTH_ENDPOINTS, lambda: build_auth(AuthSettings()), set()),
    "chat_session": (
        "chat-session-openapi.yaml",
        chat_session_openapi.openapi_yaml,
        CHAT_SESSION_ENDPOINTS,
        lambda: build_chat_session(ChatSessionSettings()),
        set(),
    ),
    "chatbot_engine": (
        "chatbot-openapi.yaml",
        chatbot_openapi.openapi_yaml,
        CHATBOT_ENDPOINTS,
        lambda: build_chatbot(ChatbotEngineSettings()),
        set(),
    ),
    "notification": (
        "notification-openapi.yaml",
        notification_openapi.openapi_yaml,
        NOTIFICATION_ENDPOINTS,
        lambda: build_notification(NotificationSettings()),
        set(),
    ),
    "integrations": (
        "integrations-openapi.yaml",
        integrations_openapi.openapi_yaml,
        INTEGRATIONS_ENDPOINTS,
        lambda: build_integrations(IntegrationsSettings()),
        set(),
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_docs_copy_is_current(name: str) -> None:
    file, generate, _, _, _ = SERVICES[name]
    assert (DOCS / file).read_text() == generate(), (
        f"docs/{file} is stale: regenerate it (see the generator's docstring)"
    )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_route_is_in_the_table_and_documented(name: str) -> None:
    _, generate, table, build, outside = SERVICES[name]
    served = {
        (route.method, route.resource.canonical)
        for route in build().http.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and route.resource.canonical not in RUNTIME_ROUTES | outside
    }
    document = yaml.safe_load(generate())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented == {(endpoint.method, endpoint.documented_path) for endpoint in table}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_reference_resolves_and_every_path_parameter_is_declared(name: str) -> None:
    _, generate, _, _, _ = SERVICES[name]
    text = generate()
    document = yaml.safe_load(text)
    for kind, component in set(re.findall(r"\$ref: '?#/components/(\w+)/([\w-]+)'?", text)):
        assert component in document["components"][kind], (kind, component)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


# ---- what a service's document says beyond its endpoints ------------------------------------------


def test_auth_serves_the_same_document_as_json() -> None:
    assert json.loads(auth_openapi.OPENAPI_JSON) == yaml.safe_load((DOCS / "auth-openapi.yaml").read_text())


def test_auth_documents_when_to_retry_a_refused_login() -> None:
    document = yaml.safe_load(auth_openapi.openapi_yaml())
    assert document["paths"]["/auth/login"]["post"]["responses"]["429"] == {"$ref": "#/components/responses/429"}
    assert "Retry-After" in document["components"]["responses"]["429"]["headers"]


def test_chatbot_scripts_accept_yaml_and_refusals_list_every_problem() -> None:
    document = yaml.safe_load(chatbot_openapi.openapi_yaml())
    validate = document["paths"]["/chatbot/scripts/validate"]["post"]
    assert set(validate["requestBody"]["content"]) == {"application/json", *YAML_TYPES}
    assert validate["responses"]["422"] == {"$ref": "#/components/responses/422"}
    invalid = document["components"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/Validation"} in invalid["allOf"]
    kinds = document["components"]["schemas"]["Step"]["properties"]["type"]["enum"]
    assert "free_input_multi" in kinds and "forward_operator" in kinds


def test_the_push_registration_example_is_accepted() -> None:
    document = yaml.safe_load((DOCS / "notification-openapi.yaml").read_text())
    for example in document["components"]["schemas"]["RegisterSubscription"]["examples"]:
        RegisterSubscription.model_validate(example)


def test_the_push_notice_schema_names_the_payload_fields() -> None:
    document = yaml.safe_load((DOCS / "notification-openapi.yaml").read_text())
    assert set(document["components"]["schemas"]["PushNotice"]["properties"]) == set(PushNotice.model_fields)
