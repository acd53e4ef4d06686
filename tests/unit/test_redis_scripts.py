"""Redis Cluster readiness of the Lua scripts: every key a script touches is passed in KEYS (none
is built inside the script), and the keys of one call share a hash tag, so they live on one slot.

Redis Cluster runs a script on the node owning its keys' slot and refuses one whose KEYS span
slots; a key the script makes up itself may live on any node. The scripts that still build key
names are listed in BUILDS_KEYS_INSIDE: a script added to them, or one converted and still
listed, fails here.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis.asyncio as redis
from redis.crc import key_slot

from parley.deliveries import newest_key
from parley.ratelimit import Bucket, RateLimiter

ROOT = Path(__file__).resolve().parents[2]
# redis.call('CMD', first, ...): the first argument of a keyed command is the key.
CALL = re.compile(r"redis\.call\(\s*'(\w+)'\s*,\s*([^,)]+)")
NOT_KEYED = {"TIME", "PUBLISH"}  # no key; a channel is not one (PUBLISH reaches every node)

# Not converted yet (issue 23): these build key names from a prefix in ARGV, per user,
# conversation or connection found while running, so they need a single-shard Redis
# (standalone or Sentinel). README, Redis Cluster.
BUILDS_KEYS_INSIDE = {
    *(
        f"services/presence/parley_presence/lua/{name}.lua"
        for name in (
            "open",
            "close",
            "heartbeat",
            "client_status",
            "activity",
            "set_availability",
            "sweep",
            "unannounced",
            "announced",
            "nodes",
            "conversation",
        )
    ),
    "services/notification/parley_notification/pending_pushes.py:_ADD",
    "services/notification/parley_notification/pending_pushes.py:_SEEN",
    "services/notification/parley_notification/pending_pushes.py:_CLAIM",
    "services/notification/parley_notification/memberships.py:_UPDATE",
    "services/notification/parley_notification/memberships.py:_PARTNERS",
    "services/chat_session/parley_chat_session/sessions.py:_RESERVE",
}


@cache
def scripts() -> dict[str, str]:
    """Every Lua script of the code: module-level strings that call Redis, and presence's files
    (each run with its shared head)."""
    found: dict[str, str] = {}
    for path in sorted([*ROOT.glob("libs/*/*/**/*.py"), *ROOT.glob("services/*/*/**/*.py")]):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                value = node.value.value
                if isinstance(value, str) and "redis.call(" in value:
                    for target in node.targets:
                        assert isinstance(target, ast.Name)
                        found[f"{path.relative_to(ROOT)}:{target.id}"] = value
    for path in sorted(ROOT.glob("services/*/*/lua/*.lua")):
        if path.stem != "common":
            found[str(path.relative_to(ROOT))] = (path.parent / "common.lua").read_text() + path.read_text()
    return found


def keys_built_inside(source: str) -> list[str]:
    """The keyed calls of a script whose key is not one of its KEYS."""
    from_keys = set(re.findall(r"(\w+)\s*=\s*KEYS\[", source))
    from_keys |= set(re.findall(r"for\s+\w+\s*,\s*(\w+)\s+in\s+ipairs\(KEYS\)", source))
    built = []
    for command, first in CALL.findall(source):
        key = first.strip()
        if command.upper() not in NOT_KEYED and not key.startswith("KEYS[") and key not in from_keys:
            built.append(f"{command} {key}")
    return built


def test_the_scanner_finds_the_scripts_and_tells_a_declared_key_from_a_built_one() -> None:
    found = scripts()
    assert len(found) >= 25 and "libs/parley/parley/ratelimit.py:_TAKE" in found
    assert keys_built_inside("for i, key in ipairs(KEYS) do redis.call('HGET', key, 'x') end") == []
    assert keys_built_inside("local k = KEYS[2]\nredis.call('GET', k)\nredis.call('TIME')") == []
    assert keys_built_inside("redis.call('GET', ARGV[1] .. 'x')") == ["GET ARGV[1] .. 'x'"]


@pytest.mark.parametrize("name", sorted(scripts()))
def test_a_script_touches_only_the_keys_it_is_given(name: str) -> None:
    built = keys_built_inside(scripts()[name])
    if name in BUILDS_KEYS_INSIDE:
        assert built, f"{name} takes all its keys in KEYS now: remove it from BUILDS_KEYS_INSIDE"
    else:
        assert built == [], f"{name} builds key names inside Lua: {built}"


def _one_slot(keys: list[str] | tuple[str, ...]) -> bool:
    return len({key_slot(key.encode()) for key in keys}) == 1


def test_rate_limit_buckets_taken_together_live_on_one_slot() -> None:
    from parley_auth.login_limits import LoginLimits
    from parley_auth.settings import AuthSettings
    from parley_gateway.limits import FrameLimits
    from parley_gateway.settings import GatewaySettings

    limiter = RateLimiter(redis.Redis(), "parley:")
    login = LoginLimits(limiter, AuthSettings())
    for account, address in [("ann@example.com", "203.0.113.7"), ("bob", "2001:db8::/64"), ("x}{y", "a{b}")]:
        assert _one_slot(limiter.keys(login.buckets(account, address))), (account, address)
    frames = FrameLimits(GatewaySettings(), limiter)
    for user in ("u-1", "visitor:{odd}", "v" * 200):
        connection = cast(Any, SimpleNamespace(id="c-42", user_id=user))  # the two fields buckets() reads
        assert _one_slot(limiter.keys(frames.buckets(connection))), user
    with pytest.raises(ValueError, match="one group"):
        limiter.keys((Bucket("a", 1, 1), Bucket("b", 1, 1)))


def test_the_chatbot_timer_index_lives_on_one_slot() -> None:
    from parley_chatbot_engine.timer_store import TimerStore

    store = TimerStore(redis.Redis(), "parley-test:run-1:")
    assert _one_slot(store.keys)


def test_a_message_s_delivery_script_is_given_one_key() -> None:
    # its members' channels travel in ARGV (see deliveries._MESSAGE): the one key is the newest seq
    assert newest_key("parley:", "conv-1").startswith("parley:")
