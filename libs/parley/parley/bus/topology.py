"""Names of the exchanges and queues of DESIGN.md's bus, in one place."""

from __future__ import annotations

from aio_pika import ExchangeType

COMMANDS = "parley.commands"  # direct: routing key = command type ("<service>.<command>")
EVENTS = "parley.events"  # topic: routing key = event type ("<aggregate>.<event>"), maybe qualified
DELIVER = "parley.deliver"  # direct: routing key = gateway node id
DLX = "parley.dlx"  # fanout: everything that failed repeatedly or could not be read
DEAD_LETTERS_QUEUE = "parley.dead_letters"

EXCHANGES: dict[str, ExchangeType] = {
    COMMANDS: ExchangeType.DIRECT,
    EVENTS: ExchangeType.TOPIC,
    DELIVER: ExchangeType.DIRECT,
    DLX: ExchangeType.FANOUT,
}

# Arguments of every work queue: failures go to the dead-letter exchange, never back in a loop.
WORK_QUEUE_ARGUMENTS = {"x-dead-letter-exchange": DLX}

# Header counting deliveries of a message that failed and was republished for another try.
ATTEMPT_HEADER = "x-parley-attempt"


# Bindings earlier versions made that no handler takes any more: removed when the queue is
# declared, or each such event would reach the queue and be dead-lettered as unreadable.
# presence learns of activity from the gateway's heartbeat batches now; chatbot_engine takes
# only the messages of conversations with a bot.
RETIRED_BINDINGS: dict[str, tuple[str, ...]] = {
    "presence.events": ("message.created", "member.seen", "conversation.typing"),
    "chatbot_engine.events": ("message.created",),
}


def event_binding(event_type: str, qualifier: str | None) -> str:
    """The topic binding of an event type: every routing key of the type (``#`` also matches
    none, so the bare type too), or only those with ``qualifier``."""
    return f"{event_type}.{qualifier}" if qualifier else f"{event_type}.#"


def commands_queue(service: str) -> str:
    return f"{service}.commands"


def events_queue(service: str) -> str:
    return f"{service}.events"


def node_events_queue(service: str, node: str) -> str:
    return f"{service}.events.{node}"


def deliver_queue(node: str) -> str:
    return f"gateway.deliver.{node}"


def reply_queue(service: str, node: str) -> str:
    return f"reply.{service}.{node}"
