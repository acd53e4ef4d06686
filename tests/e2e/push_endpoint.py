"""Helpers, no tests: a real web push endpoint for the push end-to-end tests.

:class:`PushService` is a local HTTP server standing for a browser vendor's push service and
the browser behind it: it checks each push's VAPID JWT (ES256 signature with the VAPID public
key, ``aud`` = its origin, ``exp`` at most 24 h ahead, ``sub``) and decrypts the payload with
the subscription's private key (RFC 8291, ``http_ece``), then answers as the test told it
(201, or 404/410/429/5xx).

The fixtures ``vapid`` (the fleet's VAPID key pair) and ``push_service`` (an endpoint that knows
its public key) are shared by every module that pushes (tests/conftest.py loads this module as a
plugin).
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from parley_fleet import free_port

SUBJECT = "mailto:push-tests@parley.example"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Device:
    """A browser's push subscription: its keys, and what its push endpoint received."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64(public), "auth": b64(self.auth)},
        }


@dataclass
class Push:
    at: float
    notice: dict[str, Any]
    headers: dict[str, str]


class PushService:
    """The push endpoint: verifies, decrypts and records every push, answers as told."""

    def __init__(self, vapid_public_key: str) -> None:
        self.vapid_public_key = vapid_public_key
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.devices: dict[str, Device] = {}
        self.received: dict[str, list[Push]] = defaultdict(list)
        self.attempts: dict[str, int] = defaultdict(int)
        self.answers: dict[str, list[int]] = {}
        self.problems: list[str] = []
        self._runner: web.AppRunner | None = None

    def device(self, answers: list[int] | None = None) -> Device:
        name = uuid.uuid4().hex[:10]
        device = Device(f"{self.origin}/push/{name}")
        self.devices[name] = device
        self.answers[name] = list(answers or [])
        return device

    def pushes(self, device: Device) -> list[Push]:
        """The pushes this device received (answered 201), in order."""
        return self.received[device.endpoint.rsplit("/", 1)[1]]

    def tries(self, device: Device) -> int:
        """Requests made to this device's endpoint, whatever they were answered."""
        return self.attempts[device.endpoint.rsplit("/", 1)[1]]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{name}", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.attempts[name] += 1
        body = await request.read()
        try:
            self._check_vapid(request.headers.get("Authorization", ""))
            assert len(body) <= 4096, f"payload of {len(body)} bytes"
            assert request.headers["Content-Encoding"] == "aes128gcm"
            assert 0 < int(request.headers["TTL"]) <= 3600
            device = self.devices[name]
            plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm")
        except Exception as error:  # noqa: BLE001 - recorded, and the test fails on it
            self.problems.append(f"{name}: {error!r}")
            return web.Response(status=400)
        answers = self.answers.get(name) or []
        status = answers.pop(0) if answers else 201
        if status == 201:
            headers = {key.lower(): value for key, value in request.headers.items()}
            self.received[name].append(Push(time.monotonic(), orjson.loads(plain), headers))
        return web.Response(status=status, headers={"Retry-After": "0"} if status == 429 else {})

    def _check_vapid(self, header: str) -> None:
        scheme, _, params = header.partition(" ")
        assert scheme == "vapid", header
        parts = dict(part.split("=", 1) for part in params.split(","))
        assert parts["k"] == self.vapid_public_key, "signed with another key"
        raw = base64.urlsafe_b64decode(parts["k"] + "=" * (-len(parts["k"]) % 4))
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        claims = jwt.decode(parts["t"], key, algorithms=["ES256"], audience=self.origin, options={"require": ["exp"]})
        assert claims["exp"] - time.time() <= 24 * 3600, "RFC 8292: exp at most 24 hours ahead"
        assert claims["sub"] == SUBJECT


@pytest.fixture(scope="module")
def vapid() -> Vapid:
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture(scope="module")
async def push_service(vapid: Vapid) -> AsyncIterator[PushService]:
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    service = PushService(b64(public))
    await service.start()
    yield service
    await service.stop()
    assert service.problems == []
