"""Declaring durable queues, and what to do when the broker already has one that differs.

RabbitMQ never changes a queue's type or arguments in place: declaring a queue that exists with
other ones fails with PRECONDITION_FAILED and closes the channel. The usual cause is an upgrade:
a Parley from before issue 23 declared classic queues, this one declares quorum queues. Carrying
on with the old queue would hide that the service lost the guarantee it was deployed for, so the
process stops, and its error names the queue and the way out (docs/operations.md).
"""

from __future__ import annotations

import re
from typing import Any

import aio_pika

from parley.bus import topology
from parley.logs import get_logger

log = get_logger("parley.bus")

MIGRATION_DOC = "docs/operations.md, 'Classic queues to quorum queues'"


class QueueMismatch(RuntimeError):
    """A durable queue exists with other arguments than this build declares."""


# The broker names the first argument it found different ("inequivalent arg 'x-overflow' ...
# but current is none"), in no documented order. Each of these only ever came with a quorum
# queue of ours: the queue lacking one is a classic queue of an earlier version.
QUORUM_ONLY = frozenset({*topology.QUORUM, *topology.AT_LEAST_ONCE_DEAD_LETTERING, "x-delivery-limit"})
_MISSING = re.compile(r"inequivalent arg '([^']+)'.*but current is none")


def explain(queue: str, refusal: str) -> str:
    """What the operator reads: the queue, why the broker refused it, and what to do."""
    missing = _MISSING.search(refusal)
    if missing is not None and missing.group(1) in QUORUM_ONLY:
        return (
            f"queue {queue!r} is a classic queue (declared by a Parley from before issue 23); every durable "
            "queue is a quorum queue now and RabbitMQ cannot convert one in place. Nothing was changed. "
            "Move the fleet to a new vhost whose queues this version declares, then shovel what is left "
            f"in the old one: {MIGRATION_DOC}."
        )
    if "'x-delivery-limit'" in refusal:
        return (
            f"queue {queue!r} was declared with another x-delivery-limit: it is bus_max_attempts - 1, and "
            "bus_max_attempts differs from the value of the process that declared it. Give every node of "
            "the service the same bus_max_attempts, or change it by moving to a new vhost "
            f"({MIGRATION_DOC}). Broker: {refusal}"
        )
    return f"queue {queue!r} exists with other arguments than this version declares ({MIGRATION_DOC}): {refusal}"


async def declare_durable(channel: Any, name: str, arguments: dict[str, object]) -> Any:
    try:
        return await channel.declare_queue(name, durable=True, arguments=arguments)
    except aio_pika.exceptions.ChannelPreconditionFailed as error:
        message = explain(name, str(error))
        log.error("bus.queue_mismatch", queue=name, wanted=arguments, error=message)
        raise QueueMismatch(message) from error
