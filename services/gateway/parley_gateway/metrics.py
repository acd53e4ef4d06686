"""Gateway metrics: connections, frames, errors and delivery latency (no per-user labels).

Frame type labels take only the declared frame types (anything else counts as ``other`` or
``invalid``), so what a client or a bus message writes can never grow the label set.
"""

from prometheus_client import Counter, Gauge, Histogram

from parley.contracts.frames import SERVER_FRAME_DATA
from parley.metrics import LATENCY_BUCKETS

CONNECTIONS = Gauge("parley_gateway_connections", "Open, authenticated WebSocket connections on this node.")
CONNECTS = Counter("parley_gateway_connects_total", "Authenticated WebSocket connections accepted.")
REFUSED = Counter(
    "parley_gateway_connections_refused_total",
    "Connection attempts refused before auth.ok, by reason "
    "(origin, draining, maintenance, protocol, token, limit, unavailable).",
    ["reason"],
)
DISCONNECTS = Counter("parley_gateway_disconnects_total", "Connections closed, by close code.", ["close_code"])
FRAMES_IN = Counter("parley_gateway_frames_received_total", "Client frames received, by type.", ["type"])
FRAMES_OUT = Counter("parley_gateway_frames_sent_total", "Server frames sent, by type.", ["type"])
ERRORS = Counter("parley_gateway_errors_total", "Error frames sent, by code.", ["code"])
RATE_LIMITED = Counter("parley_gateway_rate_limited_total", "Client frames refused by the rate limits (error 9003).")
GAP_FILLS = Counter(
    "parley_gateway_gap_fills_total",
    "Reads of chat_session's history to fill a missing seq or resume, by reason (resume, gap, position: "
    "behind the stored newest seq with no later message held).",
    ["reason"],
)
POSITIONS_BEHIND = Counter(
    "parley_gateway_positions_behind_total",
    "Conversation streams a position check found behind the stored newest seq, by when it looked "
    "(reconnect, periodic: also deliveries still on their way; gap_fills_total{reason=position} counts the fills).",
    ["check"],
)
DELIVERIES_IN = Counter(
    "parley_gateway_deliveries_received_total",
    "Frames received off the delivery channels of the users this node holds (one per user and "
    "frame, whatever their connections here), by type.",
    ["type"],
)
DELIVERY_SECONDS = Histogram(
    "parley_gateway_delivery_latency_seconds",
    "From a frame's receipt off a delivery channel to its hand-off to the recipients' sockets (queued for write).",
    buckets=LATENCY_BUCKETS,
)
MESSAGE_SECONDS = Histogram(
    "parley_message_delivery_latency_seconds",
    "From chat_session's publish of a stored message to its write on a recipient's socket (clocks of two "
    "hosts: keep them in sync); a message held behind a gap is not counted.",
    buckets=LATENCY_BUCKETS,
)


def frame_label(frame_type: str) -> str:
    """A server frame's type as a label: declared types only."""
    return frame_type if frame_type in SERVER_FRAME_DATA else "other"
