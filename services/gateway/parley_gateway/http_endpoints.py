"""Every HTTP endpoint of the gateway, in one table (parley.http_api): the WebSocket, the browser
files and the admin API. docs/gateway-openapi.yaml is generated from it; the protocol spoken on
the WebSocket is docs/protocol.md."""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from parley.http_api import PUBLIC, Call, Endpoint, roles
from parley_gateway.maintenance import MaintenanceState, MaintenanceSwitch
from parley_gateway.websocket import WebSocketEndpoint


class WebSocketRoute:
    """``/ws`` as an endpoint of the table: the client authenticates in its first frame."""

    def __init__(self, endpoint: WebSocketEndpoint) -> None:
        self.endpoint = endpoint

    def websocket(self, call: Call) -> Awaitable[web.StreamResponse]:
        # The endpoint's coroutine itself, not awaited in one of this method: a frame less held
        # for each socket's whole life (libs/parley/parley/http.py, cors).
        return self.endpoint(call.request)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/ws",
        "websocket",
        "The client protocol's WebSocket",
        PUBLIC,
        tag="client",
        extra_statuses=(400, 403, 429, 503),
        description="Upgrade to a WebSocket, then send an `auth` frame first (docs/protocol.md). 400: not a "
        "WebSocket upgrade; 403: a browser Origin not allowed; 429: too many sockets from this address; 503: "
        "this node is restarting, connect to another.",
    ),
    Endpoint(
        "GET",
        "/widget.js",
        "widget",
        "The embeddable widget with its JS client, in one file",
        PUBLIC,
        tag="browser files",
        content_type="text/javascript",
    ),
    Endpoint(
        "GET",
        "/widget/{path:.+}",
        "widget_file",
        "A file of the widget or the JS client",
        PUBLIC,
        tag="browser files",
        content_type="application/octet-stream",
    ),
    Endpoint(
        "GET", "/console", "console_page", "The operator console", PUBLIC, tag="browser files", content_type="text/html"
    ),
    Endpoint(
        "GET",
        "/console/",
        "console_page",
        "The operator console",
        PUBLIC,
        tag="browser files",
        content_type="text/html",
    ),
    Endpoint(
        "GET",
        "/console/{path:.+}",
        "console_file",
        "A file of the operator console",
        PUBLIC,
        tag="browser files",
        content_type="application/octet-stream",
    ),
    Endpoint(
        "GET",
        "/admin/maintenance",
        "get_maintenance",
        "Whether maintenance mode is on, and its message",
        roles("admin"),
        tag="admin",
        response=MaintenanceState,
    ),
    Endpoint(
        "PUT",
        "/admin/maintenance",
        "switch_maintenance",
        "Switch maintenance mode on every gateway node",
        roles("admin"),
        tag="admin",
        body=MaintenanceSwitch,
        response=MaintenanceState,
    ),
]
