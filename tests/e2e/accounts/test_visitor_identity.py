"""Verified visitors over the real fleet: a site's signed identity (docs/client.md) is one account
on every device; forged, other-channel, expired, replayed and malformed tokens are each refused
with their code; a device id alone never reaches a verified account; secrets rotate."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import jwt

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.accounts.conftest import new_channel
from tests.e2e.gateway_fleet import bearer, connect, login, post

DOCS = Path(__file__).resolve().parents[3] / "docs" / "client.md"
Signer = Callable[[str, str, str, str, str], str]


def documented_signer() -> Signer:
    """The Python snippet of docs/client.md, run as written: a site copying it gets what this tests."""
    text = DOCS.read_text()
    found = re.search(r"<!-- identity-snippet-python -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/client.md lost its Python identity snippet"
    scope: dict[str, Any] = {}
    exec(compile(found.group(1), str(DOCS), "exec"), scope)  # noqa: S102 - our own documentation
    signer: Signer = scope["parley_identity"]
    return signer


async def _secret(session: aiohttp.ClientSession, fleet: Fleet, admin: str, channel_id: str) -> dict[str, Any]:
    url = f"{fleet.url('auth')}/auth/channels/{channel_id}/identity-secrets"
    status, created = await post(session, url, {}, **bearer(admin))
    assert status == 201, created
    return created


async def _login(session: aiohttp.ClientSession, fleet: Fleet, **body: str) -> tuple[int, dict[str, Any]]:
    return await post(session, f"{fleet.url('auth')}/auth/login", body)


def _device() -> str:
    return f"device-{uuid.uuid4().hex}"


async def test_a_verified_customer_is_one_account_with_one_history_on_two_devices(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str, infra: Infra, mongo: Any
) -> None:
    sign = documented_signer()
    channel_id = await new_channel(session, fleet, admin)
    secret = await _secret(session, fleet, admin, channel_id)
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    laptop_device, phone_device = _device(), _device()

    identity = sign(secret["id"], secret["secret"], customer, "Ada Lovelace", "ada@example.com")
    laptop = await login(session, fleet, device_id=laptop_device, channel_id=channel_id, identity=identity)
    identity = sign(secret["id"], secret["secret"], customer, "Ada Lovelace", "ada@example.com")
    phone = await login(session, fleet, device_id=phone_device, channel_id=channel_id, identity=identity)
    assert laptop["uid"] == phone["uid"] and laptop["uname"] == "Ada Lovelace"
    # Found by the site's id (what erase and export requests look accounts up by).
    account = await mongo[infra.mongo_db]["users"].find_one({"external_id": customer, "channel_id": channel_id})
    assert account is not None and account["_id"] == laptop["uid"]
    assert (account["email"], account["verified"]) == ("ada@example.com", True)
    async with session.patch(
        f"{fleet.url('auth')}/auth/me", json={"email": "eve@example.com"}, headers=bearer(phone["token"])
    ) as response:
        assert response.status == 400  # the site's word, not the visitor's

    widget, _ = await connect(session, fleet.url("gateway"), laptop["token"])  # still valid: not replaced by the phone
    opened = await widget.request("session.open", {"channel_id": channel_id})
    conversation_id = opened["data"]["conversation_id"]
    body = {"conversation_id": conversation_id, "client_msg_id": "m1", "kind": "text", "body": "my order is late"}
    sent = await widget.request("message.send", body)
    assert sent["type"] == "message.accepted", sent
    await widget.close()

    other, _ = await connect(session, fleet.url("gateway"), phone["token"])
    reopened = await other.request("session.open", {"channel_id": channel_id})
    assert reopened["data"]["conversation_id"] == conversation_id and not reopened["data"]["temporary"]
    await other.close()
    async with session.get(
        f"{fleet.url('chat_session')}/conversations/{conversation_id}/messages", headers=bearer(phone["token"])
    ) as response:
        page = await response.json()
    assert response.status == 200 and [m["body"] for m in page["messages"]] == ["my order is late"]
    async with session.get(
        f"{fleet.url('chat_session')}/conversations/{conversation_id}", headers=bearer(admin)
    ) as response:
        detail = await response.json()
    assert detail["visitor_verified"] is True and detail["visitor_name"] == "Ada Lovelace"

    # The same laptop without the signed identity is an anonymous visitor: nothing of Ada's.
    anonymous = await login(session, fleet, device_id=laptop_device)
    assert anonymous["uid"] != laptop["uid"]
    async with session.get(
        f"{fleet.url('chat_session')}/conversations/{conversation_id}/messages", headers=bearer(anonymous["token"])
    ) as response:
        assert response.status == 403
    stranger, _ = await connect(session, fleet.url("gateway"), anonymous["token"])
    theirs = await stranger.request("session.open", {"channel_id": channel_id})
    assert theirs["data"]["conversation_id"] != conversation_id and theirs["data"]["temporary"]
    await stranger.close()


async def test_each_bad_identity_is_refused_with_its_code(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    sign = documented_signer()
    channel_id, other_channel = await new_channel(session, fleet, admin), await new_channel(session, fleet, admin)
    secret, other_secret = (
        await _secret(session, fleet, admin, channel_id),
        await _secret(session, fleet, admin, other_channel),
    )
    now = int(time.time())

    def token(claims: dict[str, Any], key: str = secret["secret"], kid: str = secret["id"]) -> str:
        base = {"sub": "c-1", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
        return jwt.encode({**base, **claims}, key, algorithm="HS256", headers={"kid": kid})

    async def refusal(identity: str) -> tuple[int, int]:
        status, answer = await _login(session, fleet, device_id=_device(), channel_id=channel_id, identity=identity)
        return status, answer["error"]["code"]

    assert await refusal(token({}, key="not-the-secret-" + "x" * 32)) == (401, 7101)  # forged
    assert await refusal(token({}, kid="is_unknown")) == (401, 7101)
    other = sign(other_secret["id"], other_secret["secret"], "c-1", "Eve", "eve@example.com")
    assert await refusal(other) == (401, 7102)  # signed for another channel
    assert await refusal(token({"iat": now - 500, "exp": now - 200})) == (401, 7103)  # expired
    once = sign(secret["id"], secret["secret"], "c-1", "Ada", "ada@example.com")
    status, _ = await _login(session, fleet, device_id=_device(), channel_id=channel_id, identity=once)
    assert status == 200
    assert await refusal(once) == (401, 7104)  # replayed
    assert await refusal("not.a.jwt") == (400, 7105)  # malformed
    assert await refusal(token({"exp": now + 3600})) == (400, 7105)  # lifetime over the bound
    assert await refusal(token({"attributes": {"$where": "1"}})) == (400, 7105)  # an operator as a field name
    none_alg = jwt.encode({"sub": "c-1", "iat": now, "exp": now + 60, "jti": "j"}, None, algorithm="none")
    assert await refusal(none_alg) == (400, 7105)


async def test_secrets_rotate_two_at_a_time_are_never_shown_again_and_only_admins_manage_them(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    sign = documented_signer()
    channel_id = await new_channel(session, fleet, admin)
    url = f"{fleet.url('auth')}/auth/channels/{channel_id}/identity-secrets"
    old, new = await _secret(session, fleet, admin, channel_id), await _secret(session, fleet, admin, channel_id)
    status, third = await post(session, url, {}, **bearer(admin))
    assert (status, third["error"]["code"]) == (400, 9105)
    for current in (old, new):  # both verify during the rotation
        identity = sign(current["id"], current["secret"], "c-9", "Bo", "bo@example.com")
        status, _ = await _login(session, fleet, device_id=_device(), channel_id=channel_id, identity=identity)
        assert status == 200
    async with session.get(url, headers=bearer(admin)) as response:
        listed = await response.json()
    assert [s["id"] for s in listed["secrets"]] == [old["id"], new["id"]]
    assert old["secret"] not in str(listed) and new["secret"] not in str(listed)

    async with session.delete(f"{url}/{old['id']}", headers=bearer(admin)) as response:
        assert response.status == 204
    identity = sign(old["id"], old["secret"], "c-9", "Bo", "bo@example.com")
    status, answer = await _login(session, fleet, device_id=_device(), channel_id=channel_id, identity=identity)
    assert (status, answer["error"]["code"]) == (401, 7101)

    visitor = await login(session, fleet, device_id=_device())
    for headers, expected in (({}, (401, 9004)), (bearer(visitor["token"]), (403, 9101))):
        async with session.post(url, json={}, headers=headers) as response:
            assert (response.status, (await response.json())["error"]["code"]) == expected
        async with session.get(url, headers=headers) as response:
            assert response.status == expected[0]
    async with session.get(
        f"{fleet.url('auth')}/auth/channels/$where/identity-secrets", headers=bearer(admin)
    ) as response:
        assert (response.status, (await response.json())["error"]["code"]) == (400, 9105)
    async with session.delete(f"{url}/is_nothing", headers=bearer(admin)) as response:
        assert response.status == 400
