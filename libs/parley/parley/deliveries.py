"""Per-user delivery channels on Redis pub/sub: the one path a server frame takes to live sockets.

Every user has a channel, ``<prefix>delivery:user:<user id>``. A gateway node subscribes to the
channel of each user it holds a connection of (:class:`DeliverySubscriber`), before it answers
``auth.ok``; whoever has a frame for users publishes it, encoded once, on their channels
(:class:`DeliveryPublisher`): Redis hands it to exactly the nodes that hold them, and says how
many did (a user no node holds is one to reach by web push instead).

A ``message.new`` is published by :meth:`DeliveryPublisher.message`, one Lua script that also
records the conversation's newest seq (``<prefix>delivery:newest:<conversation id>``): Redis runs
it atomically, so a node whose subscription was confirmed before it reads that key either sees
the seq there or receives the message live (docs/delivery.md has the whole argument).

The frames that say what a conversation's state now is (``STATE_FRAMES``: the visitor's queue
position, the bot step waiting, the robot's status) are also recorded, the latest of each type
per conversation with its recipients, in the same round trip as their publish: a node whose
subscription link was down reads them back (:func:`current_states`) and re-sends them, since
whatever was published meanwhile is gone.

On the wire a published item is one line of routing (``<frame type>\\t<conversation id>\\t<seq>\\t<sent
at>``, the last three empty for frames that are not ``message.new``; sent at is the publisher's
clock in epoch seconds, for the delivery-latency histogram), a newline, and the frame's JSON as
the socket gets it: a node routes it without parsing the JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
import redis.asyncio as redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from parley.cancelling import raise_if_cancelled
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley.settings import ServiceSettings
from parley.stores import get_many, is_cluster, redis_link_pool, timed

log = get_logger("parley.deliveries")

# Frames recorded as a conversation's current state, to re-send after a lost link.
STATE_FRAMES = frozenset({"queue.position", "bot.step", "robot.status"})
# A recorded state frame outlives any outage a node comes back from; a conversation idle for a
# day is long closed or answered anew.
STATE_TTL_MS = 86_400 * 1000
# How long a conversation's newest seq stays in Redis without a message: a week covers every
# live conversation (idle ones close within hours); a missing key sends the reader to MongoDB.
NEWEST_TTL_MS = 7 * 86_400 * 1000
# Conversations per newest-seq read (MGET): bounds one command's size.
NEWEST_BATCH = 1000
# The subscriber pings its link this often when nothing arrives, and counts it lost when nothing
# (not even the pong) arrived for DEAD_AFTER_SECONDS: a cut that leaves the socket half-open is
# found within ~3 s instead of at the kernel's TCP timeout.
PING_SECONDS = 1.0
DEAD_AFTER_SECONDS = 3.0
# A lost link is dialled again after this long, doubling up to the cap: 1 s, like the bus's
# reconnect interval, keeps the catch-up after an outage well inside the 3 s it is allowed.
RECONNECT_FIRST_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 1.0
# How long a new connection waits for its user's subscription to be confirmed before it is
# refused (and the client retries). Not short: on a loop saturated by a reconnect storm the
# confirmation is merely late, and a refusal wastes the handshake's work and brings the client
# back 2-4 s later. 5 s made a storm of 2,016 reconnects never recover (0 back in 120 s, twice);
# 30 s: all back in 19.4 s, as 606aec8 (bench idle,storm; docs/performance.md).
HOLD_TIMEOUT_SECONDS = 30.0

# KEYS[1]: the conversation's newest seq. ARGV: seq, ttl, the item, then the members' channels:
# channels are not keys (PUBLISH reaches every node of a Redis Cluster), and passing them in KEYS
# would ask for one slot for them all.
_MESSAGE = """
local seq, ttl, payload = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq > current then
  redis.call('SET', KEYS[1], seq, 'PX', ttl)
else
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local reached = {}
for i = 4, #ARGV do reached[i - 3] = redis.call('PUBLISH', ARGV[i], payload) end
return reached
"""


def user_channel(prefix: str, user_id: str) -> str:
    return f"{prefix}delivery:user:{user_id}"


def newest_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}delivery:newest:{conversation_id}"


def state_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}delivery:state:{conversation_id}"


def encode(frame_type: str, payload: str, conversation_id: str = "", seq: int | None = None) -> str:
    """One published item: the routing line, then the frame's JSON."""
    if seq is None:
        return f"{frame_type}\t{conversation_id}\t\t\n{payload}"
    return f"{frame_type}\t{conversation_id}\t{seq}\t{time.time():.3f}\n{payload}"


