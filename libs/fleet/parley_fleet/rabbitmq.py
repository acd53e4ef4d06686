"""RabbitMQ vhosts through the management API, so each test run gets a bus of its own."""

from __future__ import annotations

import base64
from urllib.parse import quote, unquote, urlsplit

import aiohttp


def _split(management_url: str) -> tuple[str, dict[str, str]]:
    """The API's base URL and the basic-auth header of the credentials in the URL."""
    parts = urlsplit(management_url)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    credentials = f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
    return base, {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


async def create_vhost(management_url: str, vhost: str, user: str = "guest") -> None:
    base, headers = _split(management_url)
    name = quote(vhost, safe="")
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.put(f"{base}/api/vhosts/{name}") as response:
            response.raise_for_status()
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        async with session.put(f"{base}/api/permissions/{name}/{quote(user, safe='')}", json=permissions) as response:
            response.raise_for_status()


async def delete_vhost(management_url: str, vhost: str) -> None:
    base, headers = _split(management_url)
    async with (
        aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.delete(f"{base}/api/vhosts/{quote(vhost, safe='')}") as response,
    ):
        if response.status not in (204, 404):
            response.raise_for_status()


async def queues(management_url: str, vhost: str) -> dict[str, dict[str, object]]:
    """The vhost's queues as the management API describes them (type, arguments, counts), by name."""
    base, headers = _split(management_url)
    async with (
        aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{base}/api/queues/{quote(vhost, safe='')}") as response,
    ):
        response.raise_for_status()
        return {queue["name"]: queue for queue in await response.json()}
