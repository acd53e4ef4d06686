"""Names of the exchanges and queues of docs/design.md's bus, in one place."""

from __future__ import annotations

from aio_pika import ExchangeType

COMMANDS = "parley.commands"  # direct: routing key = command type ("<service>.<command>")
EVENTS = "parley.events"  # topic: routing key = event type ("<aggregate>.<event>"), maybe qualified
DLX = "parley.dlx"  # fanout: everything that failed repeatedly or could not be read
DEAD_LETTERS_QUEUE = "parley.dead_letters"
DELAY = "parley.delay"  # headers: a failed message waits out its backoff here, then returns to its queue

EXCHANGES: dict[str, ExchangeType] = {
    COMMANDS: ExchangeType.DIRECT,
    EVENTS: ExchangeType.TOPIC,
    DLX: ExchangeType.FANOUT,
    DELAY: ExchangeType.HEADERS,
}

# Every durable queue is a quorum queue: replicated by Raft on a majority of the cluster's nodes,
# so a node that goes takes none of its messages along (a classic queue lives on one node, and
# classic mirroring no longer exists). Exclusive queues (a node's own deliveries, node events and
# replies) stay classic: a quorum queue cannot be exclusive, and they die with their node anyway.
QUORUM = {"x-queue-type": "quorum"}

# A quorum queue dead-letters at most once by default: a message whose dead-letter target is
# away at that moment (its leader on the node that just went) is dropped. At least once keeps it
# in the source queue until the target confirmed it; RabbitMQ requires reject-publish overflow
# for that (these queues have no length limit, so nothing is ever refused for it).
AT_LEAST_ONCE_DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def delivery_limit(max_attempts: int) -> int:
    """The broker's own count of a message's returns before it dead-letters it.

    The consumer retries a failure by republishing a copy (counted in ATTEMPT_HEADER) after its
    backoff; the broker counts something else: the times one copy went back to the queue
    unsettled, because the consumer holding it lost its connection or died mid-handler. A message
    that kills its consumer every time would loop forever without this limit. The consumer adds
    those returns to its own count (``x-delivery-count``), so one message gets ``max_attempts``
    deliveries in all whichever way it fails; the broker allows a copy its first delivery and
    ``max_attempts - 1`` returns, the same budget, for the case the consumer never sees the end."""
    return max_attempts - 1


def work_queue_arguments(max_attempts: int) -> dict[str, object]:
    """A service's durable commands or events queue: failures go to the dead-letter exchange,
    never back in a loop."""
    return {
        **QUORUM,
        "x-dead-letter-exchange": DLX,
        **AT_LEAST_ONCE_DEAD_LETTERING,
        "x-delivery-limit": delivery_limit(max_attempts),
    }


# A node's exclusive queues: classic (see QUORUM), failures dead-lettered like the others'.
NODE_QUEUE_ARGUMENTS = {"x-dead-letter-exchange": DLX}

# The dead letters are kept for a person to look at, not forever: a flood of poison messages
# must not grow the broker's memory without bound. 10,000 is days of an incident's worth; past
# it the oldest go first (the alert ParleyDeadLettersGrowing has fired long before).
DEAD_LETTERS_MAX_LENGTH = 10_000
DEAD_LETTERS_ARGUMENTS = {**QUORUM, "x-max-length": DEAD_LETTERS_MAX_LENGTH, "x-overflow": "drop-head"}

# Backoff before a failed message is tried again: the first retries come quickly, so a transient
# failure costs the user well under a second; the later ones wait longer, so with the default 8
# attempts a message rides out about 28 s of a dependency being away (a Redis or MongoDB restart,
# a failover) before it is dead-lettered. With 5 attempts (3.6 s), the chaos suite's 4 s Redis
# stop dead-lettered presence's events.
RETRY_BACKOFF_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 10.0)

# A message waiting for its retry sits in the delay queue of its backoff, not in the consumer:
# it holds no prefetch slot meanwhile, so failing messages never starve the others. One queue per
# backoff (every message in it has the same TTL, so they expire in order); when it expires the
# queue dead-letters it through the default exchange with its routing key, its work queue's name.
# Not "x-" prefixed: a headers exchange ignores such headers when it matches.
DELAY_HEADER = "parley-delay-ms"


def delay_queue(milliseconds: int) -> str:
    return f"{DELAY}.{milliseconds}ms"


