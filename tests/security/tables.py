"""Every service's HTTP endpoint table (parley.http_api), in one place: the security tests that are
generated from the tables (access, revoked tokens, fuzz) all read this registry, so a service or an
endpoint added to a table is attacked by all of them without editing any test."""

from __future__ import annotations

import re

from parley.http_api import Endpoint
from parley_auth.endpoints import ENDPOINTS as AUTH_ENDPOINTS
from parley_chat_session.http.endpoints import ENDPOINTS as CHAT_SESSION_ENDPOINTS
from parley_chatbot_engine.api import ENDPOINTS as CHATBOT_ENDPOINTS
from parley_gateway.http_endpoints import ENDPOINTS as GATEWAY_ENDPOINTS
from parley_integrations.api import ENDPOINTS as INTEGRATIONS_ENDPOINTS
from parley_notification.push_api import ENDPOINTS as NOTIFICATION_ENDPOINTS

# Service name (as parley_fleet.Fleet.url knows it) -> the endpoints it serves.
TABLES: dict[str, list[Endpoint]] = {
    "auth": AUTH_ENDPOINTS,
    "chat_session": CHAT_SESSION_ENDPOINTS,
    "chatbot_engine": CHATBOT_ENDPOINTS,
    "notification": NOTIFICATION_ENDPOINTS,
    "integrations": INTEGRATIONS_ENDPOINTS,
    "gateway": GATEWAY_ENDPOINTS,
}


def all_endpoints() -> list[tuple[str, Endpoint]]:
    """(service, endpoint) of every endpoint of every table."""
    return [(service, endpoint) for service, table in TABLES.items() for endpoint in table]


def token_endpoints() -> list[tuple[str, Endpoint]]:
    """(service, endpoint) of every endpoint that needs a bearer token."""
    return [(service, endpoint) for service, endpoint in all_endpoints() if endpoint.access.roles is not None]


def path_parameters(endpoint: Endpoint) -> list[str]:
    return re.findall(r"{(\w+)}", endpoint.documented_path)


def filled_path(endpoint: Endpoint, values: dict[str, str], default: str) -> str:
    """The endpoint's path with each ``{parameter}`` replaced by ``values[parameter]``, else ``default``."""
    return re.sub(r"{(\w+)}", lambda match: values.get(match.group(1), default), endpoint.documented_path)


def case_id(service: str, endpoint: Endpoint) -> str:
    """A readable pytest id: ``auth POST /auth/users``."""
    return f"{service} {endpoint.method} {endpoint.path}"
