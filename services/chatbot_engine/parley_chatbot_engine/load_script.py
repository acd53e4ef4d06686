"""Load chatbot script files into MongoDB: ``python -m parley_chatbot_engine.load_script FILE...``.

Reads PARLEY_MONGO_URL / PARLEY_MONGO_DB like the engine. ``--check`` only validates. Every
problem of every file is printed; nothing is stored unless every file is valid. Exit status: 0
when all files were loaded (or are valid), 1 when one is not, 2 on a bad configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from parley.settings import load_settings
from parley.stores import mongo_client, mongo_database
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.script_checks import Problem, ScriptInvalid
from parley_chatbot_engine.script_store import ScriptStore, load_file
from parley_chatbot_engine.settings import ChatbotEngineSettings

EXAMPLES = Path(__file__).resolve().parents[1] / "scripts"


def example_script_files() -> list[Path]:
    """The example scripts shipped with the engine (a support triage and a lead-qualification bot)."""
    return sorted(EXAMPLES.glob("*.yaml"))


def parse_files(paths: list[Path]) -> list[Script]:
    """Every file's script; ScriptInvalid lists the problems of all bad files, each with its file."""
    scripts: list[Script] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            scripts.append(load_file(path))
        except ScriptInvalid as error:
            problems.extend(p.model_copy(update={"path": f"{path.name}: {p.path}"}) for p in error.problems)
        except OSError as error:
            problems.append(Problem(path=str(path), message=f"cannot read: {error.strerror}"))
    if problems:
        raise ScriptInvalid(problems)
    return scripts


async def load_script_files(paths: list[Path], settings: ChatbotEngineSettings) -> list[Script]:
    """Validate every file, then store them all (nothing is stored if one is invalid)."""
    scripts = parse_files(paths)
    client = mongo_client(settings, "chatbot_engine/load_script")
    try:
        store = ScriptStore(mongo_database(client, settings))
        for script in scripts:
            await store.put(script)
    finally:
        await client.close()
    return scripts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parley_chatbot_engine.load_script", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="YAML or JSON script files (default: the examples)")
    parser.add_argument("--check", action="store_true", help="validate only, store nothing")
    args = parser.parse_args(argv)
    paths = args.files or example_script_files()
    try:
        if args.check:
            scripts = parse_files(paths)
        else:
            scripts = asyncio.run(load_script_files(paths, load_settings(ChatbotEngineSettings)))
    except ScriptInvalid as error:
        sys.stderr.write("invalid chatbot script:\n" + "".join(f"  {p.path}: {p.message}\n" for p in error.problems))
        return 1
    verb = "valid" if args.check else "loaded"
    sys.stdout.write("".join(f"{verb}: {script.id} ({len(script.steps)} steps)\n" for script in scripts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
