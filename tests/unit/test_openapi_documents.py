"""Each OpenAPI document generated from a service's endpoint table (parley.http_api) is the one
kept in docs/, and documents exactly the routes the service serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from parley.http_api import Endpoint
from parley.runtime import Service
from parley_gateway import openapi as gateway_openapi
from parley_gateway.app import build_service as build_gateway
from parley_gateway.maintenance import ENDPOINTS as GATEWAY_ENDPOINTS
from parley_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit
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
        # the WebSocket (docs/protocol.md) and the static widget and console files
        {"/ws", "/widget.js", "/widget/{path}", "/console", "/console/", "/console/{path}"},
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_docs_copy_is_current(name: str) -> None:
    file, generate, _, _, _ = SERVICES[name]
    assert (DOCS / file).read_text() == generate(), f"docs/{file} is stale: regenerate it (see the generator's docstring)"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_route_is_in_the_table_and_documented(name: str) -> None:
    _, generate, table, build, outside = SERVICES[name]
    served = {
        (route.method, route.resource.canonical)
        for route in build().http.router.routes()
        if route.method != "HEAD" and route.resource is not None and route.resource.canonical not in RUNTIME_ROUTES | outside
    }
    document = yaml.safe_load(generate())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented == {(endpoint.method, endpoint.path) for endpoint in table}
