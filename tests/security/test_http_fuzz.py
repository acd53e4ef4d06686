"""Random and hostile input to every HTTP endpoint of every service's table (tests/security/tables.py),
against a live fleet (hypothesis): bodies, queries and path parameters built from JSON strategies
mixed with values derived from the endpoint's own models (right fields with wrong types,
out-of-range integers, huge, unicode and NUL strings, ``$``-operators and dotted keys, deep
nesting). Whatever comes in, nothing answers 500 or 9503 (the input must never make a service fail
or look away), every refusal is a documented status with the documented error body and a known
code, and every service is still ready afterwards.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_vapid import Vapid
from pydantic import BaseModel, ValidationError
from yarl import URL

from parley.contracts.errors import ErrorCode
from parley.http_api import Endpoint, error_statuses
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.flows import staff_and_channel, stored_conversation
from tests.kit.client import login
from tests.kit.fleet import fleet_for
from tests.security.tables import all_endpoints, case_id, path_parameters

# Bounded so the whole module runs in about two minutes on a loaded 2-core machine: each example
# is one HTTP request (about 0.1 s here), shared out among the (endpoint, caller) cases, each of
# which gets at least enough to try its body, query and path once each way.
REQUEST_BUDGET = 800
MIN_EXAMPLES_PER_CASE = 8
# A well-formed id that names nothing.
UNKNOWN_ID = "0123456789abcdef01234567"
# The services' body limit is 64 KiB (parley.http.MAX_BODY_BYTES): a string just over it.
OVERSIZED = "x" * (64 * 1024 + 1)
# The largest generated value kept whole (see _capped): twice what a service reads.
MAX_GENERATED_BYTES = 128 * 1024
# A long query value, and the most a whole query may take once percent-encoded: both fit aiohttp's
# 8190-byte request line with any path of the tables. A longer line is refused (400) by aiohttp's
# HTTP parser before any service code runs, in its own plain-text shape.
QUERY_VALUE_BYTES = 1500
QUERY_BYTES = 6000

# Endpoints whose success would break the fleet for the rest of the module, and which requests of
# theirs would succeed: those are not sent (every other, invalid, input still is).
#  - key rotation has no input at all: every call rotates, so it is not fuzzed;
#  - maintenance switched on would refuse every client of the gateway afterwards.
# Logging out the admin is avoided differently: PUBLIC endpoints (logout among them) are called
# without a bearer token, so a logout can only name a (random) refresh token.
DESTRUCTIVE: dict[tuple[str, str], Callable[[BaseModel | None], bool]] = {
    ("POST", "/auth/keys/rotate"): lambda _body: True,
    ("PUT", "/admin/maintenance"): lambda body: bool(getattr(body, "enabled", False)),
}

# ---- strategies ----------------------------------------------------------------------------------

hostile_keys = st.sampled_from(
    ["$where", "$gt", "$ne", "$set", "a.b", "$", ".", "__proto__", "constructor", "\x00", ""]
)
short_hostile_strings = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=200, max_size=600),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\u200b",
            "\ufeff",
            "\U0001f600" * 50,
            "$where",
            "a.b",
            "..",
            "../../etc/passwd",
            "{{7*7}}",
            "' OR 1=1 --",
            "https://127.0.0.1/",
            "null",
            "true",
            "-1",
            "1e309",
        ]
    ),
)
hostile_strings = short_hostile_strings | st.just(OVERSIZED)
hostile_integers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 2**64, 2**31, -1, 0, 2**70, -(2**70)]),
)
scalars = (
    st.none() | st.booleans() | hostile_integers | st.floats(allow_nan=False, allow_infinity=False) | hostile_strings
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_keys | st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


def _deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# Text that is not a JSON object: broken JSON, JSON's non-standard literals, deep nesting.
raw_texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "{", "[]", "null", "NaN", '{"a": Infinity}', '{"a": 1, "a": 2}', "\x00", '"\ud800"']),
    st.integers(50, 100_000).map(_deep),
)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return defs[ref.rsplit("/", 1)[-1]] if ref else schema


def from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by a model's JSON schema: most of them near what it accepts (within and just
    past each bound), some of them anything hostile, so input reaches past validation too."""
    schema = _resolve(schema, defs)
    if depth > 6:
        return scalars
    if "const" in schema:
        shaped: st.SearchStrategy[Any] = st.just(schema["const"])
    elif "enum" in schema:
        shaped = st.sampled_from(schema["enum"])
    elif "anyOf" in schema or "oneOf" in schema:
        shaped = st.one_of(
            [from_schema(option, defs, depth + 1) for option in schema.get("anyOf", schema.get("oneOf"))]
        )
    elif schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        shaped = st.fixed_dictionaries(
            {name: from_schema(properties[name], defs, depth + 1) for name in sorted(required)},
            optional={
                **{
                    name: from_schema(prop, defs, depth + 1)
                    for name, prop in properties.items()
                    if name not in required
                },
                "$where": json_values,
                "a.b": json_values,
            },
        ).map(_capped)
    elif schema.get("type") == "array":
        most = min(schema.get("maxItems", 3), 3)
        shaped = st.lists(from_schema(schema.get("items", {}), defs, depth + 1), max_size=most).map(_capped)
        if "maxItems" in schema:  # one past the bound, of a single repeated item
            items = from_schema(schema.get("items", {}), defs, depth + 1)
            shaped |= items.map(lambda item: _capped([item] * (schema["maxItems"] + 1)))
    elif schema.get("type") == "integer":
        low, high = schema.get("minimum", -(2**70)), schema.get("maximum", 2**70)
        shaped = st.integers(low, high) | st.sampled_from([low - 1, high + 1, 2**63, 2**70])
    elif schema.get("type") == "number":
        shaped = st.floats(allow_nan=False, allow_infinity=False)
    elif schema.get("type") == "boolean":
        shaped = st.booleans()
    elif schema.get("type") == "string":
        shaped = _strings(schema)
    else:
        shaped = json_values
    return st.one_of(shaped, shaped, shaped, json_values)  # mostly shaped, one in four anything


