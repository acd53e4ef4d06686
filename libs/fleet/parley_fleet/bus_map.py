"""docs/bus.md, generated: every bus contract with its exchange and routing key, who sends it and
who takes it, read from the code itself.

- The contracts and their types come from the registry (``parley.contracts.base.REGISTRY``).
- Who takes one: each service's ``bus.on_command`` / ``on_event`` / ``on_node_event``
  registration of it; a command's reply is its handler's return annotation.
- Who sends one: each service (or libs/parley) whose code constructs the contract's model.

The services are read as source (``ast``), never imported: no settings, no brokers. A unit test
(tests/unit/test_docs.py) fails when docs/bus.md differs from what this prints; refresh it with
``.venv/bin/python -m parley_fleet.bus_map --write``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from parley.bus import topology
from parley.contracts.base import REGISTRY, Contract
from parley.contracts.commands import Reply

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "bus.md"
CONTRACT_MODULES = ("commands", "events", "bot", "messages")
REGISTRATIONS = {"on_command": "command", "on_event": "event", "on_node_event": "node event"}
SHARED = "libs/parley"


@dataclass
class Usage:
    senders: set[str] = field(default_factory=set)
    takers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # how -> services
    replies: set[str] = field(default_factory=set)
    qualifiers: set[str] = field(default_factory=set)


def contracts() -> dict[str, type[Contract]]:
    for module in CONTRACT_MODULES:
        importlib.import_module(f"parley.contracts.{module}")
    return {model.__name__: model for model in REGISTRY.values()}


def sources() -> dict[str, list[Path]]:
    """Who -> their Python files: each service, and the shared library."""
    found = {
        path.name: sorted(path.glob("parley_*/**/*.py"))
        for path in sorted((ROOT / "services").iterdir())
        if path.is_dir()
    }
    found[SHARED] = sorted((ROOT / "libs" / "parley" / "parley").glob("**/*.py"))
    return found


def usages(models: dict[str, type[Contract]]) -> dict[str, Usage]:
    used: dict[str, Usage] = defaultdict(Usage)
    for owner, files in sources().items():
        for path in files:
            if owner == SHARED and "contracts" in path.parts:
                continue  # the models' own module builds them in examples and defaults
            tree = ast.parse(path.read_text(), str(path))
            returns = {
                node.name: node.returns
                for node in ast.walk(tree)
                if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    _call(owner, node, models, returns, used)
    return used


def _call(
    owner: str,
    node: ast.Call,
    models: dict[str, type[Contract]],
    returns: dict[str, ast.expr | None],
    used: dict[str, Usage],
) -> None:
    name = _name(node.func)
    if name in models:
        used[name].senders.add(owner)
        return
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in REGISTRATIONS and node.args):
        return
    contract = _name(node.args[0])
    if contract not in models:
        return
    usage = used[contract]
    usage.takers[REGISTRATIONS[node.func.attr]].add(owner)
    for keyword in node.keywords:
        if keyword.arg == "only":
            usage.qualifiers.add(f"{owner} (only `{ast.unparse(keyword.value)}`)")
    if node.func.attr == "on_command" and len(node.args) > 1:
        annotation = returns.get(_name(node.args[1]) or "")
        if annotation is not None:
            usage.replies.add(ast.unparse(annotation))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def render() -> str:
    models = contracts()
    used = usages(models)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for name, model in sorted(models.items(), key=lambda item: item[1].TYPE):
        if model is Reply:
            continue  # the answer to every command: described in the introduction
        usage = used.get(name, Usage())
        kind = _kind(model, usage)
        by_kind[kind].append(_row(kind, name, model, usage))
    # The queue names of the introduction, spelled by topology with placeholders for the variable parts.
    commands_queue = topology.commands_queue("<service>")
    events_queue = topology.events_queue("<service>")
    node_events_queue = topology.node_events_queue("<service>", "<node>")
    reply_queue = topology.reply_queue("<service>", "<node>")
    out = [
        "# The bus: every contract, where it travels, who sends it and who takes it",
        "",
        "Generated from the code by `python -m parley_fleet.bus_map --write` (libs/fleet/parley_fleet/bus_map.py);",
        "tests/unit/test_docs.py fails when this file differs. Do not edit by hand.",
        "",
        f"Exchanges: `{topology.COMMANDS}` (direct, key = command type), `{topology.EVENTS}` (topic, key = event",
        f"type, maybe qualified), `{topology.DLX}` (dead letters), `{topology.DELAY}` (retries waiting out",
        f"their backoff). Queues: `{commands_queue}` (competing consumers), `{events_queue}` (one durable",
        f"queue per service), `{node_events_queue}` (exclusive per node), and beside each durable one",
        f"`{topology.parked_queue('<queue>')}` (its work waiting for a dependency that outlasted the retries,",
        f"back in the queue every {topology.PARK_SECONDS:g} s). A command's answer is a `reply`",
        "(`Reply`: the result or an error code) sent through the default exchange to the asker's own queue",
        f"`{reply_queue}`. Frames for clients do not travel on the bus: they are published on the",
        "recipients' Redis delivery channels (docs/delivery.md). A gateway sends `chat_session.send_message`",
        "over a Redis stream instead (`Service.on_stream_command`, parley.command_streams); the chatbot",
        "sends it on the bus, and chat_session takes it from both.",
        '"Sent by" lists each service whose code builds the model; "-" means only tests send it.',
        '"(only `...`)" names the one qualifier a consumer binds (`topology.UNQUALIFIED`: the bare type);',
        "a consumer may bind another qualifier at run time (`Bus.bind_events`): integrations takes",
        "`integrations.outbound.messages` (every chat message no bot is to get) only while a webhook",
        "subscribes to `message.created` (services/integrations/parley_integrations/bindings.py).",
    ]
    titles = {
        "command": ("Commands", "| type (version) | model | reply | routing key | sent by | handled by |"),
        "event": ("Events", "| type (version) | model | routing key | published by | consumed by |"),
        "unused": ("Registered but not on the bus", "| type (version) | model | built by |"),
    }
    for kind in ("command", "event", "unused"):
        if not by_kind[kind]:
            continue
        title, header = titles[kind]
        out += ["", f"## {title}", "", header, _rule(header)]
        out += by_kind[kind]
    return "\n".join(out) + "\n"


def _rule(header: str) -> str:
    return "|" + "|".join(" --- " for _ in range(header.count("|") - 1)) + "|"


def _kind(model: type[Contract], usage: Usage) -> str:
    if "command" in usage.takers:
        return "command"
    if "event" in usage.takers or "node event" in usage.takers:
        return "event"
    module = model.__module__.rsplit(".", 1)[-1]
    return {"commands": "command", "events": "event"}.get(module, "unused")


def _row(kind: str, name: str, model: type[Contract], usage: Usage) -> str:
    type_ = f"`{model.TYPE}` ({model.VERSION})"
    senders = _list(usage.senders)
    if kind == "command":
        replies = ", ".join(f"`{reply}`" for reply in sorted(usage.replies)) or "-"
        handlers = _list(usage.takers.get("command", set()))
        return f"| {type_} | `{name}` | {replies} | `{model.TYPE}` | {senders} | {handlers} |"
    if kind == "event":
        takers = [f"{service} (each node)" for service in sorted(usage.takers.get("node event", set()))]
        qualified = {taker.split(" ", 1)[0] for taker in usage.qualifiers}
        takers += sorted(usage.takers.get("event", set()) - qualified)
        takers += sorted(usage.qualifiers)
        return f"| {type_} | `{name}` | `{model.TYPE}[.<qualifier>]` | {senders} | {', '.join(takers) or '-'} |"
    return f"| {type_} | `{name}` | {senders} |"


def _list(owners: set[str]) -> str:
    return ", ".join(sorted(owners)) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(ROOT)} instead of printing")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
