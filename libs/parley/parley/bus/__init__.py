"""Parley's message bus (RabbitMQ via aio-pika): the only place that opens channels."""

from parley.bus.client import Bus
from parley.bus.consumer import Handler

__all__ = ["Bus", "Handler"]
