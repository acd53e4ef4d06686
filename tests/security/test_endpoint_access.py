"""Who may call what, attacked endpoint by endpoint, generated from every service's table
(tests/security/tables.py): each endpoint that needs a token refuses a request without one, a
visitor's or an operator's token when its roles exclude them, an operator of another channel when
its resource rule concerns a channel or a conversation, and a visitor who is not a member of the
conversation when members may call it; each refusal with the documented status and code.

What to expect is derived from each Endpoint's access (its roles and resource check), never kept
by hand per endpoint: the only hand-kept data is which seeded id a path parameter names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from parley.contracts.errors import ErrorCode
from parley.http_api import Endpoint
from parley_fleet import Fleet
from tests.e2e.flows import staff_and_channel, stored_conversation
from tests.kit.client import login
from tests.security.tables import TABLES, case_id, filled_path, path_parameters, token_endpoints
from tests.unit.test_openapi_documents import SERVICES as DOCUMENTED

# A well-formed id that names nothing, for path parameters the seeded fleet has no value for
# (a script, a FAQ entry, a device): every case below is refused before the handler looks it up.
UNKNOWN_ID = "0123456789abcdef01234567"
# Path parameters that name the resource a resource rule is about.
RESOURCE_PARAMETERS = {"channel_id", "conversation_id"}


@dataclass(frozen=True)
class Seeded:
    """Channel 1 served by one operator, a visitor's conversation in it, and outsiders to both."""

    channel_id: str
    conversation_id: str
    operator_token: str  # serves channel 1
    other_operator_token: str  # serves a second channel, not channel 1
    visitor_token: str  # the conversation's visitor
    other_visitor_token: str  # a member of no conversation

    def path_values(self) -> dict[str, str]:
        """Which seeded id each path parameter names."""
        return {"channel_id": self.channel_id, "conversation_id": self.conversation_id}


@pytest.fixture(scope="module")
async def seeded(fleet: Fleet) -> Seeded:
    auth = fleet.url("auth")
    async with aiohttp.ClientSession() as session:
        username, password, channel_id = await staff_and_channel(session, fleet)
        operator = await login(session, auth, username=username, password=password)
        other_username, other_password, _ = await staff_and_channel(session, fleet)
        other_operator = await login(session, auth, username=other_username, password=other_password)
        visitor = await login(session, auth, device_id=f"device-{uuid.uuid4().hex}")
        stranger = await login(session, auth, device_id=f"device-{uuid.uuid4().hex}")
        conversation_id = await stored_conversation(session, fleet, visitor["token"], channel_id)
    return Seeded(
        channel_id=channel_id,
        conversation_id=conversation_id,
        operator_token=operator["token"],
        other_operator_token=other_operator["token"],
        visitor_token=visitor["token"],
        other_visitor_token=stranger["token"],
    )


def _cases(include: Callable[[Endpoint], bool]) -> list[pytest.param]:
    return [
        pytest.param(service, endpoint, id=case_id(service, endpoint))
        for service, endpoint in token_endpoints()
        if include(endpoint)
    ]


def _roles(endpoint: Endpoint) -> frozenset[str]:
    assert endpoint.access.roles is not None
    return endpoint.access.roles


def _resource_rule(endpoint: Endpoint) -> bool:
    """Whether the endpoint's resource check is about the channel or conversation its path names."""
    return endpoint.access.check is not None and bool(RESOURCE_PARAMETERS & set(path_parameters(endpoint)))


async def _refusal(
    fleet: Fleet, service: str, endpoint: Endpoint, seeded: Seeded, token: str | None
) -> tuple[int, dict[str, Any]]:
    """Call the endpoint on the seeded resources (an empty JSON body: access is checked first)."""
    url = fleet.url(service) + filled_path(endpoint, seeded.path_values(), UNKNOWN_ID)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(endpoint.method, url, json={}, headers=headers) as response,
    ):
        text = await response.text()
        assert response.content_type == "application/json", (response.status, text)
        return response.status, json.loads(text)


@pytest.mark.parametrize(("service", "endpoint"), _cases(lambda e: True))
async def test_without_a_token_it_is_refused(fleet: Fleet, seeded: Seeded, service: str, endpoint: Endpoint) -> None:
    status, body = await _refusal(fleet, service, endpoint, seeded, None)
    assert (status, body["error"]["code"]) == (401, ErrorCode.NOT_AUTHENTICATED), body


@pytest.mark.parametrize(("service", "endpoint"), _cases(lambda e: "visitor" not in _roles(e)))
async def test_a_visitor_is_refused_where_the_roles_exclude_visitors(
    fleet: Fleet, seeded: Seeded, service: str, endpoint: Endpoint
) -> None:
    status, body = await _refusal(fleet, service, endpoint, seeded, seeded.visitor_token)
    assert (status, body["error"]["code"]) == (403, ErrorCode.NOT_A_MEMBER), body


@pytest.mark.parametrize(("service", "endpoint"), _cases(lambda e: "operator" not in _roles(e)))
async def test_an_operator_is_refused_where_the_roles_exclude_operators(
    fleet: Fleet, seeded: Seeded, service: str, endpoint: Endpoint
) -> None:
    # The operator of the very channel the path names: the role alone refuses them.
    status, body = await _refusal(fleet, service, endpoint, seeded, seeded.operator_token)
    assert (status, body["error"]["code"]) == (403, ErrorCode.NOT_A_MEMBER), body


@pytest.mark.parametrize(("service", "endpoint"), _cases(lambda e: "operator" in _roles(e) and _resource_rule(e)))
async def test_an_operator_of_another_channel_is_refused(
    fleet: Fleet, seeded: Seeded, service: str, endpoint: Endpoint
) -> None:
    status, body = await _refusal(fleet, service, endpoint, seeded, seeded.other_operator_token)
    assert (status, body["error"]["code"]) == (403, ErrorCode.NOT_A_MEMBER), body


@pytest.mark.parametrize(
    ("service", "endpoint"),
    _cases(lambda e: "visitor" in _roles(e) and _resource_rule(e) and "conversation_id" in path_parameters(e)),
)
async def test_a_visitor_not_in_the_conversation_is_refused(
    fleet: Fleet, seeded: Seeded, service: str, endpoint: Endpoint
) -> None:
    status, body = await _refusal(fleet, service, endpoint, seeded, seeded.other_visitor_token)
    assert (status, body["error"]["code"]) == (403, ErrorCode.NOT_A_MEMBER), body


def test_every_service_with_a_documented_table_is_attacked() -> None:
    """The generic OpenAPI test knows each service's table too: one left out of this tier's
    registry would be documented but never attacked."""
    assert {name: table for name, (_, _, table, _, _) in DOCUMENTED.items()} == TABLES
