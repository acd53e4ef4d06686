"""Every service's HTTP API, described once in a table and enforced by one layer.

An :class:`Endpoint` says who may call it (:class:`Access`: no token, or a bearer token of some
roles, then the service's own resource check, such as "a member of the conversation"), what it
takes (a body model, a query model, bounded path parameters) and what it answers. :class:`HttpApi`
registers the routes from the table and, before a handler runs, authenticates the token (the
signature and the revocation list), refuses a role not allowed, runs the resource check, and
validates the query and the body; every refusal is the documented error body. The handler gets a
:class:`Call` with all of that already checked. The OpenAPI document is generated from the same
table, so it cannot drift from what the service does.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import yaml
from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json, validation_problems
from parley.tokens import Claims

# A path parameter is an id, a name or a shortcut: longer than this is not a value the API
# ever stored, and is refused before any handler or database sees it.
MAX_PATH_PARAMETER_LENGTH = 200

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# What each refusal status means; the codes are docs/protocol.md's.
ERROR_STATUSES = {
    400: "Bad argument (9105): the message names the field or parameter",
    401: "Missing (9004), invalid, expired or revoked (7001) token; a refused visitor identity (7101-7104)",
    403: "Not allowed (9101): the caller's role, or not a member of the conversation or channel; "
    "a disabled account (7110); an origin the channel does not allow (9114); a forged or altered download link (9110)",
    404: "Unknown channel (9103), conversation (9102), file (9113) or other resource (9105)",
    409: "The conversation is closed (9104), or the file is still being scanned (9112)",
    410: "The download link has expired (9111): ask for a new one",
    413: "Body larger than the service accepts (9002), or a file larger than the channel accepts (9106)",
    415: "A file type (sniffed from its content) the channel does not accept (9107)",
    422: "Refused content: a sensitive word (8001), an invalid script (9105, with every problem), "
    "or a file that is not what its bytes say or is infected (9108)",
    429: "Too many requests (9003); Retry-After says when to try again; or the daily upload quota is used (9109)",
    503: "A dependency is away, or this node is restarting (9503): try again shortly",
}


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint: ``roles`` None means without a token."""

    roles: frozenset[str] | None
    # The resource rule in words (for the document); the service's check method enforces it.
    rule: str = ""
    # The name of the API object's method ``async (call) -> None`` that enforces ``rule``
    # (raising ParleyError(NOT_A_MEMBER) or an unknown-resource code), or None: the role is enough.
    check: str | None = None

    @property
    def description(self) -> str:
        if self.roles is None:
            return "anyone, without a token"
        who = ", ".join(sorted(self.roles))
        return f"{who}; {self.rule}" if self.rule else who


PUBLIC = Access(None)


def roles(*names: str, rule: str = "", check: str | None = None) -> Access:
    """Access for a bearer token of one of ``names`` (all roles when none are named)."""
    return Access(frozenset(names or ("admin", "operator", "visitor")), rule, check)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: str  # the name of the API object's method that serves it
    summary: str
    access: Access
    tag: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    # Other request content types the handler reads itself (a YAML script); the body model
    # still documents it, and JSON bodies are still validated by the layer.
    raw_body_types: tuple[str, ...] = ()
    # Statuses beyond those the layer derives (e.g. 409 for a closed conversation, 429).
    extra_statuses: tuple[int, ...] = ()

    # What the reader needs to know beyond the summary (rules on the input, side effects).
    description: str = ""

    @property
    def documented_path(self) -> str:
        """The path as OpenAPI and aiohttp's canonical form write it: ``{path:.+}`` is ``{path}``."""
        return re.sub(r"{(\w+):[^}]+}", r"{\1}", self.path)


@dataclass
class Call:
    """One request, checked: who calls, with which validated query and body."""

    request: web.Request
    claims: Claims | None
    query: Any = None
    body: Any = None

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    @property
    def user(self) -> Claims:
        """The caller's claims (an endpoint with a role always has them)."""
        assert self.claims is not None, "an endpoint without a token has no caller"
        return self.claims


Handler = Callable[[Call], Awaitable[web.StreamResponse | BaseModel | None]]


class TokenVerifier(Protocol):
    """What checks a bearer token: its signature, expiry and revocation. Every service but auth
    uses parley.tokens.JwksVerifier (auth's keys fetched over HTTP); auth verifies with the keys
    it holds, against the same revocation list."""

    async def verify(self, token: str) -> Claims:
        """The token's claims, or ParleyError(TOKEN_INVALID) (UNAVAILABLE when a store is away)."""
        ...