def _capped(value: Any) -> Any:
    """The value, or the oversized string when its JSON is larger than a body may be anyway:
    nested lists past their bounds multiply (steps x answers x aliases), and a body of gigabytes
    would only exhaust this test's memory, not test more than the 413 a 64 KiB one gets."""
    return value if len(json.dumps(value)) <= MAX_GENERATED_BYTES else OVERSIZED


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 100)
    choices = [st.text(min_size=low, max_size=min(high, 80)), st.just("x" * (high + 1)), hostile_strings]
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
            choices.insert(0, st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high))
        except re.error:
            pass
    return st.one_of(choices)


def _node_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) of every node of a JSON value, itself included."""
    inner = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [path, *(found for key, item in inner for found in _node_paths(item, (*path, key)))]


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def mutated_examples(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The model's documented examples, whole (a valid body, so the success path is taken too)
    or with one node replaced by anything hostile: input that passes every check but one."""
    examples = schema.get("examples", [])
    if not examples:
        return st.nothing()
    return st.sampled_from(examples).flatmap(
        lambda example: (
            st.just(example)
            | st.tuples(st.sampled_from(_node_paths(example)), json_values).map(
                lambda change: _replaced(example, *change)
            )
        )
    )


def bodies(model: type[BaseModel] | None) -> st.SearchStrategy[str]:
    """Request bodies as text: JSON of the model's shape (its examples altered, or built from its
    schema) or of anything, or not JSON at all."""
    schema = model.model_json_schema() if model is not None else {}
    shaped = json_values if model is None else from_schema(schema, schema.get("$defs", {})) | mutated_examples(schema)
    objects = shaped | st.dictionaries(hostile_keys | st.text(max_size=8), json_values, max_size=5)
    return st.one_of(objects.map(json.dumps), objects.map(json.dumps), json_values.map(json.dumps), raw_texts)


