"""The admin API's OpenAPI document, generated from the endpoint table and the models.

``docs/chatbot-openapi.yaml`` holds the same text (a test compares them); after changing the
API, regenerate it: ``python -m parley_chatbot_engine.openapi > docs/chatbot-openapi.yaml``.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from parley_chatbot_engine.api import ENDPOINTS, Endpoint, Validation

TITLE = "Parley chatbot_engine admin API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Chatbot scripts (JSON or YAML), their validation, the FAQ entries of each channel, and a "
    "conversation's bot state. Every call needs a bearer token from auth (admin, or an operator of "
    "the conversation's channel for a conversation's bot state)."
)
ERROR = {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}
    },
}


def _schemas() -> dict[str, Any]:
    models: list[type[BaseModel]] = [Validation]
    for endpoint in ENDPOINTS:
        models.extend(model for model in (endpoint.body, endpoint.response) if model is not None)
    unique = list(dict.fromkeys(models))
    keyed = [(model, "validation") for model in unique] + [(model, "serialization") for model in unique]
    _, schema = models_json_schema(keyed, ref_template="#/components/schemas/{model}", by_alias=True)
    return {**schema.get("$defs", {}), "Error": ERROR_SCHEMA}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.handler}_{endpoint.method.lower()}",
        "summary": endpoint.summary,
        "description": f"Roles: {', '.join(endpoint.roles)}.",
        "security": [{"bearer": []}],
    }
    names = re.findall(r"{(\w+)}", endpoint.path)
    if names:
        operation["parameters"] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]
    if endpoint.body is not None:
        content = {"application/json": _json(endpoint.body)}
        if endpoint.yaml_body:
            content["application/yaml"] = _json(endpoint.body)
        operation["requestBody"] = {"required": True, "content": content}
    success: dict[str, Any] = {"description": "done"}
    if endpoint.response is not None:
        success["content"] = {"application/json": _json(endpoint.response)}
    responses: dict[str, Any] = {str(endpoint.status): success, "400": ERROR, "401": ERROR, "403": ERROR}
    for status, why in endpoint.refusals:
        responses[str(status)] = {**ERROR, "description": why}
    if endpoint.yaml_body:
        responses["422"] = {"description": "the script is invalid: every problem", "content": {"application/json": _json(Validation)}}
    operation["responses"] = responses
    return operation


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated parts out in full: anchors and aliases make the document hard to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def openapi_yaml() -> str:
    return yaml.dump(openapi_document(), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    sys.stdout.write(openapi_yaml())
