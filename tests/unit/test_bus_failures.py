"""Which failures park a message (a dependency away) and which dead-letter it (the message itself)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)
from redis.exceptions import BusyLoadingError, ReadOnlyError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from parley.bus.failures import is_outage, is_permanent


class Strict(BaseModel):
    number: int


def _validation_error() -> ValidationError:
    try:
        Strict.model_validate({"number": "not a number"})
    except ValidationError as error:
        return error
    raise AssertionError("validated")


def _wrapped(cause: Exception) -> Exception:
    """A store that turns the driver's error into its own, keeping the cause."""
    try:
        try:
            raise cause
        except Exception as error:
            raise RuntimeError("could not load the conversation") from error
    except RuntimeError as wrapper:
        return wrapper


def _retryable_write_error() -> OperationFailure:
    error = OperationFailure("not primary", code=10107)
    error._add_error_label("RetryableWriteError")
    return error


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"),
        AutoReconnect("connection reset"),
        NetworkTimeout("timed out"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        RedisTimeoutError("Timeout reading from socket"),
        BusyLoadingError("Redis is loading the dataset in memory"),
        ReadOnlyError("You can't write against a read only replica."),
        ConnectionRefusedError(111, "Connection refused"),
        _retryable_write_error(),
        _wrapped(ServerSelectionTimeoutError("no servers")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_dependency_that_cannot_be_reached_is_an_outage(error: Exception) -> None:
    assert is_outage(error)
    assert not is_permanent(error)  # retried first, parked only once the retries are spent


@pytest.mark.parametrize(
    "error",
    [
        _validation_error(),
        ValueError("unknown conversation"),
        KeyError("conversation_id"),
        OperationFailure("FailedToParse", code=9),
        DuplicateKeyError("E11000"),
        ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        RuntimeError("a bug"),
        TimeoutError(),  # the handler's own time limit: a handler that hangs on this input would again
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_failure_of_the_message_or_the_code_is_not_an_outage(error: Exception) -> None:
    assert not is_outage(error)
