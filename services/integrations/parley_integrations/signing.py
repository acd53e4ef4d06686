"""Standard Webhooks signatures (https://www.standardwebhooks.com/): what a receiver checks.

A secret is ``whsec_`` and the base64 of random bytes; the key is those bytes. A request carries
``webhook-id`` (the delivery's id, the same on every attempt: the receiver's idempotency key),
``webhook-timestamp`` (seconds since the epoch, when this attempt was signed) and
``webhook-signature``: ``v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>`` for each secret
valid now, space-separated, so a receiver that still holds the previous secret during a
rotation verifies as well as one that holds the new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# 32 random bytes: the HMAC-SHA256 key length; Standard Webhooks allows 24 to 64.
SECRET_BYTES = 32
# A receiver refuses a timestamp further than this from its clock (replays of an old request).
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_now: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret valid now."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_now),
    }


def verify(secret: str, request_headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Whether a request is signed with ``secret`` and recent: the receiver's side (the example
    agent's and the tests'); any one of the space-separated signatures may match."""
    message_id = request_headers.get("webhook-id", "")
    timestamp_text = request_headers.get("webhook-timestamp", "")
    if not message_id or not timestamp_text.isdigit():
        return False
    timestamp = int(timestamp_text)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, message_id, timestamp, body)
    offered = request_headers.get("webhook-signature", "").split(" ")
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
