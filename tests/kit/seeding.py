"""What a test needs to exist before it starts (staff accounts, channels), made by the run's
admin through the public HTTP APIs, exactly as an administrator would: the one seeder of the
suites. A test of those APIs themselves calls them directly instead."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from parley_fleet import Fleet
from tests.kit.client import login
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME

STAFF_PASSWORD = "operator-password-1"


@dataclass(frozen=True)
class Staff:
    uid: str
    username: str
    password: str
    name: str


class Seeder:
    """Seeds through ``fleet``: its services' own URLs, or one URL (an edge routing to them all)."""

    def __init__(self, session: aiohttp.ClientSession, fleet: Fleet | str, admin_token: str) -> None:
        self.session = session
        self.fleet = fleet
        self.admin_token = admin_token

    def url(self, service: str) -> str:
        return self.fleet if isinstance(self.fleet, str) else self.fleet.url(service)

    @classmethod
    async def signed_in(cls, session: aiohttp.ClientSession, fleet: Fleet) -> Seeder:
        """The seeder of ``fleet``, its admin signed in on ``session``."""
        admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        return cls(session, fleet, admin["token"])

    async def staff(
        self, role: str = "operator", name: str = "Olivia Operator", *, password: str = STAFF_PASSWORD
    ) -> Staff:
        """A new staff account with a unique username."""
        username = f"{role[:2]}-{uuid.uuid4().hex[:8]}"
        body = {"username": username, "password": password, "role": role, "name": name}
        created = await self._post("auth", "/auth/users", body)
        return Staff(str(created["uid"]), username, password, name)

    async def channel(self, operator_ids: list[str] | tuple[str, ...] = (), **fields: Any) -> str:
        """A new channel (named "Support" unless ``fields`` say otherwise) served by these operators; its id."""
        body = {"name": "Support", "operator_ids": list(operator_ids), **fields}
        return str((await self._post("chat_session", "/channels", body))["id"])

    async def _post(self, service: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        async with self.session.post(f"{self.url(service)}{path}", json=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 201, (path, response.status, answer)
        return answer
