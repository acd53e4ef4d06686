"""Signing keys (ES256), kept in MongoDB so every auth replica signs with the same keys.

Rotation adds a new key and signs with it from then on; older keys stay in the JWKS so tokens
they signed remain valid until they expire: nobody is logged out by a rotation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pymongo.asynchronous.database import AsyncDatabase

from parley.contracts.base import new_id
from parley.tokens import ALGORITHM


class SigningKeys:
    def __init__(self, db: AsyncDatabase) -> None:
        self._collection = db["signing_keys"]
        self._private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._current_kid = ""

    async def load(self) -> None:
        """Load every key; create the first one when there is none."""
        if await self._collection.count_documents({}) == 0:
            await self.rotate()
            return
        await self._reload()

    async def rotate(self) -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        kid = new_id()[:16]
        await self._collection.insert_one({"_id": kid, "private_pem": pem.decode(), "created_at": datetime.now(UTC)})
        await self._reload()
        return kid

    async def _reload(self) -> None:
        private: dict[str, ec.EllipticCurvePrivateKey] = {}
        newest: tuple[datetime, str] | None = None
        async for doc in self._collection.find({}):
            key = serialization.load_pem_private_key(doc["private_pem"].encode(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            private[doc["_id"]] = key
            if newest is None or (doc["created_at"], doc["_id"]) > newest:
                newest = (doc["created_at"], doc["_id"])
        assert newest is not None
        self._private = private
        self._current_kid = newest[1]

    @property
    def current(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        return self._current_kid, self._private[self._current_kid]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in sorted(self._private.items()):
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}
