"""HTTP plumbing shared by every service's API: JSON in and out, errors, metrics, CORS."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ValidationError

from parley import metrics
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger

log = get_logger("parley.http")
ModelT = TypeVar("ModelT", bound=BaseModel)
RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Request bodies of the HTTP APIs are small JSON documents; anything larger is refused early.
MAX_BODY_BYTES = 64 * 1024
# Browsers may cache a CORS preflight answer this long (10 min), sparing a round trip per call.
CORS_MAX_AGE_SECONDS = 600

HTTP_STATUS = {
    ErrorCode.MAINTENANCE: 503,
    ErrorCode.TOKEN_INVALID: 401,
    ErrorCode.IDENTITY_FORGED: 401,
    ErrorCode.IDENTITY_OTHER_CHANNEL: 401,
    ErrorCode.IDENTITY_EXPIRED: 401,
    ErrorCode.IDENTITY_REPLAYED: 401,
    ErrorCode.IDENTITY_MALFORMED: 400,
    ErrorCode.ACCOUNT_DISABLED: 403,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.SENSITIVE_WORD: 422,
    ErrorCode.INVALID_FRAME: 400,
    ErrorCode.BAD_ARGUMENT: 400,
    ErrorCode.FRAME_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.NOT_A_MEMBER: 403,
    ErrorCode.ORIGIN_NOT_ALLOWED: 403,
    ErrorCode.UNKNOWN_CONVERSATION: 404,
    ErrorCode.UNKNOWN_CHANNEL: 404,
    ErrorCode.CONVERSATION_CLOSED: 409,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.FILE_TYPE_REFUSED: 415,
    ErrorCode.FILE_REFUSED: 422,
    ErrorCode.FILE_QUOTA_EXCEEDED: 429,
    ErrorCode.LINK_INVALID: 403,
    ErrorCode.LINK_EXPIRED: 410,
    ErrorCode.FILE_PENDING: 409,
    ErrorCode.UNKNOWN_FILE: 404,
    # chat_session's refusals of a bot's command, as the bot API answers them (docs/bots.md).
    ErrorCode.BOT_NOT_A_MEMBER: 403,
    ErrorCode.BOT_NOT_IN_CONTROL: 409,
    ErrorCode.UNKNOWN_DRAFT: 404,
    ErrorCode.DRAFT_OUT_OF_ORDER: 409,
    ErrorCode.DRAFT_TOO_LONG: 400,
    ErrorCode.DRAFT_FINISHED: 409,
    ErrorCode.TOO_MANY_DRAFTS: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
    ErrorCode.HELD_BY_HUMAN: 409,
    ErrorCode.UNKNOWN_ACTION: 404,
    ErrorCode.ENDPOINT_REFUSED: 400,
    ErrorCode.UNKNOWN_BOT: 404,
    ErrorCode.UNKNOWN_WEBHOOK: 404,
    ErrorCode.UNKNOWN_DELIVERY: 404,
    ErrorCode.DELIVERY_PENDING: 409,
    ErrorCode.INTERNAL: 500,
    ErrorCode.UNAVAILABLE: 503,
}


def json_response(data: BaseModel | dict[str, Any] | list[Any], status: int = 200, **kwargs: Any) -> web.Response:
    body = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json", **kwargs)


def error_response(code: ErrorCode, message: str, **kwargs: Any) -> web.Response:
    return json_response(
        {"error": {"code": int(code), "message": message}}, status=HTTP_STATUS.get(code, 400), **kwargs
    )


async def read_json(request: web.Request, model: type[ModelT]) -> ModelT:
    """Parse and validate a JSON body; a bad one raises ParleyError(BAD_ARGUMENT) naming the problem
    (one over the app's ``client_max_size`` is aiohttp's 413, which :func:`observe` answers as 9002)."""
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, validation_problems(error)) from None


def validation_problems(error: ValidationError) -> str:
    """Every problem of a validation error, each naming its field, in one line."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())


# The error code of a refusal aiohttp (or a handler) raised as a bare HTTP status.
REFUSAL_CODES = {
    401: ErrorCode.NOT_AUTHENTICATED,
    413: ErrorCode.FRAME_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}


@web.middleware
async def observe(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
    """Metrics for every request, and one JSON shape for every error."""
    started = time.perf_counter()
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except ParleyError as error:
        response = error_response(error.code, error.message)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        if status < 400:  # a redirect is an answer, not an error
            raise
        # aiohttp's own refusals (no such route, a method the route lacks, a body too large)
        # get the same JSON error body as every other refusal, not its plain text.
        code = REFUSAL_CODES.get(status, ErrorCode.BAD_ARGUMENT)
        message = f"body larger than {request.client_max_size} bytes" if status == 413 else error.reason
        kept = {name: value for name, value in error.headers.items() if name in ("Allow", "Retry-After")}
        return json_response({"error": {"code": int(code), "message": message}}, status=status, headers=kept)
    except Exception:
        log.exception("http.unhandled_error", route=route)
        return error_response(ErrorCode.INTERNAL, "internal error")
    finally:
        # A WebSocket "request" lasts as long as the connection: its duration is not a latency.
        if not is_websocket_upgrade(request):
            metrics.HTTP_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()


def origin_allowed(origin: str, allowed: Collection[str]) -> bool:
    """Whether a browser ``Origin`` is in ``allowed`` (exact match; ``*`` allows every origin)."""
    return "*" in allowed or origin in allowed


def is_websocket_upgrade(request: web.Request) -> bool:
    """A WebSocket handshake (its handler then lives as long as the socket)."""
    return request.headers.get("Upgrade", "").lower() == "websocket"


def cors(allowed_origins: Collection[str]) -> Middleware:
    """CORS for the browser clients of an HTTP API: preflights answered, allowed origins echoed.

    Tokens travel in the ``Authorization`` header, never in cookies, so credentials are not allowed.
    """
    allowed = frozenset(allowed_origins)

    async def with_headers(request: web.Request, handler: RequestHandler, origin: str) -> web.StreamResponse:
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            headers |= {
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": str(CORS_MAX_AGE_SECONDS),
            }
            return web.Response(status=204, headers=headers)
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers.update(headers)
            raise
        if not response.prepared:  # a streamed body's headers went out with its first bytes
            response.headers.update(headers)
        return response

    @web.middleware
    def middleware(request: web.Request, handler: RequestHandler) -> Awaitable[web.StreamResponse]:
        # Not a coroutine: a request with nothing to add is handed on as it is, so no frame of
        # this middleware stays alive while the handler runs. A WebSocket's handler runs for the
        # socket's whole life (a frame is ~0.3 KiB of each of a gateway's idle connections), and
        # browsers apply no CORS to a WebSocket handshake.
        origin = request.headers.get("Origin")
        if origin is None or not origin_allowed(origin, allowed) or is_websocket_upgrade(request):
            return handler(request)
        return with_headers(request, handler, origin)

    return middleware