def delay_milliseconds() -> list[int]:
    return sorted({round(seconds * 1000) for seconds in RETRY_BACKOFF_SECONDS})


def delay_queue_arguments(milliseconds: int) -> dict[str, object]:
    # Quorum too: a message waiting out its backoff is as accepted as one in its work queue.
    return {**QUORUM, "x-message-ttl": milliseconds, "x-dead-letter-exchange": "", **AT_LEAST_ONCE_DEAD_LETTERING}


def delay_binding(milliseconds: int) -> dict[str, object]:
    # Strings, not numbers: a headers exchange matches a value's AMQP type too.
    return {"x-match": "all", DELAY_HEADER: str(milliseconds)}


# Header counting deliveries of a message that failed and was republished for another try.
ATTEMPT_HEADER = "x-parley-attempt"

# Parking: a message whose dependency (MongoDB, Redis, a peer) is still away after the whole retry
# budget waits in its work queue's parking queue instead of the dead letters (failures.is_outage
# tells the two apart). The parking queue holds it PARK_SECONDS, then dead-letters it back to its
# work queue by itself (no process has to be alive to release it), where it gets one more try:
# parked again if the dependency is still away, done if it is back. A quorum queue like the work
# queue: a parked message is as accepted as one waiting for its first try.
PARK_SECONDS = 15.0
# When the message was first parked (epoch milliseconds, kept across its rounds): its age in
# parley_bus_parked_oldest_age_seconds, and what tells the consumer it comes back from parking.
PARKED_AT_HEADER = "x-parley-parked-at"
# Set on a retry once any attempt of the message met a dependency away (failures.is_outage). Its
# last attempt running out of time (the handler's own limit) is then the outage's aftermath, not
# a hung handler: right after the dependency returns, the work held back by it (retries, parked
# rounds, clients' resends of the same message) comes at once and queues behind the same
# conversation's turn; such a message is parked for one more try, not dead-lettered (the chaos
# row "MongoDB-wire server stopped (60 s)" under CI's load: 6 such messages dead-lettered).
OUTAGE_SEEN_HEADER = "x-parley-outage-seen"


def parked_queue(queue: str) -> str:
    return f"{queue}.parked"


def parked_queue_arguments(queue: str) -> dict[str, object]:
    return {
        **QUORUM,
        "x-message-ttl": round(PARK_SECONDS * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
        **AT_LEAST_ONCE_DEAD_LETTERING,
    }


# Bindings earlier versions made that no handler takes any more: removed when the queue is
# declared, or each such event would reach the queue and be dead-lettered as unreadable.
# presence learns of activity from the gateway's heartbeat batches now; chatbot_engine takes
# only the messages of conversations with a bot.
RETIRED_BINDINGS: dict[str, tuple[str, ...]] = {
    # presence kept a second count of operators' load from conversation events; chat_session owns it.
    "presence.events": (
        "message.created",
        "member.seen",
        "conversation.typing",
        "conversation.updated.#",
        "conversation.closed.#",
    ),
    "chatbot_engine.events": ("message.created",),
    # notification relays no frame any more (chat_session publishes them on the members' delivery
    # channels): it takes message.created and member.seen only when web push is configured.
    "notification.events": ("conversation.typing.#", "message.created.#", "member.seen.#"),
    # integrations takes the per-message stream of webhook events (integrations.outbound.messages)
    # only while a webhook subscribes to message.created (parley_integrations.bindings).
    "integrations.events": ("integrations.outbound.#",),
}


# ``Bus.on_event(..., only=UNQUALIFIED)``: only the events published with the bare type as key.
UNQUALIFIED = ""


def event_binding(event_type: str, qualifier: str | None) -> str:
    """The topic binding of an event type: every routing key of the type (``#`` also matches
    none, so the bare type too), only those with ``qualifier``, or only the bare type."""
    if qualifier is None:
        return f"{event_type}.#"
    return f"{event_type}.{qualifier}" if qualifier else event_type


def commands_queue(service: str) -> str:
    return f"{service}.commands"


def events_queue(service: str) -> str:
    return f"{service}.events"


def node_events_queue(service: str, node: str) -> str:
    return f"{service}.events.{node}"


def reply_queue(service: str, node: str) -> str:
    return f"reply.{service}.{node}"