@dataclass(frozen=True, slots=True)
class Delivered:
    """One item as a node receives it."""

    user_id: str
    frame_type: str
    conversation_id: str
    seq: int | None  # set for message.new only
    payload: str
    sent_at: float | None = None  # the publisher's clock (epoch seconds), message.new only

    @classmethod
    def decode(cls, user_id: str, item: str) -> Delivered:
        head, _, payload = item.partition("\n")
        frame_type, conversation_id, seq, sent_at = [*head.split("\t"), "", "", ""][:4]
        return cls(
            user_id,
            frame_type,
            conversation_id,
            int(seq) if seq else None,
            payload,
            float(sent_at) if sent_at else None,
        )


class DeliveryPublisher:
    """Publishes encoded frames on users' channels (any service with frames for users)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._message = client.register_script(_MESSAGE)
        self._cluster = is_cluster(client)

    async def message(self, conversation_id: str, seq: int, member_ids: list[str], payload: str) -> set[str]:
        """Record ``seq`` as the conversation's newest (never lowered) and publish its
        ``message.new`` to every member, in one atomic script; returns the members some node holds."""
        members = list(dict.fromkeys(member_ids))
        channels = [user_channel(self._prefix, user) for user in members]
        item = encode("message.new", payload, conversation_id, seq)
        with timed("redis", "delivery_message"):
            reached = await self._message(
                keys=[newest_key(self._prefix, conversation_id)], args=[seq, NEWEST_TTL_MS, item, *channels]
            )
        return {user for user, count in zip(members, reached, strict=True) if int(count) > 0}

    async def frame(
        self, user_ids: Iterable[str], frame_type: str, payload: str, *, conversation_id: str | None = None
    ) -> set[str]:
        """Publish one frame to these users, in one round trip; returns the users some node holds.
        A state frame (``STATE_FRAMES``) of ``conversation_id`` is recorded first, in the same
        round trip, as that conversation's current one of its type for these users."""
        users = list(dict.fromkeys(user_ids))
        if not users:
            return set()
        item = encode(frame_type, payload)
        recorded = conversation_id is not None and frame_type in STATE_FRAMES
        channels = [user_channel(self._prefix, user) for user in users]
        with timed("redis", "delivery_frame"):
            if self._cluster:
                recorded_for = str(conversation_id) if recorded else None
                reached = await self._frame_on_cluster(frame_type, payload, recorded_for, users, channels, item)
            else:
                async with self._client.pipeline(transaction=False) as pipe:
                    if recorded:
                        key = state_key(self._prefix, str(conversation_id))
                        pipe.hset(key, frame_type, _state_record(users, payload))
                        pipe.pexpire(key, STATE_TTL_MS)
                    for channel in channels:
                        pipe.publish(channel, item)
                    replies = await pipe.execute()
                reached = replies[2:] if recorded else replies
        return {user for user, count in zip(users, reached, strict=True) if int(count) > 0}

    async def _frame_on_cluster(
        self, frame_type: str, payload: str, recorded_for: str | None, users: list[str], channels: list[str], item: str
    ) -> list[int]:
        """frame() on a Redis Cluster, whose client refuses PUBLISH in a pipeline: the state is
        recorded first (one key: one node), then each channel is published to, concurrently."""
        if recorded_for is not None:
            key = state_key(self._prefix, recorded_for)
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, frame_type, _state_record(users, payload))
                pipe.pexpire(key, STATE_TTL_MS)
                await pipe.execute()
        return list(await asyncio.gather(*(self._client.publish(channel, item) for channel in channels)))


async def newest_seqs(client: redis.Redis, prefix: str, conversation_ids: list[str]) -> dict[str, int]:
    """The recorded newest seq of each conversation that has one (a missing key: ask MongoDB)."""
    found: dict[str, int] = {}
    for start in range(0, len(conversation_ids), NEWEST_BATCH):
        batch = conversation_ids[start : start + NEWEST_BATCH]
        with timed("redis", "delivery_newest"):
            values = await get_many(client, [newest_key(prefix, conversation_id) for conversation_id in batch])
        found.update(
            {conversation_id: int(value) for conversation_id, value in zip(batch, values, strict=True) if value}
        )
    return found


@dataclass(frozen=True, slots=True)
class StateFrame:
    """A conversation's current frame of one state type, and who it is for."""

    frame_type: str
    user_ids: list[str]
    payload: str