def queries(model: type[BaseModel] | None) -> st.SearchStrategy[dict[str, str]]:
    names = st.sampled_from(list(model.model_fields)) if model is not None and model.model_fields else st.nothing()
    values = st.one_of(
        short_hostile_strings,
        st.just("y" * QUERY_VALUE_BYTES),
        hostile_integers.map(str),
        st.sampled_from(["yaml", "json", "true", "false", "", "[]", "{}"]),
    )
    return st.dictionaries(names | hostile_keys | st.text(min_size=1, max_size=10), values, max_size=4).map(
        _fit_request_line
    )


def _fit_request_line(query: dict[str, str]) -> dict[str, str]:
    """The query with entries dropped until it fits the request line (see QUERY_BYTES)."""
    kept = dict(query)
    while kept and len(urlencode(kept)) > QUERY_BYTES:
        kept.popitem()
    return kept


def path_values(seeded: dict[str, str]) -> st.SearchStrategy[str]:
    """A path parameter: a real id, one that names nothing, or anything, as one path segment."""
    # Not "{", "}" or "/" (even percent-encoded): aiohttp's router matches a parameter with
    # [^{}/]+, so such a segment names no route and never reaches the layer (the router answers
    # its own plain-text 404). Not "." or "..": the client resolves them away. No lone surrogate:
    # it has no UTF-8 form, so no client can put one in a URL (quote() raises before sending).
    random = st.text(
        st.characters(exclude_characters="{}/", exclude_categories=["Cs"]), min_size=1, max_size=250
    ).filter(lambda s: s not in (".", ".."))
    return st.one_of(st.sampled_from([*seeded.values(), UNKNOWN_ID]), random)


# ---- the fleet, and one request --------------------------------------------------------------------


