from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from parley.contracts.errors import ErrorCode, ParleyError
from parley.tokens import ALGORITHM, AUDIENCE, ISSUER, KeySet, UnknownKeyId


def _key_set(kid: str) -> tuple[ec.EllipticCurvePrivateKey, KeySet]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": kid, "alg": ALGORITHM}
    return key, KeySet({"keys": [jwk]})


def _token(key: ec.EllipticCurvePrivateKey, kid: str, **overrides: object) -> str:
    now = int(time.time())
    claims = {
        "sub": "u1",
        "role": "visitor",
        "sid": "s",
        "iat": now,
        "exp": now + 60,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": "j",
    }
    return jwt.encode({**claims, **overrides}, key, algorithm=ALGORITHM, headers={"kid": kid})


def test_valid_token_yields_its_claims() -> None:
    key, keys = _key_set("k1")
    assert keys.verify(_token(key, "k1")).sub == "u1"


@pytest.mark.parametrize(
    "overrides",
    [{"exp": int(time.time()) - 5}, {"aud": "someone-else"}, {"iss": "not-auth"}],
)
def test_expired_or_foreign_tokens_are_invalid(overrides: dict[str, object]) -> None:
    key, keys = _key_set("k1")
    with pytest.raises(ParleyError) as refused:
        keys.verify(_token(key, "k1", **overrides))
    assert refused.value.code == ErrorCode.TOKEN_INVALID


def test_a_token_signed_by_another_key_is_invalid() -> None:
    _, keys = _key_set("k1")
    forger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ParleyError):
        keys.verify(_token(forger, "k1"))


def test_unknown_kid_asks_for_a_refresh() -> None:
    key, keys = _key_set("k1")
    with pytest.raises(UnknownKeyId):
        keys.verify(_token(key, "k2"))


def test_garbage_is_invalid() -> None:
    _, keys = _key_set("k1")
    with pytest.raises(ParleyError):
        keys.verify("not.a.token")
