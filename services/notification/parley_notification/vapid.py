"""The VAPID key (RFC 8292) that identifies Parley to the browsers' push services."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, Vapid02


def load_vapid_key(text: str) -> Vapid02:
    """A PEM private key, or the base64url raw 32-byte key (or base64 DER) py-vapid reads.

    A PEM put in an environment variable often has its newlines written as ``\\n``: both work.
    Raises ValueError with a clear message when the key cannot be read.
    """
    cleaned = text.strip().replace("\\n", "\n")
    try:
        if "-----BEGIN" in cleaned:
            vapid = Vapid(serialization.load_pem_private_key(cleaned.encode(), password=None))
        else:
            vapid = Vapid.from_string(cleaned)
    except Exception as error:  # noqa: BLE001 - py-vapid and cryptography raise several kinds
        raise ValueError(f"not a private key in PEM or base64url form ({type(error).__name__})") from None
    key = vapid.private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a VAPID key must be an elliptic-curve P-256 (prime256v1) key")
    return vapid


def public_key_b64(vapid: Vapid02) -> str:
    """The public key as browsers take it (PushManager.subscribe's applicationServerKey)."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