@dataclass(frozen=True)
class Callers:
    admin_token: str
    visitor_token: str  # the visitor of conversation_id
    channel_id: str
    conversation_id: str


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    """The fleet with web push configured (a fresh VAPID key), so the push endpoints serve their
    whole API rather than the 9503 of a server without push."""
    vapid = Vapid()
    vapid.generate_keys()
    async with fleet_for(
        infra,
        "http-fuzz",
        PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY=vapid.private_pem().decode(),
        PARLEY_NOTIFICATION_VAPID_SUBJECT="mailto:security@example.com",
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def callers(fleet: Fleet) -> Callers:
    async with aiohttp.ClientSession() as session:
        # staff_and_channel logs the admin in: a later login ends that session, so this one is last.
        _, _, channel_id = await staff_and_channel(session, fleet)
        admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        visitor = await login(session, fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}")
        conversation_id = await stored_conversation(session, fleet, visitor["token"], channel_id)
    return Callers(admin["token"], visitor["token"], channel_id, conversation_id)


@pytest.fixture(scope="module")
async def http(fleet: Fleet) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _cases() -> list[Any]:
    """(service, endpoint, caller): admins where they may call, visitors where visitors may, no
    token for PUBLIC endpoints."""
    cases = []
    for service, endpoint in all_endpoints():
        if endpoint.body is None and endpoint.query is None and _would_break_the_fleet(endpoint, ""):
            continue  # no input it reads, and every call would succeed destructively (key rotation)
        roles = endpoint.access.roles
        callers = ("admin", "visitor") if roles is not None else ("anonymous",)
        cases += [
            pytest.param(service, endpoint, caller, id=f"{case_id(service, endpoint)} as {caller}")
            for caller in callers
            if roles is None or caller in roles
        ]
    return cases


def _would_break_the_fleet(endpoint: Endpoint, body: str) -> bool:
    harmful = DESTRUCTIVE.get((endpoint.method, endpoint.path))
    if harmful is None:
        return False
    if endpoint.body is None:
        return harmful(None)
    try:
        return harmful(endpoint.body.model_validate_json(body))
    except ValidationError:
        return False  # refused by the layer before anything happens


async def _send(
    http: aiohttp.ClientSession,
    url: str,
    endpoint: Endpoint,
    token: str | None,
    query: dict[str, str],
    body: str,
    content_type: str,
) -> tuple[int, str, str]:
    headers = {"Content-Type": content_type} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = body.encode("utf-8", "surrogatepass")
    target = URL(url, encoded=True).update_query(query)
    async with http.request(endpoint.method, target, data=data, headers=headers) as response:
        return response.status, response.content_type, await response.text()


def _check_answer(endpoint: Endpoint, request: str, status: int, content_type: str, text: str) -> None:
    assert status != 500, f"500 for {request}: {text[:500]}"
    if status < 400:
        return
    assert content_type == "application/json", f"{status} {content_type} for {request}: {text[:300]}"
    error = json.loads(text).get("error")
    assert isinstance(error, dict) and set(error) >= {"code", "message"}, f"{status} {text[:300]} for {request}"
    assert isinstance(error["message"], str)
    assert error["code"] in set(ErrorCode), f"unknown code in {text[:300]} for {request}"
    assert error["code"] not in (ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE), f"{text[:300]} for {request}"
    assert status in error_statuses(endpoint), f"undocumented {status} ({text[:300]}) for {request}"


CASES = _cases()
EXAMPLES_PER_CASE = max(MIN_EXAMPLES_PER_CASE, REQUEST_BUDGET // len(CASES))


@pytest.mark.parametrize(("service", "endpoint", "caller"), CASES)
async def test_hostile_input_gets_a_documented_answer(
    fleet: Fleet, callers: Callers, http: aiohttp.ClientSession, service: str, endpoint: Endpoint, caller: str
) -> None:
    loop = asyncio.get_running_loop()
    token = {"admin": callers.admin_token, "visitor": callers.visitor_token}.get(caller)
    # A DELETE never names the seeded channel: archiving it would leave the cases after this one
    # only unknown channels to try (its success path is taken on the ids the fuzz makes up).
    seeded = (
        {"channel_id": callers.channel_id, "conversation_id": callers.conversation_id}
        if endpoint.method != "DELETE"
        else {}
    )
    parameters = st.fixed_dictionaries({name: path_values(seeded) for name in path_parameters(endpoint)})
    content_types = st.sampled_from(["application/json", *endpoint.raw_body_types])
    sent = []

    @settings(
        max_examples=EXAMPLES_PER_CASE,
        deadline=None,
        database=None,
        # The examples are HTTP requests to the module's fleet (a fixture); slow data is expected.
        suppress_health_check=list(HealthCheck),
    )
    @given(path=parameters, query=queries(endpoint.query), body=bodies(endpoint.body), content_type=content_types)
    def answers_are_documented(path: dict[str, str], query: dict[str, str], body: str, content_type: str) -> None:
        if _would_break_the_fleet(endpoint, body):
            return
        url = fleet.url(service) + re.sub(
            r"{(\w+)}", lambda m: quote(path[m.group(1)], safe=""), endpoint.documented_path
        )
        request = f"{endpoint.method} {url} query={query!r:.300} body={body!r:.300} ({content_type}, {caller})"
        future = asyncio.run_coroutine_threadsafe(_send(http, url, endpoint, token, query, body, content_type), loop)
        status, answer_type, text = future.result(timeout=60)
        sent.append(status)
        _check_answer(endpoint, request, status, answer_type, text)

    # Hypothesis drives the examples from a worker thread; each request runs on this test's loop.
    await asyncio.to_thread(answers_are_documented)
    # The caller got past authentication at least once: the input was tried on the endpoint itself.
    assert any(status != 401 for status in sent), f"every request refused as unauthenticated: {sent}"


async def test_every_service_is_still_ready(fleet: Fleet, http: aiohttp.ClientSession) -> None:
    for name in fleet.services:
        async with http.get(f"{fleet.url(name)}/readyz") as response:
            assert response.status == 200, (name, await response.text())
