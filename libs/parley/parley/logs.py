"""Structured logging for every service: JSON lines off a TTY, coloured console on one.

Every line carries ``service`` and ``node``; ``trace_id`` (and any other request-scoped key)
comes from :func:`bind_context`, which uses context variables so concurrent handlers never mix
their ids.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import structlog


def configure_logging(*, service: str, node: str, level: str = "info", fmt: str = "auto") -> None:
    """Set up structlog (and route stdlib logging through it) once per process."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _static_fields(service=service, node=node),
    ]
    renderer: Any
    if use_json:
        renderer = structlog.processors.JSONRenderer(serializer=lambda obj, **_: orjson.dumps(obj).decode())
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())

    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # Libraries' chatter at info level (every AMQP channel, every HTTP access) drowns the
    # service's own lines; their warnings still come through.
    for noisy in ("aiormq", "aio_pika", "aiohttp.access", "pymongo"):
        logging.getLogger(noisy).setLevel(max(numeric_level, logging.WARNING))


def _static_fields(**fields: str) -> Any:
    def add(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in fields.items():
            event.setdefault(key, value)
        return event

    return add


@contextmanager
def bind_context(**values: Any) -> Iterator[None]:
    """Bind keys such as ``trace_id`` to every log line written inside the block."""
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
