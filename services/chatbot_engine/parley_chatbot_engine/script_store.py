"""Chatbot scripts in MongoDB (``chatbot_scripts``), and their YAML / JSON files.

A script is stored as validated; storing one under an existing id replaces it (conversations in
the middle of it carry on from their step id, or finish if that step is gone).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.script_checks import Problem, ScriptInvalid, parse_script

FileFormat = Literal["yaml", "json"]


def read_document(text: str | bytes, fmt: FileFormat) -> Any:
    """Parse a script file's text; a syntax error is a ScriptInvalid with the parser's message."""
    try:
        return yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    except (yaml.YAMLError, ValueError) as error:
        raise ScriptInvalid([Problem(path="script", message=f"not valid {fmt.upper()}: {error}")]) from None
    except RecursionError:
        # Both parsers recurse per level of nesting: a few thousand levels (a 64 KiB body holds
        # over ten thousand) exhaust the stack. No script nests more than a handful.
        raise ScriptInvalid([Problem(path="script", message=f"not valid {fmt.upper()}: nested too deeply")]) from None


def parse_text(text: str | bytes, fmt: FileFormat) -> Script:
    return parse_script(read_document(text, fmt))


def dump_script(script: Script, fmt: FileFormat) -> str:
    """The script as a file: what :func:`parse_text` reads back into the same script."""
    document = script.model_dump(mode="json", exclude_defaults=True)
    document = {"id": script.id, "name": script.name, **document}
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def format_of(path: Path) -> FileFormat:
    return "json" if path.suffix.lower() == ".json" else "yaml"


def load_file(path: Path) -> Script:
    """A script from a .yaml/.yml or .json file (ScriptInvalid lists what is wrong with it)."""
    return parse_text(path.read_text(encoding="utf-8"), format_of(path))


class ScriptStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._scripts = db["chatbot_scripts"]

    async def put(self, script: Script) -> None:
        """Store (or replace) a script that parse_script accepted."""
        doc = {"_id": script.id, "script": script.model_dump(mode="json"), "updated_at": datetime.now(UTC)}
        await self._scripts.replace_one({"_id": script.id}, doc, upsert=True)

    async def get(self, script_id: str) -> Script | None:
        doc = await self._scripts.find_one({"_id": script_id})
        return Script.model_validate(doc["script"]) if doc is not None else None

    async def require(self, script_id: str) -> Script:
        script = await self.get(script_id)
        if script is None:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no chatbot script {script_id!r}")
        return script

    async def list(self) -> list[dict[str, Any]]:
        docs = await self._scripts.find({}).sort("_id", 1).to_list()
        return [
            {
                "id": doc["_id"],
                "name": doc["script"]["name"],
                "steps": len(doc["script"]["steps"]),
                "updated_at": doc["updated_at"],
            }
            for doc in docs
        ]

    async def delete(self, script_id: str) -> None:
        result = await self._scripts.delete_one({"_id": script_id})
        if result.deleted_count == 0:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no chatbot script {script_id!r}")
