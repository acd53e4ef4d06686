"""Attacks on auth: locking a staff account out with wrong passwords (issue 16, finding 9), and
malformed refresh tokens (finding 12: a non-ASCII digit or MAC answered 500, or was taken for
the genuine token). Every refusal must be the documented error body."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.gateway_fleet import post
from tests.kit.fleet import fleet_for
from tests.kit.seeding import Seeder

ATTACKER_64 = "2001:db8:66:1::"  # the guesser's IPv6 /64
OWNER_ELSEWHERE = "198.51.100.23"
PAIR_BURST = 3
ADDRESS_BURST = 12


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(
        infra,
        "auth-attacks",
        PARLEY_AUTH_LOGIN_ACCOUNT_BURST=str(PAIR_BURST),
        PARLEY_AUTH_LOGIN_ACCOUNT_PER_MINUTE="1",
        PARLEY_AUTH_LOGIN_ADDRESS_BURST=str(ADDRESS_BURST),
        PARLEY_AUTH_LOGIN_ADDRESS_PER_MINUTE="1",
        # The tests speak from several addresses through X-Forwarded-For (one trusted proxy).
        PARLEY_AUTH_TRUSTED_PROXY_HOPS="1",
    ) as running:
        yield running


def _from(address: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers={"X-Forwarded-For": address})


async def _operator(fleet: Fleet) -> tuple[str, str]:
    async with _from("192.0.2.10") as session:
        seed = await Seeder.signed_in(session, fleet)
        owner = await seed.staff(name="Owen", password="the-owners-password")
    return owner.username, owner.password


def _refused(status: int, answer: dict[str, Any], expected_status: int, expected_code: int) -> bool:
    return (
        status == expected_status
        and answer.get("error", {}).get("code") == expected_code
        and answer["error"]["message"]
    )


async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(fleet: Fleet) -> None:
    """The guesser moves through the addresses of its IPv6 /64 (a fresh one per request), which
    count as one address; the owner, elsewhere, still logs in."""
    username, password = await _operator(fleet)
    login_url = f"{fleet.url('auth')}/auth/login"
    addresses = (f"{ATTACKER_64}{host:x}" for host in itertools.count(1))
    answers = []
    for n in range(PAIR_BURST + 2):
        async with _from(next(addresses)) as attacker:
            answers.append(await post(attacker, login_url, {"username": username, "password": f"guess-{n}"}))
    assert [status for status, _ in answers] == [401] * PAIR_BURST + [429, 429]
    assert _refused(*answers[-1], 429, 9003)
    async with (
        _from(next(addresses)) as attacker,
        attacker.post(login_url, json={"username": username, "password": password}) as response,
    ):
        # The guesser is slowed down: even the right password waits its turn from there.
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
    async with _from(OWNER_ELSEWHERE) as owner:
        status, answer = await post(owner, login_url, {"username": username, "password": password})
    assert status == 200, answer  # the account was never locked
    spread = []
    for n in range(ADDRESS_BURST):  # nor does moving on to other accounts escape the address's limit
        async with _from(next(addresses)) as attacker:
            spread.append(await post(attacker, login_url, {"username": f"someone-{n}", "password": "Summer2026!"}))
    assert 429 in [status for status, _ in spread]
    assert "from this address" in spread[-1][1]["error"]["message"]


async def _refresh_token(fleet: Fleet) -> str:
    async with _from("192.0.2.11") as session:
        status, visitor = await post(
            session, f"{fleet.url('auth')}/auth/login", {"device_id": f"device-{uuid.uuid4().hex}"}
        )
    assert status == 200, visitor
    return visitor["refresh_token"]


def _forgeries(token: str) -> list[str]:
    code, generation, mac = token.split(".")
    return [
        f"{code}.\u0660.{mac}",  # Arabic-Indic zero: int() reads it as 0
        f"{code}.\uff10.{mac}",  # fullwidth zero
        f"{code}.\u00b2.{mac}",  # superscript two: isdigit() says yes, int() says no
        f"{code}.{generation}.{mac[:-1]}\u00e9",  # a MAC with a non-ASCII letter
        f"{code}.{generation}.{mac}\u0660",
        f"{code}\u200b.{generation}.{mac}",
        f"{code}.{'9' * 400}.{mac}",
        f"{code}.-1.{mac}",
        f"{code}.{generation}.{mac}.extra",
        "\x00.0.\x00",
        "..",
        "\ud83d\ude00.0.x",
    ]


async def test_malformed_refresh_tokens_are_refused_as_invalid_tokens(fleet: Fleet) -> None:
    token = await _refresh_token(fleet)
    async with _from("192.0.2.12") as session:
        for forged in _forgeries(token):
            status, answer = await post(session, f"{fleet.url('auth')}/auth/refresh", {"refresh_token": forged})
            assert _refused(status, answer, 401, 7001), (forged, status, answer)
            status, answer = await post(session, f"{fleet.url('auth')}/auth/logout", {"refresh_token": forged})
            assert _refused(status, answer, 401, 7001), (forged, status, answer)
        # The genuine token still works: none of the forgeries spent or revoked it.
        status, answer = await post(session, f"{fleet.url('auth')}/auth/refresh", {"refresh_token": token})
    assert status == 200, answer
