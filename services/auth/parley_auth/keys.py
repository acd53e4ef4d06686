"""Signing keys (ES256), kept in MongoDB so every auth replica signs with the same keys.

Rotation adds a new key that is published in the JWKS at once but signs only from its
``active_from`` (``auth_key_publish_seconds`` later), so every replica and every verifier knows
it before the first token it signed arrives. Older keys stay published until the tokens they
signed have expired, then are retired: nobody is logged out by a rotation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pymongo import DESCENDING

from parley.contracts.base import new_id
from parley.stores import MongoDatabase
from parley.tokens import ALGORITHM, KeySet

# A retired key stays published this much longer than the tokens it signed could live, for
# clocks that disagree by a few seconds.
RETIRE_MARGIN_SECONDS = 60


class SigningKeys:
    def __init__(self, db: MongoDatabase, *, publish_seconds: float, token_ttl_seconds: int) -> None:
        self._collection = db["signing_keys"]
        self._publish = timedelta(seconds=publish_seconds)
        self._token_ttl = timedelta(seconds=token_ttl_seconds + RETIRE_MARGIN_SECONDS)
        self._keys: list[tuple[datetime, str, ec.EllipticCurvePrivateKey]] = []  # newest first
        self.public = KeySet()  # verifies the tokens auth itself is shown (admin calls, logout)

    async def load(self) -> None:
        """Load every key; create the first one (active at once) when there is none."""
        if await self._collection.count_documents({}) == 0:
            await self._insert(active_from=datetime.now(UTC))
        await self.reload()

    async def rotate(self) -> dict[str, Any]:
        """Add a key that signs from ``active_from`` on, and retire keys nothing valid was signed with."""
        now = datetime.now(UTC)
        kid = await self._insert(active_from=now + self._publish)
        await self._retire(now)
        await self.reload()
        active_from = next(when for when, key_id, _ in self._keys if key_id == kid)
        return {"kid": kid, "active_from": active_from.isoformat()}

    async def _insert(self, active_from: datetime) -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        kid = new_id()[:16]
        await self._collection.insert_one(
            {"_id": kid, "private_pem": pem.decode(), "created_at": datetime.now(UTC), "active_from": active_from}
        )
        return kid

    async def _retire(self, now: datetime) -> None:
        """Delete keys replaced by a key that has been signing for longer than a token lives."""
        signing_since = [doc["active_from"] async for doc in self._collection.find({"active_from": {"$lte": now}})]
        if not signing_since:
            return
        newest_active = max(signing_since)
        if now - newest_active > self._token_ttl:
            await self._collection.delete_many({"active_from": {"$lt": newest_active}})

    async def reload(self) -> None:
        """Re-read the keys (another replica may have rotated)."""
        keys = []
        async for doc in self._collection.find({}).sort([("active_from", DESCENDING), ("_id", DESCENDING)]):
            key = serialization.load_pem_private_key(doc["private_pem"].encode(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            # Keys stored before activation times existed signed from their creation.
            keys.append((doc.get("active_from") or doc["created_at"], doc["_id"], key))
        self._keys = keys
        self.public = KeySet(self.jwks())

    @property
    def current(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        """The newest key whose activation time has come."""
        now = datetime.now(UTC)
        for active_from, kid, key in self._keys:
            if active_from <= now:
                return kid, key
        _, kid, key = self._keys[-1]  # every key is still pending: the oldest is the safest choice
        return kid, key

    def jwks(self) -> dict[str, Any]:
        keys = []
        for _, kid, key in sorted(self._keys, key=lambda entry: entry[1]):
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}
