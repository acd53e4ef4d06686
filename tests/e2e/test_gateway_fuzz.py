"""Random and malformed frames against a live gateway (hypothesis): every frame gets a defined
answer, no handler fails (no 9500, no logged crash), and the process stays healthy."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from parley.contracts.frames import CLIENT_FRAME
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.gateway_fleet import connect, login
from tests.kit.client import WsClient
from tests.kit.fleet import fleet_for

FRAME_TYPES = [
    "auth",
    "ping",
    "session.open",
    "message.send",
    "ack",
    "seen",
    "typing",
    "status",
    "resume",
    "history.get",
    "chatbot.answer",
    "timers",
    "conversation.close",
    "conversation.rate",
    "operator.availability",
]
FIELDS = [
    "token",
    "client_kind",
    "resume",
    "channel_id",
    "persist",
    "conversation_id",
    "client_msg_id",
    "kind",
    "body",
    "seq",
    "active",
    "status",
    "after_seq",
    "before_seq",
    "limit",
    "step_id",
    "answer_id",
    "action",
    "rating",
    "comment",
    "available",
    "meaning",
    "params",
]
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)
frame_ids = st.none() | st.text(min_size=1, max_size=70) | st.integers()
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(FRAME_TYPES) | st.text(max_size=20)},
    optional={
        "id": frame_ids,
        "data": st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values,
        "extra": json_values,
    },
)


def _deep(depth: int) -> str:
    return '{"type": "ping", "data": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


raw_frames = st.one_of(
    frames.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=300),
    st.binary(max_size=200),
    st.integers(20, 5000).map(_deep),
    st.just(json.dumps({"type": "message.send", "id": "huge", "data": {"body": "x" * 70_000}})),
)


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(
        infra,
        "fuzz",
        PARLEY_GATEWAY_FRAMES_PER_SECOND="5000",
        PARLEY_GATEWAY_FRAME_BURST="5000",
        PARLEY_GATEWAY_USER_FRAMES_PER_SECOND="5000",
        PARLEY_GATEWAY_USER_FRAME_BURST="5000",
    ) as running:
        yield running


def _readable_id(raw: str | bytes) -> str | None:
    try:
        parsed = orjson.loads(raw)  # the gateway's parser: strict JSON (no Infinity or NaN, which json reads)
    except orjson.JSONDecodeError:
        return None
    frame_id = parsed.get("id") if isinstance(parsed, dict) else None
    return frame_id if isinstance(frame_id, str) and 0 < len(frame_id) <= 64 else None


def _valid(raw: str | bytes) -> bool:
    try:
        CLIENT_FRAME.validate_json(raw)
    except (ValidationError, ValueError):
        return False
    return isinstance(raw, str)


class Prober:
    """Sends one fuzz frame, then a ping; what came back in between is the fuzz frame's answer."""

    def __init__(self, client: WsClient) -> None:
        self.client = client
        self.count = 0

    async def answers_to(self, raw: str | bytes) -> list[dict[str, Any]]:
        self.count += 1
        probe = f"probe-{uuid.uuid4().hex}"
        start = len(self.client.frames)
        await (self.client.ws.send_bytes(raw) if isinstance(raw, bytes) else self.client.ws.send_str(raw))
        await self.client.ws.send_json({"type": "ping", "id": probe, "data": {}})
        pong = await self.client.wait_for(lambda f: f.get("id") == probe, timeout=20)
        return self.client.frames[start : self.client.frames.index(pong)]


async def test_random_and_malformed_frames_all_get_a_defined_answer(fleet: Fleet) -> None:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        visitor = await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
        client, _ = await connect(session, fleet.url("gateway"), visitor["token"])
        prober = Prober(client)

        @settings(max_examples=250, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(raw=raw_frames)
        def every_frame_is_answered(raw: str | bytes) -> None:
            answers = asyncio.run_coroutine_threadsafe(prober.answers_to(raw), loop).result(timeout=60)
            assert not client.ws.closed, f"connection closed ({client.ws.close_code}) after {raw!r:.200}"
            assert not [a for a in answers if a["type"] == "error" and a["data"]["code"] == 9500], (raw, answers)
            frame_id = _readable_id(raw)
            if frame_id is not None:
                assert any(a.get("id") == frame_id for a in answers), f"no answer to {raw!r:.200}: {answers}"
            elif not _valid(raw):
                assert any(a["type"] == "error" and "id" not in a for a in answers), f"no error for {raw!r:.200}"

        # Hypothesis drives the examples from a worker thread; each one runs on this test's loop.
        await asyncio.to_thread(every_frame_is_answered)
        assert prober.count >= 100

        async with session.get(f"{fleet.url('gateway')}/readyz") as response:
            assert response.status == 200
        async with session.get(f"{fleet.url('gateway')}/metrics") as response:
            assert 'parley_gateway_errors_total{code="9500"}' not in await response.text()
        fresh, ok = await connect(session, fleet.url("gateway"), visitor["token"])
        assert ok["type"] == "auth.ok" and (await fresh.request("ping", {}))["type"] == "pong"
        await fresh.close()
        await client.close()
    log = (fleet.log_dir / "gateway.log").read_text()
    assert "gateway.frame_failed" not in log and "Traceback" not in log
