"""The pure rules of verified identities and per-channel origins: what an identity token must be
to be read (auth's IdentityVerifier), who may log in with one, and which page may open a channel."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from parley.contracts.errors import ErrorCode, ParleyError
from parley_auth.identity import MAX_IDENTITY_LIFETIME_SECONDS, IdentityVerifier
from parley_auth.schemas import LoginRequest
from parley_chat_session.access import require_allowed_origin
from tests.kit.chat_documents import stored_channel

SECRET = "s" * 43


def _token(key: str = SECRET, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "cust-1", "iat": now, "exp": now + 60, "jti": "j-1", **claims}
    return jwt.encode(payload, key, algorithm="HS256", headers={"kid": "is_1"})


def _refusal(token: str) -> ErrorCode:
    with pytest.raises(ParleyError) as refused:
        IdentityVerifier._decoded(token, SECRET)
    return refused.value.code


def test_a_well_signed_token_gives_the_customer() -> None:
    claims = IdentityVerifier._decoded(_token(name="Ada", attributes={"plan": "pro", "seats": 3}), SECRET)
    assert (claims.sub, claims.name, claims.attributes) == ("cust-1", "Ada", {"plan": "pro", "seats": 3})


# Each token is made when its test runs, not at collection: the suite may reach these tests
# minutes after collecting them (make test's tiers), and a token of 60 s would have expired.
@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda: _token(key="another-secret-" + "x" * 30), ErrorCode.IDENTITY_FORGED),
        (lambda: _token(iat=int(time.time()) - 500, exp=int(time.time()) - 100), ErrorCode.IDENTITY_EXPIRED),
        (lambda: _token(exp=int(time.time()) + MAX_IDENTITY_LIFETIME_SECONDS + 60), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(attributes={"$where": "1"}), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(attributes={"a.b": "1"}), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(attributes={"nested": {"x": 1}}), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(sub=""), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(email="not an address"), ErrorCode.IDENTITY_MALFORMED),
        (lambda: _token(iat="yesterday"), ErrorCode.IDENTITY_MALFORMED),
    ],
    ids=["forged", "expired", "too_long", "dollar_key", "dotted_key", "nested", "no_sub", "bad_email", "bad_iat"],
)
def test_each_bad_token_is_refused_with_its_code(make_token: Callable[[], str], code: ErrorCode) -> None:
    assert _refusal(make_token()) == code


def test_a_token_without_its_jti_is_malformed() -> None:
    now = int(time.time())
    token = jwt.encode({"sub": "c", "iat": now, "exp": now + 60}, SECRET, algorithm="HS256")
    assert _refusal(token) == ErrorCode.IDENTITY_MALFORMED


@pytest.mark.parametrize(
    "body",
    [
        {"identity": "t", "channel_id": "ch_1"},  # no device id
        {"device_id": "device-123", "identity": "t"},  # no channel
        {"device_id": "device-123", "channel_id": "ch_1"},  # a channel without an identity
        {"device_id": "device-123", "identity": "t", "channel_id": "$where"},
    ],
)
def test_an_identity_login_names_its_device_and_channel(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        LoginRequest.model_validate(body)


def test_a_page_opens_a_channel_only_from_a_listed_origin() -> None:
    listed = stored_channel("ch_1", allowed_origins=["https://shop.example"])
    require_allowed_origin(listed, "https://shop.example")
    require_allowed_origin(listed, None)  # an app
    require_allowed_origin(stored_channel("ch_2", allowed_origins=[]), "https://elsewhere.example")
    with pytest.raises(ParleyError) as refused:
        require_allowed_origin(listed, "https://elsewhere.example")
    assert refused.value.code == ErrorCode.ORIGIN_NOT_ALLOWED
    with pytest.raises(ParleyError):
        require_allowed_origin(listed, "https://shop.example.evil")