async def current_states(client: redis.Redis, prefix: str, conversation_ids: list[str]) -> dict[str, list[StateFrame]]:
    """The recorded state frames of these conversations (one pipelined round trip per batch)."""
    found: dict[str, list[StateFrame]] = {}
    now = time.time()
    for start in range(0, len(conversation_ids), NEWEST_BATCH):
        batch = conversation_ids[start : start + NEWEST_BATCH]
        with timed("redis", "delivery_states"):
            async with client.pipeline(transaction=False) as pipe:
                for conversation_id in batch:
                    pipe.hgetall(state_key(prefix, conversation_id))
                replies = await pipe.execute()
        for conversation_id, fields in zip(batch, replies, strict=True):
            frames = []
            for frame_type, raw in sorted(fields.items()):
                recorded = orjson.loads(raw)
                payload = _aged(str(frame_type), str(recorded["payload"]), now - recorded.get("at", now))
                frames.append(StateFrame(str(frame_type), list(recorded["users"]), payload))
            if frames:
                found[conversation_id] = frames
    return found


def _state_record(users: list[str], payload: str) -> bytes:
    """A state frame as recorded: who it is for, and when (a re-sent one is aged, see _aged)."""
    return orjson.dumps({"users": users, "payload": payload, "at": time.time()})


def _aged(frame_type: str, payload: str, age_seconds: float) -> str:
    """A recorded state frame as it reads now: a robot's ``offline_seconds`` counts the time since
    it was recorded too (a frame re-sent after an outage must not say the robot left less long ago
    than it did)."""
    if frame_type != "robot.status" or age_seconds < 1:
        return payload
    data = orjson.loads(payload)
    if isinstance(data, dict) and isinstance(data.get("offline_seconds"), int):
        data["offline_seconds"] += int(age_seconds)
        return orjson.dumps(data).decode()
    return payload


OnDelivered = Callable[[Delivered], None]


