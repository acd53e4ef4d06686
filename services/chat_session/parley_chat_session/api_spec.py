"""The HTTP API described once: each endpoint's route, access rule and models.

The routes are registered from this table, and the OpenAPI document (served at
``/openapi.yaml``, kept in ``docs/chat-session-openapi.yaml``) is generated from it and the
pydantic models, so the document cannot drift from what the service accepts and answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

PUBLIC = "public"
ADMIN = "admins"
STAFF = "admins and operators"
CHANNEL_STAFF = "admins, and the channel's operators"
READERS = "the conversation's members, and admins"
VISITOR = "the conversation's visitor"
ANYONE = "any signed-in user"

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_STATUSES = {
    400: "Bad argument (9105): the message names the field or parameter",
    401: "Missing, invalid or expired token (9004, 7001)",
    403: "Not allowed: the caller's role, or not a member (9101)",
    404: "Unknown channel (9103) or conversation (9102)",
    409: "The conversation is closed (9104)",
    413: "Body larger than 64 KiB (9002)",
    422: "A sensitive word (8001)",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: str  # the name of the API object's method that serves it
    summary: str
    tag: str
    access: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"


def route_table(endpoints: list[Endpoint], *owners: object) -> list[web.RouteDef]:
    """aiohttp routes: each endpoint served by the method ``handler`` of the first owner that has it."""
    routes = []
    for endpoint in endpoints:
        handler: Callable[..., Any] | None = next(
            (getattr(owner, endpoint.handler) for owner in owners if hasattr(owner, endpoint.handler)), None
        )
        if handler is None:
            raise RuntimeError(f"no handler {endpoint.handler} for {endpoint.method} {endpoint.path}")
        routes.append(web.route(endpoint.method, endpoint.path, handler))
    return routes


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    return params


def _operation(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "description": f"Who may call it: {endpoint.access}.",
        "tags": [endpoint.tag],
        "operationId": endpoint.handler,
    }
    if endpoint.access != PUBLIC:
        operation["security"] = [{"bearerAuth": []}]
    parameters = _parameters(endpoint)
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        schema = refs[(endpoint.body, "validation")]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    success: dict[str, Any] = {"description": "OK" if endpoint.status != 204 else "Done, nothing to return"}
    if endpoint.response is not None:
        success["content"] = {endpoint.content_type: {"schema": refs[(endpoint.response, "serialization")]}}
    elif endpoint.content_type != "application/json":
        success["content"] = {endpoint.content_type: {"schema": {"type": "string"}}}
    errors = {str(status): {"$ref": f"#/components/responses/{status}"} for status in _error_statuses(endpoint)}
    operation["responses"] = {str(endpoint.status): success, **errors}
    return operation


def _error_statuses(endpoint: Endpoint) -> list[int]:
    statuses = []
    if endpoint.body is not None or endpoint.query is not None:
        statuses.append(400)
    if endpoint.access != PUBLIC:
        statuses += [401, 403]
    if "{" in endpoint.path:
        statuses.append(404)
    if endpoint.body is not None:
        statuses.append(413)
    return statuses


def openapi_document(endpoints: list[Endpoint], title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``endpoints``."""
    wanted = {(e.body, "validation") for e in endpoints if e.body}
    wanted |= {(e.response, "serialization") for e in endpoints if e.response}
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, top = models_json_schema(ordered, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**top.get("$defs", {}), "Error": error},
            "responses": {
                str(status): {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
                for status, text in ERROR_STATUSES.items()
            },
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


class _PlainDumper(yaml.SafeDumper):
    """Writes a schema used twice twice, instead of YAML anchors (&id001) few readers expect."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=120)
