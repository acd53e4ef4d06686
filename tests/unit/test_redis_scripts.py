"""Redis Cluster readiness of the Lua scripts: every key a script touches comes from its KEYS, and
the keys of one call share a hash tag, so they live on one slot.

Redis Cluster runs a script on the node owning its keys' slot and refuses one whose KEYS span
slots; a key the script makes up from its ARGV may live on any node. A key a script finds only
while it runs (presence's users in its indexes, a user's connections) cannot be named
beforehand: such a script is given the root of its store's key names in KEYS (a name carrying
the store's hash tag, never a key itself) and builds every key on that root, so all share the
tag. The scanner accepts a key that is a KEYS entry or built on one, and refuses any other.
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


def _rooted_names(source: str) -> set[str]:
    """Variables and key-naming functions whose value is a KEYS entry or built on one
    (``local P = KEYS[1]``, ``local seqs = info .. ':seqs'``, ``local function k(id) return P .. id end``)."""
    rooted = set(re.findall(r"for\s+\w+\s*,\s*(\w+)\s+in\s+ipairs\(KEYS\)", source))
    definitions = [
        *re.findall(r"local\s+((?:\w+\s*,\s*)*\w+)\s*=\s*([^\n]+)", source),
        *re.findall(r"local\s+function\s+(\w+)\([^)]*\)\s*return\s+([^\n]+?)\s+end", source),
    ]
    while True:
        before = len(rooted)
        for names, values in definitions:
            for name, value in zip(
                [n.strip() for n in names.split(",")], [v.strip() for v in values.split(",")], strict=False
            ):
                if _is_rooted(value, rooted):
                    rooted.add(name)
        if len(rooted) == before:
            return rooted


def _is_rooted(expression: str, rooted: set[str]) -> bool:
    head = re.match(r"(KEYS\[|\w+)", expression.strip())
    return head is not None and (head.group(1) == "KEYS[" or head.group(1) in rooted)


def keys_built_inside(source: str) -> list[str]:
    """The keyed calls of a script whose key is neither one of its KEYS nor built on one."""
    rooted = _rooted_names(source)
    return [
        f"{command} {first.strip()}"
        for command, first in CALL.findall(source)
        if command.upper() not in NOT_KEYED and not _is_rooted(first, rooted)
    ]


def test_the_scanner_finds_the_scripts_and_tells_a_declared_key_from_a_built_one() -> None:
    found = scripts()
    assert len(found) >= 25 and "libs/parley/parley/ratelimit.py:_TAKE" in found
    assert keys_built_inside("for i, key in ipairs(KEYS) do redis.call('HGET', key, 'x') end") == []
    assert keys_built_inside("local k = KEYS[2]\nredis.call('GET', k)\nredis.call('TIME')") == []
    assert keys_built_inside("redis.call('GET', ARGV[1] .. 'x')") == ["GET ARGV[1] .. 'x'"]
    rooted = "local P, n = KEYS[1], ARGV[1]\nlocal function k(id) return P .. id end\nlocal s = k(n) .. ':s'\n"
    assert keys_built_inside(rooted + "redis.call('GET', k(n))\nredis.call('ZADD', s, 1, n)") == []
    assert keys_built_inside(rooted + "redis.call('GET', n .. 'x')") == ["GET n .. 'x'"]


@pytest.mark.parametrize("name", sorted(scripts()))
def test_a_script_touches_only_the_keys_it_is_given(name: str) -> None:
    built = keys_built_inside(scripts()[name])
    assert built == [], f"{name} builds key names from something else than its KEYS: {built}"


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


def test_each_store_s_keys_share_the_hash_tag_of_the_root_its_scripts_are_given() -> None:
    from parley_chat_session.conversations.sessions import Sessions
    from parley_notification.memberships import memberships_root
    from parley_notification.pending_pushes import pushes_root
    from parley_presence.scripts import presence_root

    for root in (presence_root("parley:"), pushes_root("parley:"), memberships_root("t:run-1:")):
        built = [root, f"{root}conn:c-1", f"{root}user:u-{{x}}:status", f"{root}unread:u}}:c-9:seqs", f"{root}due"]
        assert _one_slot(built), root
    sessions = cast(Any, Sessions.__new__(Sessions))
    sessions._prefix = "parley:"
    for visitor in ("v_1", "v_2}", "{v_3", "x" * 300):
        assert _one_slot(sessions._visitor_keys(visitor, "ch-1") + sessions._visitor_keys(visitor, "ch-2")), visitor


def test_a_key_prefix_with_a_hash_tag_is_refused_at_start() -> None:
    from pydantic import ValidationError

    from parley.settings import ServiceSettings

    with pytest.raises(ValidationError, match="must not contain"):
        ServiceSettings(redis_key_prefix="{tenant}:")