class DeliverySubscriber:
    """One node's subscription link: the channels of the users it holds, on one Redis connection.

    ``hold`` returns once Redis has confirmed the user's subscription (so anything published
    afterwards reaches this node); ``release`` unsubscribes with the user's last hold. When the
    link is lost, :meth:`run` dials again, subscribes every held user in one command, and once
    Redis confirmed them calls ``on_resubscribed``: what was published meanwhile is gone, and the
    node must compare positions (docs/delivery.md).

    Replies to SUBSCRIBE, UNSUBSCRIBE and PING come back in the order the commands were sent, so
    each command sent queues what its replies resolve, and each reply that is not a message takes
    the head of that queue.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        on_delivered: OnDelivered,
        on_resubscribed: Callable[[], None],
        *,
        name: str,
        replies: tuple[str, Callable[[str], None]] | None = None,
    ) -> None:
        # ``name`` is the link's CLIENT SETNAME: an operator (or a test) finds a node's link by it.
        # RESP2: every reply, subscription confirmations and messages included, comes back from
        # read_response in order (RESP3 hands push messages to a separate handler). Each new link
        # goes to the current primary (with Sentinel: the one they name after a failover).
        self._pool = redis_link_pool(settings, socket_connect_timeout=DEAD_AFTER_SECONDS, client_name=name, protocol=2)
        prefix = settings.redis_key_prefix
        self._prefix = prefix
        self._channel_prefix = user_channel(prefix, "")
        self._on_delivered = on_delivered
        self._on_resubscribed = on_resubscribed
        # This node's reply channel and what takes its items (parley.command_streams): subscribed
        # on every link, before any user's channel.
        self._replies_channel: str | None = replies[0] if replies is not None else None
        self._on_reply: Callable[[str], None] | None = replies[1] if replies is not None else None
        self._listening = False
        self._holds: Counter[str] = Counter()
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._replies: deque[asyncio.Future[None] | None] = deque()
        self._conn: AbstractConnection | None = None
        self._outbox: deque[list[str]] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self._flushing: AbstractConnection | None = None  # the link the flusher writes to
        self.links = 0  # links made so far (the first is not a re-subscription)

    @property
    def connected(self) -> bool:
        return self._conn is not None

    @property
    def listening(self) -> bool:
        """Whether the current link's subscriptions (the reply channel's too) are confirmed."""
        return self._listening and self._conn is not None

    @property
    def held(self) -> int:
        return len(self._holds)

    async def hold(self, user_id: str) -> None:
        """Subscribe this node to the user's channel (once for all its connections here).
        Raises ParleyError (9503) when Redis has not confirmed it within HOLD_TIMEOUT_SECONDS."""
        self._holds[user_id] += 1
        confirmed = self._confirmed.get(user_id)
        if confirmed is None:
            confirmed = self._confirmed[user_id] = asyncio.get_running_loop().create_future()
            self._enqueue(["SUBSCRIBE", user_channel(self._prefix, user_id)], [confirmed])
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), HOLD_TIMEOUT_SECONDS)
        except TimeoutError:
            self.release(user_id)
            raise ParleyError(ErrorCode.UNAVAILABLE, "live delivery is not available right now; reconnect") from None

    def release(self, user_id: str) -> None:
        """One hold of the user ends; the last unsubscribes."""
        self._holds[user_id] -= 1
        if self._holds[user_id] > 0:
            return
        del self._holds[user_id]
        self._confirmed.pop(user_id, None)
        self._enqueue(["UNSUBSCRIBE", user_channel(self._prefix, user_id)], [None])

    def _enqueue(self, command: list[str], replies: list[asyncio.Future[None] | None]) -> None:
        """Queue a command (synchronously: commands go out in call order, and their replies are
        expected in that order); without a link, nothing is sent: the next link subscribes every
        held user."""
        if self._conn is None:
            return
        self._replies.extend(replies)
        self._outbox.append(command)
        # One flusher per link: a flusher of a lost link may still be stuck in its last send; it
        # stops before taking anything more, and the new link's flusher takes the queue.
        if self._flusher is None or self._flusher.done() or self._flushing is not self._conn:
            self._flushing = self._conn
            self._flusher = asyncio.get_running_loop().create_task(self._flush(self._conn))

    async def _flush(self, conn: AbstractConnection) -> None:
        # Everything queued goes out in one write, and what queues meanwhile in the next: one
        # awaited send per command (redis-py wraps each in a task of its own when the link has a
        # socket timeout) made a connect storm's SUBSCRIBEs wait in line behind each other for a
        # loop turn apiece (p50 56 ms of a connect's 90 ms at 64 connects in flight).
        while self._outbox and self._conn is conn:
            commands = list(self._outbox)
            self._outbox.clear()
            try:
                await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
            except (RedisError, OSError):
                return  # the reader sees the link gone and makes a new one

    async def run(self) -> None:
        """Forever: keep the link up, read deliveries and hand them on."""
        pause = RECONNECT_FIRST_SECONDS
        while True:
            # redis-py leaves ConnectionPool.make_connection unannotated.
            conn = self._pool.make_connection()  # type: ignore[no-untyped-call]
            try:
                await conn.connect()
                ready = self._subscribe_all(conn)
                pause = RECONNECT_FIRST_SECONDS
                await self._read(conn, ready)
            except (RedisError, OSError, TimeoutError) as error:
                raise_if_cancelled()  # a stop, not a lost link
                log.warning("delivery.link_lost", error=str(error) or type(error).__name__, held=len(self._holds))
            finally:
                self._conn = None
                self._listening = False
                self._outbox.clear()
                self._replies.clear()
                await conn.disconnect(nowait=True)
            raise_if_cancelled()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MAX_SECONDS)

    async def close(self) -> None:
        await self._pool.disconnect()

    def _subscribe_all(self, conn: AbstractConnection) -> asyncio.Future[None]:
        """Subscribe every held user on a new link; the future resolves when Redis confirmed all."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._conn = conn
        if self._replies_channel is not None:
            self._enqueue(["SUBSCRIBE", self._replies_channel], [None])
        users = list(self._holds)
        if users:
            channels = [user_channel(self._prefix, user) for user in users]
            self._enqueue(["SUBSCRIBE", *channels], [self._confirmed.get(user) for user in users])
        self._enqueue(["PING"], [ready])  # its reply comes after every confirmation
        return ready

    async def _read(self, conn: AbstractConnection, ready: asyncio.Future[None]) -> None:
        heard = time.monotonic()
        announced = False
        while True:
            reply = await conn.read_response(timeout=PING_SECONDS, disconnect_on_error=True)
            now = time.monotonic()
            if reply is None:
                if now - heard > DEAD_AFTER_SECONDS:
                    raise TimeoutError(f"nothing from Redis for {DEAD_AFTER_SECONDS:g} s")
                self._enqueue(["PING"], [None])
                continue
            heard = now
            self._take(reply)
            if not announced and ready.done():
                announced = True
                self._listening = True
                self.links += 1
                if self.links > 1:
                    log.info("delivery.resubscribed", held=len(self._holds))
                    self._on_resubscribed()

    def _take(self, reply: list[bytes] | bytes) -> None:
        kind = reply[0] if isinstance(reply, list) else reply
        if kind == b"message" and isinstance(reply, list):
            channel, data = reply[1].decode(), reply[2].decode()
            if channel.startswith(self._channel_prefix):
                self._on_delivered(Delivered.decode(channel[len(self._channel_prefix) :], data))
            elif channel == self._replies_channel and self._on_reply is not None:
                self._on_reply(data)
            return
        if not self._replies:
            return  # a reply to a command of a link that is gone
        waiter = self._replies.popleft()
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