class HttpApi:
    """The routes of one service's table, each behind the checks its endpoint declares."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        verifier: TokenVerifier | None,
        *owners: object,
    ) -> None:
        self.endpoints = list(endpoints)
        self.verifier = verifier
        self.owners = owners

    def routes(self) -> list[web.RouteDef]:
        # web.get, not web.route("GET"): it answers HEAD too, as HTTP clients and probes expect.
        return [
            web.get(endpoint.path, self._serve(endpoint))
            if endpoint.method == "GET"
            else web.route(endpoint.method, endpoint.path, self._serve(endpoint))
            for endpoint in self.endpoints
        ]

    def _method(self, name: str, endpoint: Endpoint) -> Callable[..., Any]:
        for owner in self.owners:
            if hasattr(owner, name):
                method: Callable[..., Any] = getattr(owner, name)
                return method
        raise RuntimeError(f"no method {name} for {endpoint.method} {endpoint.path}")

    def _serve(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        handler: Handler = self._method(endpoint.handler, endpoint)
        check = self._method(endpoint.access.check, endpoint) if endpoint.access.check else None
        if endpoint.access.roles is not None and self.verifier is None:
            raise RuntimeError(f"{endpoint.method} {endpoint.path} needs a token but the API has no verifier")

        async def serve(request: web.Request) -> web.StreamResponse:
            for name, value in request.match_info.items():
                if len(value) > MAX_PATH_PARAMETER_LENGTH:
                    raise ParleyError(
                        ErrorCode.BAD_ARGUMENT, f"{name}: longer than {MAX_PATH_PARAMETER_LENGTH} characters"
                    )
            call = Call(request, await self._caller(request, endpoint.access))
            if check is not None:
                await check(call)
            if endpoint.query is not None:
                call.query = _validated(endpoint.query, dict(request.query), "query")
            if endpoint.body is not None and request.content_type not in endpoint.raw_body_types:
                call.body = await read_json(request, endpoint.body)
            answer = await handler(call)
            if isinstance(answer, web.StreamResponse):
                return answer
            if answer is None:
                return web.Response(status=endpoint.status)
            return json_response(answer, status=endpoint.status)

        return serve

    async def _caller(self, request: web.Request, access: Access) -> Claims | None:
        if access.roles is None:
            return None
        assert self.verifier is not None
        claims = await self.verifier.verify(bearer_token(request))
        if claims.role not in access.roles:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, f"this needs one of the roles {', '.join(sorted(access.roles))}")
        return claims


def bearer_token(request: web.Request) -> str:
    """The token of the request's ``Authorization: Bearer`` header; ParleyError(NOT_AUTHENTICATED) without one."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ParleyError(ErrorCode.NOT_AUTHENTICATED, "missing bearer token")
    return header.removeprefix("Bearer ")


def _validated(model: type[BaseModel], values: dict[str, Any], where: str) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{where}: {validation_problems(error)}") from None


# ---- the OpenAPI document ----------------------------------------------------------------------


def openapi_document(
    endpoints: Sequence[Endpoint],
    title: str,
    version: str,
    description: str = "",
    *,
    components: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``endpoints``. ``components``: what the service documents
    beyond its endpoints (a payload it sends elsewhere, a refusal of its own such as 503), by
    kind ("schemas", "responses"); an entry replaces the generated one of the same name."""
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(e.body, "validation") for e in endpoints if e.body}
    wanted |= {(e.response, "serialization") for e in endpoints if e.response}
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, top = models_json_schema(ordered, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    shared = {e.handler for e in endpoints if sum(other.handler == e.handler for other in endpoints) > 1}
    for endpoint in endpoints:
        operation_id = (
            f"{endpoint.handler}_{endpoint.method.lower()}" if endpoint.handler in shared else endpoint.handler
        )
        paths.setdefault(endpoint.documented_path, {})[endpoint.method.lower()] = _operation(
            endpoint, refs, operation_id
        )
    info = {"title": title, "version": version} | ({"description": description} if description else {})
    generated: dict[str, dict[str, Any]] = {
        "schemas": {**top.get("$defs", {}), "Error": ERROR_SCHEMA},
        "responses": {
            str(status): {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
            for status, text in ERROR_STATUSES.items()
        },
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    }
    for kind, entries in (components or {}).items():
        generated[kind] = {**generated.get(kind, {}), **entries}
    return {"openapi": "3.1.0", "info": info, "paths": paths, "components": generated}


def _operation(endpoint: Endpoint, refs: dict[Any, Any], operation_id: str) -> dict[str, Any]:
    who = f"Who may call it: {endpoint.access.description}."
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "description": f"{endpoint.description}\n\n{who}" if endpoint.description else who,
        "operationId": operation_id,
    }
    if endpoint.tag:
        operation["tags"] = [endpoint.tag]
    if endpoint.access.roles is not None:
        operation["security"] = [{"bearerAuth": []}]
    parameters = _parameters(endpoint)
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        schema = refs[(endpoint.body, "validation")]
        content = {kind: {"schema": schema} for kind in ("application/json", *endpoint.raw_body_types)}
        operation["requestBody"] = {"required": True, "content": content}
    success: dict[str, Any] = {"description": "OK" if endpoint.status != 204 else "Done, nothing to return"}
    if endpoint.response is not None:
        success["content"] = {endpoint.content_type: {"schema": refs[(endpoint.response, "serialization")]}}
    elif endpoint.content_type != "application/json":
        success["content"] = {endpoint.content_type: {"schema": {"type": "string"}}}
    errors = {str(status): {"$ref": f"#/components/responses/{status}"} for status in error_statuses(endpoint)}
    operation["responses"] = {str(endpoint.status): success, **errors}
    return operation


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "maxLength": MAX_PATH_PARAMETER_LENGTH},
        }
        for name in re.findall(r"{(\w+)}", endpoint.documented_path)
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    return params


def error_statuses(endpoint: Endpoint) -> list[int]:
    """The refusals an endpoint can answer, in order."""
    statuses = set(endpoint.extra_statuses)
    if endpoint.body is not None or endpoint.query is not None or "{" in endpoint.path:
        statuses.add(400)
    if endpoint.access.roles is not None:
        statuses |= {401, 403}
    if "{" in endpoint.path:
        statuses.add(404)
    if endpoint.body is not None:
        statuses.add(413)
    return sorted(statuses)


class _PlainDumper(yaml.SafeDumper):
    """Writes a schema used twice twice, instead of YAML anchors (&id001) few readers expect."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=120)
