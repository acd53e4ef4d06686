"""A logged-out token is refused by every service's HTTP API, not only by auth and the gateway.

The endpoints come from the services' own tables (tests/security/tables.py), so an endpoint added
later is attacked too.
"""

from __future__ import annotations

import aiohttp
import pytest

from parley.contracts.errors import ErrorCode
from parley_fleet import Fleet
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.kit.client import login
from tests.security.tables import filled_path, token_endpoints

# A well-formed id that names nothing: the token is refused before any resource is looked up.
UNKNOWN_ID = "0123456789abcdef01234567"


def _protected_endpoints() -> list[tuple[str, str, str]]:
    """(service, method, path) of every endpoint that needs a token."""
    return [(service, e.method, filled_path(e, {}, UNKNOWN_ID)) for service, e in token_endpoints()]


@pytest.fixture(scope="module")
async def revoked_admin_token(fleet: Fleet) -> str:
    """An admin's token that worked, then was logged out."""
    async with aiohttp.ClientSession() as session:
        token = (await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD))["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(f"{fleet.url('chat_session')}/channels", headers=headers) as response:
            assert response.status == 200, await response.text()
        async with session.post(f"{fleet.url('auth')}/auth/logout", headers=headers) as response:
            assert response.status in (200, 204), await response.text()
    return token


@pytest.mark.parametrize(("service", "method", "path"), _protected_endpoints(), ids=lambda value: str(value))
async def test_a_logged_out_token_is_refused_everywhere(
    fleet: Fleet, revoked_admin_token: str, service: str, method: str, path: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, fleet.url(service) + path, json={}, headers={"Authorization": f"Bearer {revoked_admin_token}"}
        ) as response,
    ):
        body = await response.json()
    assert response.status == 401, (service, method, path, body)
    assert body["error"]["code"] == ErrorCode.TOKEN_INVALID, body
    assert "revoked" in body["error"]["message"], body
