"""The verifier every service uses: auth's key set served over real HTTP, the revocation list in
the real Redis. A retired key stops being trusted; a revoked session is refused."""

from __future__ import annotations

import asyncio

import pytest

from parley.contracts.errors import ErrorCode, ParleyError
from parley.revocations import RevocationList
from parley.tokens import Claims, JwksVerifier
from tests.integration.key_service import KeyService

# The verifier under test refreshes a key set older than this; short, so the test need not wait a minute.
MAX_AGE_SECONDS = 0.2


async def test_a_key_auth_retired_is_no_longer_trusted(
    keys: tuple[KeyService, str], revocations: RevocationList
) -> None:
    service, url = keys
    service.add_key("old")
    verifier = JwksVerifier(url, revocations, max_age_seconds=MAX_AGE_SECONDS, min_refresh_interval_seconds=0)
    try:
        assert (await verifier.verify(service.token("old"))).sub == "u1"
        service.add_key("new")
        service.published.remove("old")  # auth retired it: every token it signed has expired
        await asyncio.sleep(MAX_AGE_SECONDS * 2)
        with pytest.raises(ParleyError) as refused:
            await verifier.verify(service.token("old"))
        assert refused.value.code == ErrorCode.TOKEN_INVALID
        assert (await verifier.verify(service.token("new"))).sub == "u1"
    finally:
        await verifier.close()


async def test_a_fresh_key_set_is_not_fetched_again(keys: tuple[KeyService, str], revocations: RevocationList) -> None:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)  # the default lifetime: a minute
    try:
        for _ in range(5):
            await verifier.verify(service.token("k1"))
        assert service.fetches == 1
    finally:
        await verifier.close()


async def test_a_revoked_session_is_refused(keys: tuple[KeyService, str], revocations: RevocationList) -> None:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)
    try:
        await verifier.verify(service.token("k1", session="s-live"))
        await revocations.revoke("s-live", 60, "logout")
        with pytest.raises(ParleyError) as refused:
            await verifier.verify(service.token("k1", session="s-live"))
        assert refused.value.code == ErrorCode.TOKEN_INVALID
        assert "revoked" in refused.value.message
        # The signature alone is still good: the gateway checks revocation as a step of its own.
        assert (await verifier.verify_signature(service.token("k1", session="s-live"))).sid == "s-live"
    finally:
        await verifier.close()


async def test_a_verified_token_is_not_checked_again_until_it_expires(
    keys: tuple[KeyService, str], revocations: RevocationList, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)
    checks = 0
    check = verifier._keys.verify

    def counted(token: str) -> Claims:
        nonlocal checks
        checks += 1
        return check(token)

    monkeypatch.setattr(verifier._keys, "verify", counted)
    try:
        token = service.token("k1", session="s-cached")
        for _ in range(3):
            assert (await verifier.verify(token)).sid == "s-cached"
        assert checks == 1  # the signature was checked once
        await revocations.revoke("s-cached", 60, "logout")
        with pytest.raises(ParleyError) as refused:  # the revocation list is read every time
            await verifier.verify(token)
        assert "revoked" in refused.value.message
        short = service.token("k1", session="s-short", ttl_seconds=2)
        assert (await verifier.verify(short)).sid == "s-short"
        await asyncio.sleep(2.5)
        with pytest.raises(ParleyError) as refused:  # the cached verdict does not outlive the token
            await verifier.verify(short)
        assert refused.value.code == ErrorCode.TOKEN_INVALID and "expired" in refused.value.message
        assert checks == 2
    finally:
        await verifier.close()
