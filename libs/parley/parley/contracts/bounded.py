"""Bounded values: the ranges and shapes every client-sent number and free-form object keeps.

A value a contract accepts must be one every hop can carry and MongoDB can store: a seq of
2**63 passes a bare ``int`` but cannot be encoded as BSON, and a key ``$set`` or ``a.b`` passes
a bare ``dict`` but MongoDB refuses the document. Such a command could never succeed however
often it is retried, so these types refuse it where it enters (a 9001 frame error, a 9105 HTTP
error) instead.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, Field

# The largest integer a JavaScript client holds exactly (Number.MAX_SAFE_INTEGER); BSON's int64
# holds it too. A conversation would need a message a microsecond for 285 years to reach it.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_SEQ = MAX_SAFE_INTEGER
# A message position a client names (0: before the first message).
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]
# A position that must name a message (seqs start at 1).
MessageSeq = Annotated[int, Field(ge=1, le=MAX_SEQ)]

# A free-form object (an action's parameters) is a small record, not a document store: four
# levels hold any sensible "meaning + parameters" shape, and the limits below keep one message
# far under the 64 KiB frame and the bus message it travels in.
MAX_OBJECT_DEPTH = 4
MAX_OBJECT_ITEMS = 100  # keys and list elements, counted through every level
MAX_OBJECT_BYTES = 8 * 1024  # the object as compact JSON
MAX_KEY_LENGTH = 64


def _check_key(key: str, path: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"{path}: a key is 1-{MAX_KEY_LENGTH} characters")
    # MongoDB refuses these in a stored document: `$` starts an operator, `.` is a path, NUL ends a key.
    if key.startswith("$") or "." in key or "\x00" in key:
        raise ValueError(f"{path}: a key must not start with '$' or contain '.' or NUL ({key[:20]!r})")


def _check_value(value: Any, depth: int, path: str, items: list[int]) -> None:
    """Walk ``value`` at nesting ``depth`` (the object itself is 1); ``items`` counts what it saw."""
    if depth > MAX_OBJECT_DEPTH:
        raise ValueError(f"{path}: nested deeper than {MAX_OBJECT_DEPTH} levels")
    if isinstance(value, dict):
        children = list(value.items())
        for key, _ in children:
            if not isinstance(key, str):
                raise ValueError(f"{path}: keys are strings")
            _check_key(key, path)
    elif isinstance(value, list):
        children = [(str(index), child) for index, child in enumerate(value)]
    else:
        _check_scalar(value, path)
        return
    items[0] += len(children)
    if items[0] > MAX_OBJECT_ITEMS:
        raise ValueError(f"more than {MAX_OBJECT_ITEMS} keys and list elements in all")
    for key, child in children:
        if isinstance(child, dict | list):
            _check_value(child, depth + 1, f"{path}.{key}", items)
        else:
            _check_scalar(child, f"{path}.{key}")


def _check_scalar(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SEQ:  # beyond this a JavaScript client rounds it, beyond 2**63 BSON cannot hold it
            raise ValueError(f"{path}: integers are within ±{MAX_SEQ}")
        return
    if isinstance(value, float):
        if not math.isfinite(value):  # MongoDB refuses infinities, and JSON has no NaN
            raise ValueError(f"{path}: numbers are finite")
        return
    raise ValueError(f"{path}: a value is a string, number, boolean, null, list or object")


def check_storable_object(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if it keeps the :data:`StorableObject` rules, else ValueError naming the first break."""
    _check_value(value, 1, "object", [0])
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError:  # a lone surrogate: not UTF-8, so neither JSON nor BSON
        raise ValueError("a string is not valid Unicode") from None
    if size > MAX_OBJECT_BYTES:
        raise ValueError(f"larger than {MAX_OBJECT_BYTES} bytes as JSON")
    return value


StorableObject = Annotated[
    dict[str, Any],
    AfterValidator(check_storable_object),
    Field(
        description=f"A JSON object of at most {MAX_OBJECT_DEPTH} levels, {MAX_OBJECT_ITEMS} keys and list elements "
        f"in all and {MAX_OBJECT_BYTES} bytes; keys are 1-{MAX_KEY_LENGTH} characters, none starting with '$' or "
        f"containing '.' or NUL; numbers are finite, integers within ±(2^53-1)."
    ),
]
"""A free-form object a client may send (an action's parameters): bounded in depth, size and
keys, so that whatever the model accepts, MongoDB stores as it is."""
